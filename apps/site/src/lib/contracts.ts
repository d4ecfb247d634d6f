// The types the page and the cells' worker share, and the choices the runtime bar offers. Type-only
// imports of the packages: they cost the page no bytes (the packages are import()ed lazily, in the
// worker).
import type { BackendName, CLIPTextModel, CLIPTextModelWithProjection } from '@sdtext/text-encoder';

export type { BackendName };
export type { CLIPTokenizer as Tokenizer } from '@sdtext/tokenizer';
/** What `pipe.textEncoder` can be on tfjs: SD 1.x/2.x ship a CLIPTextModel. */
export type TextModel = CLIPTextModel | CLIPTextModelWithProjection;

/** tfjs's backends, in the order the bar offers them (text-encoder's BACKEND_NAMES, kept here so the page does not load tfjs for it). */
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** What runs the text encoder: ONNX Runtime Web, or TensorFlow.js. */
export type EngineName = 'onnx' | 'tfjs';
export type EngineChoice = 'auto' | EngineName;
export const ENGINES: readonly EngineName[] = ['onnx', 'tfjs'];
export const ENGINE_LABELS: Record<EngineName, string> = { onnx: 'ONNX Runtime Web', tfjs: 'TensorFlow.js' };

/** ONNX Runtime Web's execution providers on this site: WebGPU, and wasm (SIMD, threads when isolated). */
export const ONNX_BACKENDS: readonly BackendName[] = ['webgpu', 'wasm'];

/** The backends an engine can run on, best first. */
export function backendsOf(engine: EngineName): readonly BackendName[] {
  return engine === 'onnx' ? ONNX_BACKENDS : BACKENDS;
}

export type BackendChoice = 'auto' | BackendName;
export type ModelChoice = 'tiny' | 'sd2';

export const SD2_REPO = 'stabilityai/stable-diffusion-2-base';
/** The fp16 branch of the SD2 base repo: text_encoder/ holds about 680 MB of float16 safetensors. */
export const SD2_REVISION = 'fp16';
export const TINY_PATH = 'generated/models/sd2-tiny/';

/** What the cells' worker is asked to load (the bar's choices, and where the site and the hub are). */
export interface RuntimeConfig {
  /** The site's base URL, absolute. */
  baseUrl: string;
  /** A hub mirror from ?hf_endpoint= (like HF_ENDPOINT); null: huggingface.co. */
  hubEndpoint: string | null;
  engine: EngineChoice;
  backend: BackendChoice;
  model: ModelChoice;
}

export interface Progress {
  file: string;
  loaded: number;
  total: number | null;
}

/** What runs the cells once the encoder loaded. */
export interface InUse {
  engine: EngineName;
  backend: BackendName;
  /** Threads the engine computes on (wasm); null where it does not say (GPUs, cpu). */
  threads: number | null;
  model: ModelChoice;
  /** e.g. "onnxruntime-web (wasm, 2 threads)". */
  label: string;
}

/** The worker's account of a load, merged into the page's state as it goes. */
export interface LoadReport {
  phase: 'loading' | 'ready' | 'error';
  /** Engines/backends tried before the one in use, with why they failed. */
  skipped: string[];
  /** With `auto`: what it chose and why. */
  autoReason: string | null;
  progress: Progress | null;
  inUse: InUse | null;
  error: string | null;
}
