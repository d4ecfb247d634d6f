// The page runtime: the bundled SD2 tokenizer, a tfjs backend and a text encoder (the tiny demo
// model served by this site, or the real SD2 one from the hub). Browser only, and loaded by
// import() from components, so neither tfjs nor the vocabulary is in a page's first download.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BackendName, TextModel, Tokenizer } from './contracts';
import { BACKENDS } from './contracts';
import { loadChainedOps, loadPipelinePackage, loadTextEncoderPackage, loadTfCore, loadTokenizerPackage } from './lazy';

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
  /** What the browser says (navigator.onLine, updated by its online/offline events). */
  online: boolean;
  /** What Cache Storage holds of SD2 (null until read). */
  sd2Cache: CacheStatus | null;
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
let state: EncoderState = { phase: 'idle', requested: 'auto', backend: null, skipped: [], model: 'tiny', online: true, sd2Cache: null, autoReason: null, progress: null, error: null };
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
  setState({ requested, model, online: isOnline() });
  window.addEventListener('online', () => void refreshCacheStatus());
  window.addEventListener('offline', () => void refreshCacheStatus());
  void refreshCacheStatus();
}

export function siteUrl(path: string): string {
  // globalThis: the cells' worker has `self.location`, no `window`.
  return new URL(baseUrl + path.replace(/^\//, ''), globalThis.location.href).href;
}

/** What the cells' worker needs to load what the page loaded: the page's choices, once they worked. */
export interface WorkerRuntimeConfig {
  /** The site's base URL, absolute. */
  baseUrl: string;
  backend: BackendName | null;
  model: ModelChoice;
  hubEndpoint: string | null;
}

/** The page's runtime choices, for the cells' worker (null backend: the encoder is not loaded). */
export function workerConfig(): WorkerRuntimeConfig {
  return { baseUrl: siteUrl('/'), backend: state.backend, model: state.model, hubEndpoint };
}

/** Called once inside the cells' worker: the backend is the one the page is on, no fallback. */
export function configureWorkerRuntime(config: WorkerRuntimeConfig): void {
  baseUrl = config.baseUrl;
  hubEndpoint = config.hubEndpoint;
  setState({ requested: config.backend ?? 'auto', model: config.model, online: isOnline() });
}

export function loadTokenizer(): Promise<Tokenizer> {
  tokenizerPromise ??= loadTokenizerPackage().then((m) => m.CLIPTokenizer.fromPreset('sd2'));
  return tokenizerPromise;
}

/** tfjs-core, with the chained ops (`t.slice(...)`, `t.reshape(...)`) that the full tfjs bundle registers. */
export async function loadTf(): Promise<Tf> {
  const [tf] = await Promise.all([
    loadTfCore(),
    loadChainedOps(),
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
    const { SD2_TEXT_CONFIG } = await loadTextEncoderPackage();
    return modelSize(SD2_TEXT_CONFIG);
  }
  const response = await fetch(siteUrl(`${TINY_PATH}text_model/config.json`));
  if (!response.ok) throw new Error(`demo model config: HTTP ${response.status}`);
  return modelSize((await response.json()) as { hidden_size: number; intermediate_size: number; num_hidden_layers: number });
}

/** Tries the requested backend first, then the rest; `auto` orders them by the model's size. */
async function chooseBackend(requested: BackendChoice, modelChoice: ModelChoice): Promise<BackendName> {
  const { selectBackend } = await loadTextEncoderPackage();
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

/** A fetch whose requests also end when `signal` aborts (the hub client passes its own timeout signal). */
function abortableFetch(signal: AbortSignal): typeof fetch {
  return (input, init) => {
    const inner = init?.signal;
    if (!inner) return fetch(input, { ...init, signal });
    // AbortSignal.any is newer than the browsers this site targets: combine by hand.
    const both = new AbortController();
    const abort = (from: AbortSignal): void => both.abort(from.reason);
    if (signal.aborted) abort(signal);
    else if (inner.aborted) abort(inner);
    signal.addEventListener('abort', () => abort(signal), { once: true });
    inner.addEventListener('abort', () => abort(inner), { once: true });
    return fetch(input, { ...init, signal: both.signal });
  };
}

function abortError(): Error {
  return new DOMException('The text encoder load was cancelled', 'AbortError');
}

/** Whether the browser says it is online (true where it cannot tell). */
export function isOnline(): boolean {
  return typeof navigator === 'undefined' || navigator.onLine !== false;
}

/** What Cache Storage holds of the SD2 repo at SD2_REVISION (files the hub client put there). */
export interface CacheStatus {
  files: string[];
  /** Files the hub answered 404 for (remembered, so offline loads skip them). */
  absent: string[];
  bytes: number;
  /** Config and weights of the text encoder and the tokenizer files are all there. */
  complete: boolean;
}

export const SD2_CACHE = 'sdtext-hub';

/** Reads Cache Storage (no network): which of the SD2 files this browser has. */
export async function sd2CacheStatus(): Promise<CacheStatus> {
  const status: CacheStatus = { files: [], absent: [], bytes: 0, complete: false };
  if (typeof caches === 'undefined') return status;
  const prefix = `${hubUrl()}/resolve/${SD2_REVISION}/`;
  const cache = await caches.open(SD2_CACHE);
  for (const request of await cache.keys()) {
    if (!request.url.startsWith(prefix)) continue;
    const response = await cache.match(request);
    const path = decodeURIComponent(request.url.slice(prefix.length));
    if (response?.status === 404) status.absent.push(path);
    else {
      status.files.push(path);
      status.bytes += Number(response?.headers.get('x-sdtext-size') ?? 0);
    }
  }
  const has = (p: (f: string) => boolean): boolean => status.files.some(p);
  status.complete =
    has((f) => f === 'text_encoder/config.json') &&
    has((f) => /^text_encoder\/.*\.safetensors$/.test(f)) &&
    has((f) => f === 'tokenizer/vocab.json') &&
    has((f) => f === 'tokenizer/merges.txt');
  return status;
}

/** Reads Cache Storage again and puts what it found, and whether the browser is online, in the state. */
export async function refreshCacheStatus(): Promise<void> {
  try {
    setState({ online: isOnline(), sd2Cache: await sd2CacheStatus() });
  } catch {
    setState({ online: isOnline(), sd2Cache: null });
  }
}

async function loadModel(choice: ModelChoice, signal: AbortSignal, onProgress: (p: Progress) => void): Promise<TextModel> {
  const fetchFn = abortableFetch(signal);
  if (choice === 'tiny') {
    const { CLIPTextModel } = await loadTextEncoderPackage();
    return await CLIPTextModel.fromPretrained(siteUrl(TINY_PATH), { subfolder: 'text_model', fetch: fetchFn });
  }
  // The real SD2 base text encoder from the hub (fp16 branch); @sdtext/pipeline keeps the files in
  // Cache Storage, so only the first load downloads them. Offline, it reads Cache Storage only:
  // files it has, and the 404s it remembered (added_tokens.json...) are skipped, never fetched.
  const { TextPipeline } = await loadPipelinePackage();
  const offline = !isOnline();
  if (offline && !(await sd2CacheStatus()).complete) {
    throw new Error('You are offline and the SD2 text encoder is not in this browser\'s cache: go back to the demo model, which works offline.');
  }
  const pipe = await TextPipeline.fromPretrained(SD2_REPO, {
    revision: SD2_REVISION,
    onProgress,
    fetch: fetchFn,
    offline,
    ...(hubEndpoint ? { endpoint: hubEndpoint } : {}),
  });
  if (signal.aborted) {
    await pipe.dispose();
    throw abortError();
  }
  return pipe.textEncoder;
}

/** Counts loads: a load that is no longer the latest (cancelled, superseded) must not touch the state. */
let generation = 0;
let loadController: AbortController | null = null;

export function loadEncoder(): Promise<Encoder> {
  if (encoderPromise) return encoderPromise;
  const requested = state.requested;
  const modelChoice = state.model;
  const gen = ++generation;
  const controller = new AbortController();
  loadController = controller;
  const current = (): boolean => gen === generation;
  setState({ phase: 'loading', error: null, progress: null });
  const promise = (async () => {
    const tf = await loadTf();
    backendPromise ??= chooseBackend(requested, modelChoice);
    const backend = await backendPromise;
    if (!current()) throw abortError();
    setState({ backend });
    const model = await loadModel(modelChoice, controller.signal, (p) => current() && setState({ progress: p }));
    if (!current()) {
      model.dispose();
      throw abortError();
    }
    setState({ phase: 'ready', progress: null });
    if (modelChoice === 'sd2') void refreshCacheStatus();
    return { tf, model, backend, modelChoice };
  })();
  encoderPromise = promise;
  promise.catch((error: unknown) => {
    if (!current()) return; // cancelled: whoever cancelled it has set the state
    encoderPromise = null;
    backendPromise = null;
    setState({ phase: 'error', progress: null, error: error instanceof Error ? error.message : String(error) });
  });
  return promise;
}

/**
 * Drops the current encoder without waiting for it: a load in flight is aborted (its downloads
 * stop), a loaded model is disposed.
 */
function reset(): void {
  const previous = encoderPromise;
  encoderPromise = null;
  generation++;
  loadController?.abort(abortError());
  loadController = null;
  if (previous) void previous.then((encoder) => encoder.model.dispose(), () => undefined);
}

/** Stops a load in progress (the bar's Cancel): back to idle, nothing half-loaded kept. */
export function cancelLoad(): void {
  if (state.phase !== 'loading') return;
  reset();
  backendPromise = null;
  // A cancelled SD2 download goes back to the demo model, or the next cell would start it again.
  setState({ phase: 'idle', progress: null, error: null, model: 'tiny' });
}

/** Switches backend: the model is loaded again on the new one. */
export async function setBackendChoice(choice: BackendChoice): Promise<void> {
  try {
    window.localStorage.setItem('sdtext-backend', choice);
  } catch {
    // private mode: the choice lasts for this page only
  }
  const wasLoaded = encoderPromise !== null;
  reset();
  backendPromise = null;
  setState({ requested: choice, backend: null, skipped: [], phase: 'idle' });
  if (wasLoaded) await loadEncoder();
}

/** Switches between the demo model and the real SD2 text encoder (downloaded once, then cached). */
export async function setModelChoice(choice: ModelChoice): Promise<void> {
  reset();
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
