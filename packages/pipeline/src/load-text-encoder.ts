import type { ModelSource, TextEncoderEngine } from '@sdtext/core';
import type * as OnnxModule from '@sdtext/onnx';
import type { OnnxCLIPTextModel, OnnxFromPretrainedOptions } from '@sdtext/onnx';
import { TfjsTextEncoder, type BackendName } from '@sdtext/text-encoder';

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

/** Thrown when the ONNX engine cannot run here: @sdtext/onnx or its runtime is missing or fails to start. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

// In a variable, so bundlers leave the optional peer alone unless the page really asks for onnx.
const ONNX_PACKAGE = '@sdtext/onnx';

/** @sdtext/onnx, an optional peer: imported only when the onnx engine is asked for. */
async function importOnnx(): Promise<typeof OnnxModule> {
  try {
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ ONNX_PACKAGE)) as typeof OnnxModule;
  } catch (e) {
    throw new EngineUnavailableError(
      `the onnx engine needs @sdtext/onnx and ONNX Runtime: npm install @sdtext/onnx onnxruntime-node (Node) or onnxruntime-web (browsers) (${(e as Error).message})`,
    );
  }
}

async function loadOnnx(source: ModelSource, options: OnnxFromPretrainedOptions): Promise<OnnxCLIPTextModel> {
  const onnx = await importOnnx();
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
  if (engine === 'tfjs') return TfjsTextEncoder.fromPretrained(source, { ...rest, backend });
  if (engine === 'onnx') return loadOnnx(source, rest);
  try {
    return await loadOnnx(source, rest);
  } catch (e) {
    if (!(e instanceof EngineUnavailableError)) throw e;
    const tfjs = await TfjsTextEncoder.fromPretrained(source, { ...rest, backend });
    return Object.assign(tfjs, { fallbackReason: e.message });
  }
}
