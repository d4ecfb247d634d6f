// The page runtime: the bundled SD2 tokenizer, a tfjs backend and a text encoder (the tiny demo
// model served by this site, or the real SD2 one from the hub). Browser only, and loaded by
// import() from components, so neither tfjs nor the vocabulary is in a page's first download.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BackendName, TextModel, Tokenizer } from './contracts';
import { BACKENDS } from './contracts';

export type Tf = typeof TfCore;
export type BackendChoice = 'auto' | BackendName;
export type ModelChoice = 'tiny' | 'sd2';

export const SD2_REPO = 'stabilityai/stable-diffusion-2-base';
/** The fp16 branch of the SD2 base repo: text_encoder/ holds about 680 MB of float16 safetensors. */
export const SD2_REVISION = 'fp16';
export const TINY_PATH = 'generated/models/sd2-tiny/';

export interface Progress {
  file: string;
  loaded: number;
  total: number | null;
}

export interface EncoderState {
  phase: 'idle' | 'loading' | 'ready' | 'error';
  /** The backend asked for (query string ?backend=, the picker, or auto). */
  requested: BackendChoice;
  /** The backend in use, once chosen. */
  backend: BackendName | null;
  /** Backends tried before the one in use, with why they failed. */
  skipped: string[];
  model: ModelChoice;
  /** With `auto`: why this order was tried (the model's size decides). */
  autoReason: string | null;
  progress: Progress | null;
  error: string | null;
}

export interface Encoder {
  tf: Tf;
  model: TextModel;
  backend: BackendName;
  modelChoice: ModelChoice;
}

let baseUrl = '/';
/** A hub mirror from ?hf_endpoint= (like HF_ENDPOINT); null: huggingface.co. */
let hubEndpoint: string | null = null;
let state: EncoderState = { phase: 'idle', requested: 'auto', backend: null, skipped: [], model: 'tiny', autoReason: null, progress: null, error: null };
const listeners = new Set<(s: EncoderState) => void>();
let tokenizerPromise: Promise<Tokenizer> | null = null;
let encoderPromise: Promise<Encoder> | null = null;
let backendPromise: Promise<BackendName> | null = null;

function setState(patch: Partial<EncoderState>): void {
  state = { ...state, ...patch };
  for (const listener of listeners) listener(state);
}

/** Where the real SD2 weights come from. */
export function hubUrl(): string {
  return `${hubEndpoint ?? 'https://huggingface.co'}/${SD2_REPO}`;
}

export function getState(): EncoderState {
  return state;
}

export function subscribe(listener: (s: EncoderState) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function isChoice(value: string | null): value is BackendChoice {
  return value === 'auto' || (BACKENDS as readonly string[]).includes(value ?? '');
}

/** Called once by the site's Root: the base URL and the backend asked for in ?backend= or before. */
export function configureRuntime(options: { baseUrl: string }): void {
  baseUrl = options.baseUrl;
  const query = new URLSearchParams(window.location.search);
  const fromQuery = query.get('backend');
  const endpoint = query.get('hf_endpoint');
  hubEndpoint = endpoint !== null && /^https?:\/\/[^/]+/.test(endpoint) ? endpoint.replace(/\/+$/, '') : null;
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem('sdtext-backend');
  } catch {
    stored = null;
  }
  const requested = isChoice(fromQuery) ? fromQuery : isChoice(stored) ? stored : 'auto';
  let model: ModelChoice = 'tiny';
  try {
    model = window.localStorage.getItem('sdtext-model') === 'sd2' ? 'sd2' : 'tiny';
  } catch {
    model = 'tiny';
  }
  setState({ requested, model });
}

