import type { CLIPTextConfig } from '@sdtext/core';
import { loadPretrained, type ModelSource, type FromPretrainedOptions } from '../from-pretrained.js';
import type { WeightScope } from '../weight-scope.js';
import { CLIPTextTransformer, type CLIPTextInputs, type CLIPTextOutputs } from './clip-text-transformer.js';
import { Module } from './module.js';

/** HF's CLIPTextModel: the text transformer under the `text_model.` key prefix. */
export class CLIPTextModel extends Module {
  readonly typeName = 'CLIPTextModel';
  readonly textModel: CLIPTextTransformer;

  constructor(
    vs: WeightScope,
    readonly config: CLIPTextConfig,
  ) {
    super(vs);
    this.textModel = new CLIPTextTransformer(vs.pp('text_model'), config);
  }

  /**
   * Loads `config.json` and `model.safetensors` (or a sharded index, or a variant such as
   * `model.fp16.safetensors`) from a local folder (Node), a base URL or a FileSource.
   */
  static fromPretrained(source: ModelSource, options: FromPretrainedOptions = {}): Promise<CLIPTextModel> {
    return loadPretrained(source, options, false, (vs, config) => new CLIPTextModel(vs, config));
  }

  forward(inputs: CLIPTextInputs): CLIPTextOutputs {
    return this.textModel.forward(inputs);
  }

  override children(): Module[] {
    return [this.textModel];
  }
}

