import type { ModelSource } from '@sdtext/core';
import type { T5EncoderEngine } from '@sdtext/core/t5';
import type * as OnnxT5Package from '@sdtext/onnx/t5';
import type { OnnxT5Options } from '@sdtext/onnx/t5';
import type { BackendName } from '@sdtext/text-encoder';
import { T5EncoderModel } from '@sdtext/text-encoder/t5';
import { ENGINE_CHOICES, EngineUnavailableError, type EngineChoice } from '../load-text-encoder.js';

/** What the onnx engine uses of @sdtext/onnx/t5. */
export type OnnxT5EngineModule = Pick<typeof OnnxT5Package, 'OnnxT5EncoderModel'>;

/** @sdtext/onnx/t5 itself, or a function that imports it (`() => import('@sdtext/onnx/t5')`, for bundles). */
export type OnnxT5ModuleSource = OnnxT5EngineModule | (() => Promise<OnnxT5EngineModule>);

export interface LoadT5EncoderOptions extends OnnxT5Options {
  /** 'onnx' (ONNX Runtime, weights kept 16-bit), 'tfjs', or 'auto' (default): onnx, and tfjs where ONNX Runtime cannot run. */
  engine?: EngineChoice;
  /** tfjs backend(s) for the tfjs engine. */
  backend?: BackendName | readonly BackendName[];
  /** @sdtext/onnx/t5, or a function importing it: for bundles, where the pipeline's own lazy import cannot be resolved. */
  onnxT5?: OnnxT5ModuleSource;
}

/** A T5 encoder on either engine (T5EncoderModel or OnnxT5EncoderModel, behind @sdtext/core/t5's interface). */
export interface LoadedT5Encoder extends T5EncoderEngine {
  /** For engine 'auto' when it fell back to tfjs: why onnx was not used. */
  readonly fallbackReason?: string;
}

// In a variable, so bundlers leave the optional peer alone unless the app hands it in.
const ONNX_T5_PACKAGE = '@sdtext/onnx/t5';

async function importOnnxT5(provided: OnnxT5ModuleSource | undefined): Promise<OnnxT5EngineModule> {
  let loaded: unknown;
  try {
    loaded = provided === undefined ? await import(/* @vite-ignore */ /* webpackIgnore: true */ ONNX_T5_PACKAGE) : typeof provided === 'function' ? await provided() : provided;
  } catch (e) {
    const how = provided === undefined ? 'the onnx engine needs @sdtext/onnx and ONNX Runtime: npm install @sdtext/onnx onnxruntime-node (Node) or onnxruntime-web (browsers)' : 'options.onnxT5 could not load @sdtext/onnx/t5';
    throw new EngineUnavailableError(`${how} (${(e as Error).message})`);
  }
  const candidate = loaded as Partial<OnnxT5EngineModule> | null;
  if (typeof candidate?.OnnxT5EncoderModel?.fromPretrained !== 'function') {
    throw new TypeError("options.onnxT5 must be @sdtext/onnx/t5 or a function that imports it: { onnxT5: () => import('@sdtext/onnx/t5') }");
  }
  return candidate as OnnxT5EngineModule;
}

async function loadOnnx(source: ModelSource, { onnxT5, ...options }: OnnxT5Options & { onnxT5?: OnnxT5ModuleSource }): Promise<LoadedT5Encoder> {
  const onnx = await importOnnxT5(onnxT5);
  try {
    return await onnx.OnnxT5EncoderModel.fromPretrained(source, options);
  } catch (e) {
    // @sdtext/onnx's RuntimeError: onnxruntime is not installed or does not start here.
    if ((e as Error).name === 'RuntimeError') throw new EngineUnavailableError((e as Error).message);
    throw e;
  }
}

function loadTfjs(source: ModelSource, options: LoadT5EncoderOptions): Promise<T5EncoderModel> {
  const { subfolder, backend, fetch, cache, variant, file, config, ignoreKeys, onProgress } = options;
  return T5EncoderModel.fromPretrained(source, {
    ...(subfolder !== undefined ? { subfolder } : {}),
    ...(backend !== undefined ? { backend } : {}),
    ...(fetch !== undefined ? { fetch } : {}),
    ...(cache !== undefined ? { cache } : {}),
    ...(variant !== undefined ? { variant } : {}),
    ...(file !== undefined ? { file } : {}),
    ...(config !== undefined ? { config } : {}),
    ...(ignoreKeys !== undefined ? { ignoreKeys } : {}),
    ...(onProgress !== undefined ? { onProgress } : {}),
  });
}

/**
 * Loads a T5 encoder (SD3's text_encoder_3, Flux's text_encoder_2; a folder with config.json, or a
 * lone `file` such as ComfyUI's t5xxl_fp16.safetensors) on the chosen engine, as loadTextEncoder
 * does for CLIP: checkpoint errors are thrown whatever the engine; 'auto' falls back to tfjs only
 * when ONNX Runtime cannot run here, with the reason in `fallbackReason`.
 */
export async function loadT5Encoder(source: ModelSource, options: LoadT5EncoderOptions = {}): Promise<LoadedT5Encoder> {
  const engine = options.engine ?? 'auto';
  if (!ENGINE_CHOICES.includes(engine)) {
    throw new TypeError(`engine must be one of ${ENGINE_CHOICES.map((e) => `"${e}"`).join(', ')}, got ${JSON.stringify(engine)}`);
  }
  const { engine: _engine, backend, ...onnxOptions } = options;
  // A quantized T5 is asked for speed on ONNX Runtime: never quietly swapped for the exact one.
  const quantized = options.dtype !== undefined && options.dtype !== 'fp32';
  if (engine === 'tfjs' && quantized) throw new TypeError(`dtype ${JSON.stringify(options.dtype)} runs on the onnx engine only; use engine 'onnx' (or leave dtype out)`);
  if (engine === 'tfjs') return loadTfjs(source, options);
  if (engine === 'onnx') return loadOnnx(source, onnxOptions);
  try {
    return await loadOnnx(source, onnxOptions);
  } catch (e) {
    if (!(e instanceof EngineUnavailableError)) throw e;
    if (quantized) throw new EngineUnavailableError(`dtype ${JSON.stringify(options.dtype)} needs the onnx engine, which cannot run here: ${e.message}`);
    const tfjs = await loadTfjs(source, { ...options, ...(backend !== undefined ? { backend } : {}) });
    return Object.assign(tfjs, { fallbackReason: e.message });
  }
}
