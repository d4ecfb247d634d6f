// The page's side of the prompt worker (src/lib/prompt-worker.ts): one parse at a time (a newer
// one supersedes), each with a time limit past which the worker is terminated and a fresh one
// started for the next prompt, so no prompt can freeze the page or the view.
import type { Dialect } from '@sdtext/prompt';
import type { PromptReport } from './prompt-explain';
import type { PromptReply, PromptRequest } from './prompt-worker';

/** How long one parse may take (after the worker has loaded the tokenizer); `?prompt_time_limit=SECONDS` sets it. */
export const PROMPT_TIME_LIMIT_MS = 2_000;

function timeLimitMs(): number {
  const asked = Number(new URLSearchParams(globalThis.location?.search ?? '').get('prompt_time_limit') ?? NaN);
  return Number.isFinite(asked) && asked > 0 ? asked * 1000 : PROMPT_TIME_LIMIT_MS;
}

/** A parse replaced by a newer one before it finished (not an error to show). */
export class SupersededError extends Error {
  override name = 'SupersededError';
}

interface Running {
  worker: Worker;
  ready: Promise<void>;
}

let running: Running | null = null;
let lastId = 0;
let current: { id: number; reject: (e: Error) => void } | null = null;

function start(): Running {
  const worker = new Worker(/* webpackChunkName: "prompt-worker" */ new URL('./prompt-worker.ts', import.meta.url));
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (event: MessageEvent<PromptReply>): void => {
      if (event.data.type !== 'ready') return;
      worker.removeEventListener('message', onMessage);
      resolve();
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', (e) => reject(new Error(`the prompt parser's worker failed: ${(e as ErrorEvent).message || 'its script did not load'}`)), { once: true });
  });
  return { worker, ready };
}

/** The prompt as the dialect reads it, parsed in the worker within the time limit. */
export async function explainInWorker(text: string, dialect: Dialect): Promise<PromptReport> {
  current?.reject(new SupersededError('superseded'));
  const id = ++lastId;
  running ??= start();
  const { worker, ready } = running;
  return new Promise<PromptReport>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      clearTimeout(timer);
      worker.removeEventListener('message', onMessage);
      if (current?.id === id) current = null;
    };
    const onMessage = (event: MessageEvent<PromptReply>): void => {
      const reply = event.data;
      if (reply.type !== 'result' || reply.id !== id) return;
      done();
      if (reply.report) resolve(reply.report);
      else reject(new Error(reply.error ?? 'no result'));
    };
    current = {
      id,
      reject: (e) => {
        done();
        reject(e);
      },
    };
    worker.addEventListener('message', onMessage);
    ready.then(
      () => {
        if (current?.id !== id) return;
        const limit = timeLimitMs();
        timer = setTimeout(() => {
          // The parser is stuck on this prompt: stop it; the next prompt gets a fresh worker.
          worker.terminate();
          if (running?.worker === worker) running = null;
          current?.reject(new Error(`the ${dialect} parser took more than ${limit / 1000} s on this prompt and was stopped (it runs in a worker, so the page stayed responsive)`));
        }, limit);
        worker.postMessage({ id, text, dialect } satisfies PromptRequest);
      },
      (error: unknown) => {
        if (running?.worker === worker) running = null;
        current?.reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
