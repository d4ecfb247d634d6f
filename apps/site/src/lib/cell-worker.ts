// The cells' Web Worker: it holds the tokenizer, the engine and the model (the page holds no copy),
// runs the cells' code off the page's main thread, so a cell that never returns cannot freeze the
// tab (the page stops it by terminating this worker, src/lib/worker-client.ts), and computes what
// the page's widgets draw. One worker loads one configuration (engine, backend, model).
import type { LoadReport } from './contracts';
import type { WorkerReply, WorkerRequest } from './messages';
import { preloadAll } from './lazy';
import { runNow } from './runner';
import { configureRuntime, loadEncoder } from './runtime';
import { transferablesOf } from './tasks';
import { loadTokenizer } from './tokenizer';
import { runTask } from './widget-tasks';

const scope = self as unknown as { postMessage(m: WorkerReply, transfer?: Transferable[]): void };
const post = (reply: WorkerReply, transfer: Transferable[] = []): void => scope.postMessage(reply, transfer);

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

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

self.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'configure':
      configureRuntime(msg.config, (report: Partial<LoadReport>) => post({ type: 'report', report }));
      break;
    case 'load':
      void Promise.all([loadTokenizer(), loadEncoder()]).then(
        () => post({ type: 'loaded', id: msg.id, error: null }),
        (error: unknown) => post({ type: 'loaded', id: msg.id, error: message(error) }),
      );
      break;
    case 'run':
      void runNow(
        msg.code,
        (text) => post({ type: 'output', id: msg.id, text }),
        () => post({ type: 'started', id: msg.id }),
      ).then((result) => {
        try {
          post({ type: 'result', id: msg.id, result });
        } catch {
          // A value the structured clone cannot copy (a function, a class with private state): its text.
          post({ type: 'result', id: msg.id, result: { ...result, value: String(result.value) } });
        }
        preloadOnce();
      });
      break;
    case 'task':
      void Promise.all([loadTokenizer(), loadEncoder()])
        .then(([tokenizer, loaded]) => runTask(msg.task, tokenizer, loaded))
        .then(
          (result) => post({ type: 'task-result', id: msg.id, result, error: null }, transferablesOf(result)),
          (error: unknown) => post({ type: 'task-result', id: msg.id, result: null, error: message(error) }),
        );
      break;
  }
});

post({ type: 'alive' });
