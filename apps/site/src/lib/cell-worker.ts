// The cells' Web Worker: runs a cell's code off the page's main thread, so a cell that never
// returns (`while (true) {}`) cannot freeze the tab; the page stops it by terminating this worker
// (src/lib/cell-client.ts). It loads its own tokenizer, tfjs backend and model, the ones the page's
// runtime chose (the backend the page ended up on, the demo model or SD2 from Cache Storage).
import { configureWorkerRuntime, type WorkerRuntimeConfig } from './runtime';
import { runNow, type CellResult } from './runner';
import { preloadAll } from './lazy';

export type WorkerRequest = { type: 'run'; id: number; code: string; config: WorkerRuntimeConfig };
export type WorkerReply =
  | { type: 'output'; id: number; text: string }
  | { type: 'result'; id: number; result: CellResult };

const post = (reply: WorkerReply): void => (self as unknown as { postMessage(m: WorkerReply): void }).postMessage(reply);

let configured = false;
let preloaded = false;

/**
 * Offline, a new worker can only load the files the site's service worker saw: once online, after
 * its first run, the worker loads every lazy package (the demo model's loader after SD2, say).
 */
function preloadOnce(): void {
  if (preloaded || !navigator.onLine) return;
  preloaded = true;
  void preloadAll();
}

self.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  if (msg.type !== 'run') return;
  if (!configured) {
    configureWorkerRuntime(msg.config);
    configured = true;
  }
  void runNow(msg.code, (text) => post({ type: 'output', id: msg.id, text })).then((result) => {
    try {
      post({ type: 'result', id: msg.id, result });
    } catch {
      // A value the structured clone cannot copy (a function, a class with private state): its text.
      post({ type: 'result', id: msg.id, result: { ...result, value: String(result.value) } });
    }
    preloadOnce();
  });
});
