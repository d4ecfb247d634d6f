// The page's side of the cells: runs each cell in the cells' Web Worker (src/lib/cell-worker.ts),
// one at a time, with Stop and a timeout that terminate the worker. Kept apart from runner.ts,
// which the worker itself runs, so that the worker's bundle does not start workers.
import { loadEncoder, workerConfig } from './runtime';
import { needsEncoder, runNow, type CellResult } from './runner';
import type { WorkerReply, WorkerRequest } from './cell-worker';

export type { CellResult };

// Cells run one at a time (each in a tfjs scope of the worker's, and scopes nest by time).
let queue: Promise<unknown> = Promise.resolve();

/** Runs a cell after the ones already queued. */
export function runCell(code: string, onOutput?: (text: string) => void): Promise<CellResult> {
  const next = queue.then(() => (typeof Worker === 'undefined' ? runNow(code, onOutput) : runInWorker(code, onOutput)));
  queue = next.catch(() => undefined);
  return next;
}

/** How long a cell may run before it is stopped; `?cell_timeout=SECONDS` sets it. */
export const DEFAULT_CELL_TIMEOUT_MS = 60_000;

function cellTimeoutMs(): number {
  const asked = Number(new URLSearchParams(globalThis.location?.search ?? '').get('cell_timeout') ?? NaN);
  return Number.isFinite(asked) && asked > 0 ? asked * 1000 : DEFAULT_CELL_TIMEOUT_MS;
}

let worker: Worker | null = null;
let workerKey = '';
let runId = 0;
let stopCurrent: ((message: string) => void) | null = null;

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function failed(error: string, started: number, output = ''): CellResult {
  return { output, value: undefined, error, backend: null, model: null, ms: performance.now() - started, tensors: null };
}

/**
 * Runs a cell in the cells' worker (src/lib/cell-worker.ts). The page's runtime loads first, so the
 * bar shows the load and the backend; the worker then loads the same backend and model. Stop and
 * the timeout terminate the worker: the next run starts a fresh one.
 */
async function runInWorker(code: string, onOutput?: (text: string) => void): Promise<CellResult> {
  const started = performance.now();
  try {
    if (needsEncoder(code)) await loadEncoder();
  } catch (e) {
    return failed(e instanceof Error ? `${e.name}: ${e.message}` : String(e), started);
  }
  const config = workerConfig();
  const key = JSON.stringify(config);
  if (!worker || key !== workerKey) {
    worker?.terminate();
    worker = new Worker(new URL('./cell-worker.ts', import.meta.url));
    workerKey = key;
  }
  const w = worker;
  const id = ++runId;
  const timeoutMs = cellTimeoutMs();
  let output = '';
  return new Promise<CellResult>((resolve) => {
    const finish = (result: CellResult): void => {
      clearTimeout(timer);
      w.removeEventListener('message', onMessage);
      w.removeEventListener('error', onError);
      stopCurrent = null;
      resolve(result);
    };
    const kill = (message: string): void => {
      w.terminate();
      if (worker === w) worker = null;
      finish(failed(message, started, output));
    };
    const onMessage = (event: MessageEvent<WorkerReply>): void => {
      const reply = event.data;
      if (reply.id !== id) return;
      if (reply.type === 'output') {
        output = reply.text;
        onOutput?.(reply.text);
      } else finish(reply.result);
    };
    const onError = (event: ErrorEvent): void => kill(`WorkerError: ${event.message || 'the cells\' worker failed to start'}`);
    const timer = setTimeout(
      () => kill(`TimeoutError: the cell ran for ${formatSeconds(timeoutMs)} and was stopped (an endless loop?). Add ?cell_timeout=SECONDS to the address to allow longer.`),
      timeoutMs,
    );
    stopCurrent = (message) => kill(message);
    w.addEventListener('message', onMessage);
    w.addEventListener('error', onError);
    w.postMessage({ type: 'run', id, code, config } satisfies WorkerRequest);
  });
}

/** Stops the cell running now (terminating its worker); false when none runs. */
export function stopCell(): boolean {
  if (!stopCurrent) return false;
  stopCurrent('Stopped: the cell was stopped before it finished.');
  return true;
}

