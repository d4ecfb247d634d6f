// The loaded text encoder, as the cells' worker holds it, whichever engine runs it.
import type { LoadedTextEncoder } from '@sdtext/pipeline';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { InUse, TextModel } from './contracts';
import type { OnnxTextModelView } from './onnx-text-model';

export type Tf = typeof TfCore;

export interface SiteEncoder {
  inUse: InUse;
  /** @sdtext/core's engine interface: arrays in, arrays out (the widgets' tasks, `pipe.encodePrompt`). */
  encoder: LoadedTextEncoder;
  /** What cells call `textEncoder`: the tfjs CLIPTextModel, or its stand-in over ONNX Runtime. */
  textEncoder: TextModel | OnnxTextModelView;
  /** tfjs, which holds the cells' tensors on both engines (its cpu backend under ONNX Runtime). */
  tf: Tf;
  dispose(): Promise<void>;
}
