import type { ModelSource, TextEncoderEngine } from '@sdtext/core';
import type * as OnnxModule from '@sdtext/onnx';
import type { OnnxCLIPTextModel, OnnxFromPretrainedOptions } from '@sdtext/onnx';
import { TfjsTextEncoder, type BackendName } from '@sdtext/text-encoder';
import { checkOnnxModule, loadOnnxModule, type OnnxEngineModule, type OnnxModuleSource } from './onnx-module.js';

export type EngineChoice = 'tfjs' | 'onnx' | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['tfjs', 'onnx', 'auto'];

export interface LoadTextEncoderOptions extends OnnxFromPretrainedOptions {
  /** 'onnx' (ONNX Runtime), 'tfjs', or 'auto' (default): onnx, and tfjs if ONNX Runtime cannot run here. */
  engine?: EngineChoice;
  /** tfjs backend(s) for the tfjs engine (see selectBackend). */
  backend?: BackendName | readonly BackendName[];
  /**
   * @sdtext/onnx, or a function importing it: `() => import('@sdtext/onnx')`. For bundles (browsers),
   * where the pipeline's own lazy import of the optional peer cannot be resolved.
   */
  onnx?: OnnxModuleSource;
}

export interface LoadedTextEncoder extends TextEncoderEngine {
  /** For engine 'auto' when it fell back to tfjs: why onnx was not used. */
  readonly fallbackReason?: string;
}

/** Thrown when the ONNX engine cannot run here: @sdtext/onnx or its runtime is missing or fails to start. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

// In a variable, so bundlers leave the optional peer alone unless the page really asks for onnx.
const ONNX_PACKAGE = '@sdtext/onnx';

/** @sdtext/onnx, an optional peer: imported only when the onnx engine is asked for (or as the app hands it in). */
async function importOnnx(provided?: OnnxModuleSource): Promise<OnnxEngineModule> {
  if (provided !== undefined) {
    let loaded: unknown;
    try {
      loaded = await loadOnnxModule(provided);
    } catch (e) {
      throw new EngineUnavailableError(`options.onnx could not load @sdtext/onnx (${(e as Error).message})`);
    }
    return checkOnnxModule(loaded);
  }
  try {
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ ONNX_PACKAGE)) as typeof OnnxModule;
  } catch (e) {
    throw new EngineUnavailableError(
      `the onnx engine needs @sdtext/onnx and ONNX Runtime: npm install @sdtext/onnx onnxruntime-node (Node) or onnxruntime-web (browsers) (${(e as Error).message})`,
    );
  }
}

async function loadOnnx(source: ModelSource, { onnx: provided, ...options }: OnnxFromPretrainedOptions & { onnx?: OnnxModuleSource }): Promise<OnnxCLIPTextModel> {
  const onnx = await importOnnx(provided);
  try {
    return await onnx.OnnxCLIPTextModel.fromPretrained(source, options);
  } catch (e) {
    if (e instanceof onnx.RuntimeError) throw new EngineUnavailableError(e.message);
    throw e;
  }
}

/**
 * Loads a text encoder checkpoint (config.json + safetensors, as CLIPTextModel.fromPretrained
 * takes it) on the chosen engine. Checkpoint and config errors are thrown as they are, whatever
 * the engine; with 'auto', only an engine that cannot run here (ONNX Runtime not installed or not
 * starting) falls back to tfjs, with the reason in `fallbackReason`.
 */
export async function loadTextEncoder(source: ModelSource, options: LoadTextEncoderOptions = {}): Promise<LoadedTextEncoder> {
  const engine = options.engine ?? 'auto';
  if (!ENGINE_CHOICES.includes(engine)) {
    throw new TypeError(`engine must be one of ${ENGINE_CHOICES.map((e) => `"${e}"`).join(', ')}, got ${JSON.stringify(engine)}`);
  }
  const { backend, ...rest } = options;
  // A quantized model is asked for speed on ONNX Runtime: never quietly swapped for the exact one.
  const quantized = rest.dtype !== undefined && rest.dtype !== 'fp32';
  if (engine === 'tfjs' && quantized) throw new TypeError(`dtype ${JSON.stringify(rest.dtype)} runs on the onnx engine only; use engine 'onnx' (or leave dtype out)`);
  if (engine === 'tfjs') return TfjsTextEncoder.fromPretrained(source, { ...rest, backend });
  if (engine === 'onnx') return loadOnnx(source, rest);
  try {
    return await loadOnnx(source, rest);
  } catch (e) {
    if (!(e instanceof EngineUnavailableError)) throw e;
    if (quantized) throw new EngineUnavailableError(`dtype ${JSON.stringify(rest.dtype)} needs the onnx engine, which cannot run here: ${e.message}`);
    const tfjs = await TfjsTextEncoder.fromPretrained(source, { ...rest, backend });
    return Object.assign(tfjs, { fallbackReason: e.message });
  }
}
