// The page's side of the cells' worker (src/lib/cell-worker.ts), which holds the tokenizer, the
// engine and the model: the page holds no copy. This module keeps the bar's state (what the worker
// reports), runs cells one at a time with Stop and a timeout, and asks the worker for what the
// widgets draw. Another engine, backend or model loads in a second worker while the first keeps
// serving the cells; it replaces the first only once it loaded, so a failed switch (SD2 offline,
// the hub unreachable) leaves the model and backend in use as they were.
import type { BackendChoice, EngineChoice, InUse, LoadReport, ModelChoice, Progress, RuntimeConfig } from './contracts';
import { BACKENDS, ENGINES } from './contracts';
import type { CellResult } from './runner';
import { isOnline, sd2CacheStatus, type CacheStatus } from './sd2-cache';
import type { EncoderTask, TaskResults } from './tasks';
import { nextRequestId, WorkerSlot } from './worker-slot';

export type { CellResult };

export interface EncoderState {
  /** Of the newest load: the switch in progress if any, else the worker in use. */
  phase: 'idle' | 'loading' | 'ready' | 'error';
  /** The bar's choices (?engine=, ?backend=, the pickers, or auto). */
  requested: { engine: EngineChoice; backend: BackendChoice };
  /** The model the cells use (or are about to use, on the first load). */
  model: ModelChoice;
  /** A model being loaded to replace the one in use; null when none. */
  loadingModel: ModelChoice | null;
  /** What the cells run on, once loaded. */
  inUse: InUse | null;
  skipped: string[];
  autoReason: string | null;
  progress: Progress | null;
  error: string | null;
  /** What the browser says (navigator.onLine, updated by its online/offline events). */
  online: boolean;
  /** What Cache Storage holds of SD2 (null until read). */
  sd2Cache: CacheStatus | null;
  /** crossOriginIsolated: wasm threads for both engines. */
  isolated: boolean;
  hubEndpoint: string | null;
}

let baseUrl = '/';
let state: EncoderState = {
  phase: 'idle',
  requested: { engine: 'auto', backend: 'auto' },
  model: 'tiny',
  loadingModel: null,
  inUse: null,
  skipped: [],
  autoReason: null,
  progress: null,
  error: null,
  online: true,
  sd2Cache: null,
  isolated: false,
  hubEndpoint: null,
};
const listeners = new Set<(s: EncoderState) => void>();
/** The worker the cells and widgets use. */
let active: WorkerSlot | null = null;
/** A worker loading another configuration, to replace `active` once it loaded. */
let pending: WorkerSlot | null = null;

function setState(patch: Partial<EncoderState>): void {
  state = { ...state, ...patch };
  for (const listener of listeners) listener(state);
}

export function getState(): EncoderState {
  return state;
}

export function subscribe(listener: (s: EncoderState) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function stored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // private mode
  }
}

