import type { BackendName, ModelSource } from '@sdtext/text-encoder';
import type { TextEncoderEngine } from './encoder-api.js';
import { OnnxCLIPTextModel, type OnnxFromPretrainedOptions } from './onnx-clip-text-model.js';
import { RuntimeError } from './runtime.js';
import { TfjsTextEncoder } from './tfjs-text-encoder.js';

export type EngineChoice = 'tfjs' | 'onnx' | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['tfjs', 'onnx', 'auto'];

export interface LoadTextEncoderOptions extends OnnxFromPretrainedOptions {
  /** 'onnx' (ONNX Runtime), 'tfjs', or 'auto' (default): onnx, and tfjs if ONNX Runtime cannot run here. */
  engine?: EngineChoice;
  /** tfjs backend(s) for the tfjs engine (see selectBackend). */
  backend?: BackendName | readonly BackendName[];
}

export interface LoadedTextEncoder extends TextEncoderEngine {
  /** For engine 'auto' when it fell back to tfjs: why onnx was not used. */
  readonly fallbackReason?: string;
}

/**
 * Loads a text encoder checkpoint (config.json + safetensors, as CLIPTextModel.fromPretrained
 * takes it) on the chosen engine. Checkpoint and config errors are thrown as they are, whatever
 * the engine; with 'auto', only a runtime that cannot load or make a session falls back to tfjs.
 */
export async function loadTextEncoder(source: ModelSource, options: LoadTextEncoderOptions = {}): Promise<LoadedTextEncoder> {
  const engine = options.engine ?? 'auto';
  if (!ENGINE_CHOICES.includes(engine)) {
    throw new TypeError(`engine must be one of ${ENGINE_CHOICES.map((e) => `"${e}"`).join(', ')}, got ${JSON.stringify(engine)}`);
  }
  const { backend, ...rest } = options;
  if (engine === 'tfjs') return TfjsTextEncoder.fromPretrained(source, { ...rest, backend });
  if (engine === 'onnx') return OnnxCLIPTextModel.fromPretrained(source, rest);
  try {
    return await OnnxCLIPTextModel.fromPretrained(source, rest);
  } catch (e) {
    if (!(e instanceof RuntimeError)) throw e;
    const tfjs = await TfjsTextEncoder.fromPretrained(source, { ...rest, backend });
    return Object.assign(tfjs, { fallbackReason: e.message });
  }
}