export function siteUrl(path: string): string {
  return new URL(baseUrl + path.replace(/^\//, ''), window.location.href).href;
}

export function loadTokenizer(): Promise<Tokenizer> {
  tokenizerPromise ??= import('@sdtext/tokenizer').then((m) => m.CLIPTokenizer.fromPreset('sd2'));
  return tokenizerPromise;
}

/** tfjs-core, with the chained ops (`t.slice(...)`, `t.reshape(...)`) that the full tfjs bundle registers. */
export async function loadTf(): Promise<Tf> {
  const [tf] = await Promise.all([
    import('@tensorflow/tfjs-core'),
    import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops'),
  ]);
  return tf;
}

/**
 * Below this many matrix weights per layer stack, `auto` puts wasm first. A forward pass multiplies
 * each token by every layer's weights (4 h² for attention, 2 h·i for the MLP); when that is small,
 * the GPU backends' fixed cost per operation (shader compiles, dispatches, readbacks) outweighs the
 * arithmetic: the demo model (25 k weights) runs a cell in about 0.1 s on wasm and tens of seconds
 * on a software GPU, while SD2 (290 M) is several times faster on a real GPU.
 */
export const SMALL_MODEL_WEIGHTS = 10_000_000;

export interface ModelSize {
  /** Weights a token meets in the layers: num_hidden_layers × (4 h² + 2 h i). */
  layerWeights: number;
}

export function modelSize(config: { hidden_size: number; intermediate_size: number; num_hidden_layers: number }): ModelSize {
  const h = config.hidden_size;
  return { layerWeights: config.num_hidden_layers * (4 * h * h + 2 * h * config.intermediate_size) };
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(0)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} k` : String(n);
}

/** The order `auto` tries for a model of this size, and why (shown in the bar). */
export function autoOrder(size: ModelSize): { order: BackendName[]; reason: string } {
  if (size.layerWeights < SMALL_MODEL_WEIGHTS) {
    return {
      order: ['wasm', 'webgpu', 'webgl', 'cpu'],
      reason:
        `auto tries wasm first for this model: ${formatCount(size.layerWeights)} layer weights (under ${formatCount(SMALL_MODEL_WEIGHTS)}), ` +
        'so a GPU backend would spend more time compiling shaders and dispatching small operations than computing',
    };
  }
  return { order: [...BACKENDS], reason: `auto tries the GPU first for this model: ${formatCount(size.layerWeights)} layer weights keep a GPU busy` };
}

/** The configuration of the model about to load, for its size (the demo's is a 554-byte file). */
async function configOf(choice: ModelChoice): Promise<ModelSize> {
  if (choice === 'sd2') {
    const { SD2_TEXT_CONFIG } = await import('@sdtext/text-encoder');
    return modelSize(SD2_TEXT_CONFIG);
  }
  const response = await fetch(siteUrl(`${TINY_PATH}text_model/config.json`));
  if (!response.ok) throw new Error(`demo model config: HTTP ${response.status}`);
  return modelSize((await response.json()) as { hidden_size: number; intermediate_size: number; num_hidden_layers: number });
}

/** Tries the requested backend first, then the rest; `auto` orders them by the model's size. */
async function chooseBackend(requested: BackendChoice, modelChoice: ModelChoice): Promise<BackendName> {
  const { selectBackend } = await import('@sdtext/text-encoder');
  let order: BackendName[];
  if (requested === 'auto') {
    const auto = autoOrder(await configOf(modelChoice));
    order = auto.order;
    setState({ autoReason: auto.reason });
  } else {
    order = [requested, ...BACKENDS.filter((b) => b !== requested)];
    setState({ autoReason: null });
  }
  const skipped: string[] = [];
  for (const candidate of order) {
    try {
      // The wasm backend fetches its binaries at init; this site serves them (scripts/prepare-static.mjs).
      const got = await selectBackend([candidate], { wasmPaths: siteUrl('generated/tfjs-wasm/') });
      setState({ skipped });
      return got;
    } catch (error) {
      const attempts = (error as { attempts?: { reason: string }[] }).attempts;
      const reason = attempts?.[0]?.reason ?? (error instanceof Error ? error.message : String(error));
      skipped.push(`${candidate}: ${reason}`);
    }
  }
  throw new Error(`No tfjs backend could start (${skipped.join('; ')})`);
}

async function loadModel(choice: ModelChoice): Promise<TextModel> {
  const onProgress = (p: Progress): void => setState({ progress: p });
  if (choice === 'tiny') {
    const { CLIPTextModel } = await import('@sdtext/text-encoder');
    return await CLIPTextModel.fromPretrained(siteUrl(TINY_PATH), { subfolder: 'text_model' });
  }
  // The real SD2 base text encoder from the hub (fp16 branch); @sdtext/pipeline keeps the files in
  // Cache Storage, so only the first load downloads them.
  const { TextPipeline } = await import('@sdtext/pipeline');
  const pipe = await TextPipeline.fromPretrained(SD2_REPO, {
    revision: SD2_REVISION,
    onProgress,
    ...(hubEndpoint ? { endpoint: hubEndpoint } : {}),
  });
  return pipe.textEncoder;
}

export function loadEncoder(): Promise<Encoder> {
  if (encoderPromise) return encoderPromise;
  const requested = state.requested;
  const modelChoice = state.model;
  setState({ phase: 'loading', error: null, progress: null });
  encoderPromise = (async () => {
    const tf = await loadTf();
    backendPromise ??= chooseBackend(requested, modelChoice);
    const backend = await backendPromise;
    setState({ backend });
    const model = await loadModel(modelChoice);
    setState({ phase: 'ready', progress: null });
    return { tf, model, backend, modelChoice };
  })();
  encoderPromise.catch((error: unknown) => {
    encoderPromise = null;
    backendPromise = null;
    setState({ phase: 'error', error: error instanceof Error ? error.message : String(error) });
  });
  return encoderPromise;
}

async function reset(): Promise<void> {
  const previous = encoderPromise;
  encoderPromise = null;
  if (previous) {
    const encoder = await previous.catch(() => null);
    encoder?.model.dispose();
  }
}

/** Switches backend: the model is loaded again on the new one. */
export async function setBackendChoice(choice: BackendChoice): Promise<void> {
  try {
    window.localStorage.setItem('sdtext-backend', choice);
  } catch {
    // private mode: the choice lasts for this page only
  }
  const wasLoaded = encoderPromise !== null;
  await reset();
  backendPromise = null;
  setState({ requested: choice, backend: null, skipped: [], phase: 'idle' });
  if (wasLoaded) await loadEncoder();
}

/** Switches between the demo model and the real SD2 text encoder (downloaded once, then cached). */
export async function setModelChoice(choice: ModelChoice): Promise<void> {
  await reset();
  // With auto, the backend follows the model's size: choose again.
  if (state.requested === 'auto') backendPromise = null;
  setState({ model: choice, phase: 'idle' });
  await loadEncoder();
  try {
    // Remembered only once it loaded, so a failed download is not retried on every visit.
    window.localStorage.setItem('sdtext-model', choice);
  } catch {
    // private mode
  }
}