function store(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

const isEngine = (v: string | null): v is EngineChoice => v === 'auto' || (ENGINES as readonly string[]).includes(v ?? '');
const isBackend = (v: string | null): v is BackendChoice => v === 'auto' || (BACKENDS as readonly string[]).includes(v ?? '');

/** Called once by the site's Root: the base URL, and the choices from the address or from before. */
export function configureRuntime(options: { baseUrl: string }): void {
  baseUrl = options.baseUrl;
  const query = new URLSearchParams(window.location.search);
  const endpoint = query.get('hf_endpoint');
  const engine = [query.get('engine'), stored('sdtext-engine')].find(isEngine) ?? 'auto';
  const backend = [query.get('backend'), stored('sdtext-backend')].find(isBackend) ?? 'auto';
  setState({
    requested: { engine, backend },
    model: stored('sdtext-model') === 'sd2' ? 'sd2' : 'tiny',
    online: isOnline(),
    isolated: window.crossOriginIsolated === true,
    hubEndpoint: endpoint !== null && /^https?:\/\/[^/]+/.test(endpoint) ? endpoint.replace(/\/+$/, '') : null,
  });
  window.addEventListener('online', () => void refreshCacheStatus());
  window.addEventListener('offline', () => void refreshCacheStatus());
  void refreshCacheStatus();
}

/** Reads Cache Storage again and puts what it found, and whether the browser is online, in the state. */
export async function refreshCacheStatus(): Promise<void> {
  try {
    setState({ online: isOnline(), sd2Cache: await sd2CacheStatus(state.hubEndpoint) });
  } catch {
    setState({ online: isOnline(), sd2Cache: null });
  }
}

function configFor(patch: Partial<Pick<RuntimeConfig, 'engine' | 'backend' | 'model'>> = {}): RuntimeConfig {
  return {
    baseUrl: new URL(baseUrl, window.location.href).href,
    hubEndpoint: state.hubEndpoint,
    engine: state.requested.engine,
    backend: state.requested.backend,
    model: state.model,
    ...patch,
  };
}

function onReport(slot: WorkerSlot, report: Partial<LoadReport>): void {
  // The newest load speaks: a switch in progress, else the worker in use.
  if (slot !== (pending ?? active)) return;
  const { phase, ...rest } = report;
  if (slot === pending) {
    // The cells still run on `active`: its inUse stays until the switch succeeds.
    const { inUse: _next, ...shown } = rest;
    setState({ ...shown, ...(phase === 'loading' ? { phase } : {}) });
    return;
  }
  const error = rest.error ? { error: `Could not load the text encoder: ${rest.error}` } : {};
  setState({ ...rest, ...error, ...(phase ? { phase } : {}) });
}

function onDeath(slot: WorkerSlot): void {
  if (slot === active) {
    active = null;
    // Stop and the timeout end here too: the model went with the worker; the next run loads it again.
    if (!pending) setState({ phase: 'idle', inUse: null, progress: null });
  }
}

function newSlot(config: RuntimeConfig): WorkerSlot {
  return new WorkerSlot(config, onReport, onDeath);
}

/** The worker in use, started if there is none. */
function activeSlot(): WorkerSlot {
  if (!active || active.dead) active = newSlot(configFor());
  return active;
}

/** Asks a worker to load its encoder; resolves when it did, rejects with why not. */
function loadOn(slot: WorkerSlot): Promise<void> {
  return new Promise((resolve, reject) => {
    const id = nextRequestId();
    slot.send({ type: 'load', id }, (reply) => {
      if (reply === null) return reject(new Error(slot.dead ?? 'the cells\' worker stopped'));
      if (reply.type !== 'loaded') return;
      slot.forget(id);
      if (reply.error === null) resolve();
      else reject(new Error(reply.error));
    });
  });
}

/** Loads the text encoder in the worker in use (the bar's "Start now"). */
export function loadEncoder(): Promise<void> {
  return loadOn(activeSlot());
}

/**
 * Loads another configuration. With nothing loaded yet it simply replaces the worker; otherwise it
 * loads in a second worker and swaps on success, keeping the current one on failure.
 */
async function switchTo(patch: Partial<Pick<RuntimeConfig, 'engine' | 'backend' | 'model'>>, describe: string): Promise<boolean> {
  const config = configFor(patch);
  pending?.terminate('superseded by another choice');
  pending = null;
  if (!active?.loaded) {
    const old = active;
    active = newSlot(config);
    old?.terminate('replaced before it loaded');
    setState({ requested: { engine: config.engine, backend: config.backend }, model: config.model, loadingModel: null, inUse: null, phase: 'loading', error: null, progress: null, skipped: [] });
    try {
      await loadOn(active);
      return true;
    } catch {
      return false; // the worker's report put the error in the bar
    }
  }
  const slot = newSlot(config);
  pending = slot;
  const keep = active.config;
  setState({ requested: { engine: config.engine, backend: config.backend }, loadingModel: config.model, phase: 'loading', error: null, progress: null, skipped: [] });
  try {
    await loadOn(slot);
  } catch (error) {
    if (pending !== slot) return false; // cancelled or superseded: whoever did it has set the state
    pending = null;
    slot.terminate('its load failed');
    const still = active?.loaded ? active : null;
    setState({
      requested: { engine: keep.engine, backend: keep.backend },
      model: keep.model,
      loadingModel: null,
      phase: still ? 'ready' : 'idle',
      progress: null,
      error: `${describe} failed: ${(error as Error).message}${still ? ` The ${keep.model === 'tiny' ? 'demo model' : 'SD2 text encoder'} stays in use, on the same backend.` : ''}`,
    });
    return false;
  }
  if (pending !== slot) return false;
  pending = null;
  const old = active;
  active = slot;
  old?.terminate('replaced by the new choice');
  setState({ model: config.model, loadingModel: null, inUse: slot.inUse, phase: 'ready', progress: null, error: null });
  return true;
}

/** Stops a load in progress (the bar's Cancel): what was in use stays; a first load goes back to the demo model. */
export function cancelLoad(): void {
  if (pending) {
    const keep = active?.config;
    pending.terminate('cancelled');
    pending = null;
    setState({ loadingModel: null, phase: active?.loaded ? 'ready' : 'idle', progress: null, error: null, ...(keep ? { requested: { engine: keep.engine, backend: keep.backend }, model: keep.model } : {}) });
    return;
  }
  if (state.phase !== 'loading' || !active) return;
  active.terminate('cancelled');
  active = null;
  setState({ phase: 'idle', progress: null, error: null, inUse: null, model: 'tiny' });
}

/** Switches engine: the model is loaded again on it (if one was loaded). */
export async function setEngineChoice(engine: EngineChoice): Promise<void> {
  store('sdtext-engine', engine);
  // A backend the new engine lacks (webgl for ONNX Runtime Web) goes back to auto.
  const backend = engine === 'onnx' && (state.requested.backend === 'webgl' || state.requested.backend === 'cpu') ? 'auto' : state.requested.backend;
  if (backend !== state.requested.backend) store('sdtext-backend', backend);
  if (!active?.loaded && !pending) {
    active?.terminate('reconfigured');
    active = null;
    setState({ requested: { engine, backend }, inUse: null, phase: 'idle', skipped: [], autoReason: null });
    return;
  }
  await switchTo({ engine, backend }, `Switching to ${engine}`);
}

/** Switches backend: the model is loaded again on it (if one was loaded). */
export async function setBackendChoice(backend: BackendChoice): Promise<void> {
  store('sdtext-backend', backend);
  if (!active?.loaded && !pending) {
    active?.terminate('reconfigured');
    active = null;
    setState({ requested: { ...state.requested, backend }, inUse: null, phase: 'idle', skipped: [], autoReason: null });
    return;
  }
  await switchTo({ backend }, `Switching to ${backend}`);
}

/** Switches between the demo model and the real SD2 text encoder (downloaded once, then cached). */
export async function setModelChoice(model: ModelChoice): Promise<void> {
  if (model === 'sd2' && !isOnline() && !state.sd2Cache?.complete) {
    // Said before trying: nothing starts, nothing changes.
    setState({ online: false, error: 'You are offline and the SD2 text encoder is not in this browser\'s cache, so it cannot load until you are online. The demo model works offline.' });
    return;
  }
  if (await switchTo({ model }, model === 'sd2' ? 'Loading the SD2 text encoder' : 'Loading the demo model')) {
    // Remembered only once it loaded, so a failed download is not retried on every visit.
    store('sdtext-model', model);
    if (model === 'sd2') void refreshCacheStatus();
  }
}

// ---- cells ----

// Cells run one at a time (each in a tfjs scope of the worker's, and scopes nest by time).
let queue: Promise<unknown> = Promise.resolve();
let stopCurrent: ((message: string) => void) | null = null;

/** How long a cell's own code may run before it is stopped; `?cell_timeout=SECONDS` sets it. */
export const DEFAULT_CELL_TIMEOUT_MS = 60_000;

function cellTimeoutMs(): number {
  const asked = Number(new URLSearchParams(globalThis.location?.search ?? '').get('cell_timeout') ?? NaN);
  return Number.isFinite(asked) && asked > 0 ? asked * 1000 : DEFAULT_CELL_TIMEOUT_MS;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function failed(error: string, started: number, output = ''): CellResult {
  return { output, value: undefined, error, engine: null, backend: null, model: null, ms: performance.now() - started, tensors: null };
}

/** Runs a cell after the ones already queued. */
export function runCell(code: string, onOutput?: (text: string) => void): Promise<CellResult> {
  const next = queue.then(() => runInWorker(code, onOutput));
  queue = next.catch(() => undefined);
  return next;
}

/**
 * Runs a cell in the worker in use (started if need be; it loads what the cell needs, the bar shows
 * the load). The timeout counts from when the cell's own code starts, so a download does not count;
 * Stop and the timeout terminate the worker, and a worker that dies ends the cell at once.
 */
function runInWorker(code: string, onOutput?: (text: string) => void): Promise<CellResult> {
  const started = performance.now();
  const slot = activeSlot();
  const id = nextRequestId();
  const timeoutMs = cellTimeoutMs();
  let output = '';
  return new Promise<CellResult>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (result: CellResult): void => {
      clearTimeout(timer);
      slot.forget(id);
      stopCurrent = null;
      resolve(result);
    };
    stopCurrent = (message) => {
      // Answered first: the worker's death must not answer for it.
      finish(failed(message, started, output));
      slot.terminate(message);
    };
    slot.send({ type: 'run', id, code }, (reply) => {
      if (reply === null) return finish(failed(`WorkerError: ${slot.dead ?? 'the cells\' worker stopped'}`, started, output));
      if (reply.type === 'started') {
        timer = setTimeout(
          () => stopCurrent?.(`TimeoutError: the cell ran for ${formatSeconds(timeoutMs)} and was stopped (an endless loop?). Add ?cell_timeout=SECONDS to the address to allow longer.`),
          timeoutMs,
        );
      } else if (reply.type === 'output') {
        output = reply.text;
        onOutput?.(reply.text);
      } else if (reply.type === 'result') finish(reply.result);
    });
  });
}

/** Stops the cell running now (terminating its worker); false when none runs. */
export function stopCell(): boolean {
  if (!stopCurrent) return false;
  stopCurrent('Stopped: the cell was stopped before it finished.');
  return true;
}

// ---- widgets ----

/** Asks the worker in use to compute what a widget draws (loading the model first if need be). */
export function encoderTask<K extends EncoderTask['kind']>(task: Extract<EncoderTask, { kind: K }>): Promise<TaskResults[K]> {
  const slot = activeSlot();
  const id = nextRequestId();
  return new Promise((resolve, reject) => {
    slot.send({ type: 'task', id, task }, (reply) => {
      if (reply === null) return reject(new Error(`${slot.dead ?? 'the cells\' worker stopped'}; press the button again to start it`));
      if (reply.type !== 'task-result') return;
      slot.forget(id);
      if (reply.error !== null || reply.result === null) reject(new Error(reply.error ?? 'no result'));
      else resolve(reply.result as TaskResults[K]);
    });
  });
}
