// One cells' worker as the page holds it: started with one configuration, requests matched to
// their replies by id, and its death (a script that does not load, an uncaught error, terminate)
// answered at once to every request still waiting, so nothing hangs on a worker that is gone.
import type { InUse, LoadReport, RuntimeConfig } from './contracts';
import type { WorkerReply, WorkerRequest } from './messages';

/** How long the worker's script may take to start before it counts as failed. */
export const WORKER_START_TIMEOUT_MS = 30_000;

/** A reply to one request, or null: the worker died (`slot.dead` says why). */
export type ReplyHandler = (reply: WorkerReply | null) => void;

let lastId = 0;
export const nextRequestId = (): number => ++lastId;

export class WorkerSlot {
  /** Why the worker is gone; null while it lives. */
  dead: string | null = null;
  /** The encoder loaded there (a 'ready' report came). */
  loaded = false;
  /** What it loaded, once it did. */
  inUse: InUse | null = null;
  private readonly worker: Worker | null;
  private readonly waiting = new Map<number, ReplyHandler>();
  private alive = false;
  private readonly startTimer: ReturnType<typeof setTimeout>;

  constructor(
    readonly config: RuntimeConfig,
    private readonly onReport: (slot: WorkerSlot, report: Partial<LoadReport>) => void,
    private readonly onDeath: (slot: WorkerSlot) => void,
  ) {
    let worker: Worker | null = null;
    try {
      worker = new Worker(/* webpackChunkName: "cell-worker" */ new URL('./cell-worker.ts', import.meta.url));
    } catch (error) {
      queueMicrotask(() => this.die(`the cells' worker could not start: ${error instanceof Error ? error.message : String(error)}`));
    }
    this.worker = worker;
    this.startTimer = setTimeout(() => {
      if (!this.alive) this.die(`the cells' worker did not start within ${WORKER_START_TIMEOUT_MS / 1000} s`);
    }, WORKER_START_TIMEOUT_MS);
    if (!worker) return;
    worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => this.receive(event.data));
    worker.addEventListener('error', (event: Event) => {
      // A script that fails to load gives a bare Event; an uncaught exception an ErrorEvent with its message.
      const text = event instanceof ErrorEvent && event.message ? event.message : '';
      this.die(
        this.alive
          ? `the cells' worker stopped on an uncaught error${text ? `: ${text}` : ''}`
          : `the cells' worker could not start${text ? `: ${text}` : ' (its script did not load)'}`,
      );
    });
    worker.addEventListener('messageerror', () => this.die('the cells\' worker sent a message the page could not read'));
    worker.postMessage({ type: 'configure', config } satisfies WorkerRequest);
  }

  private receive(reply: WorkerReply): void {
    if (this.dead) return;
    if (reply.type === 'alive') {
      this.alive = true;
      clearTimeout(this.startTimer);
      return;
    }
    if (reply.type === 'report') {
      if (reply.report.phase === 'ready') this.loaded = true;
      if (reply.report.inUse) this.inUse = reply.report.inUse;
      this.onReport(this, reply.report);
      return;
    }
    this.waiting.get(reply.id)?.(reply);
  }

  /** Sends a request; `onReply` gets every reply with its id, or null when the worker dies first. */
  send(request: WorkerRequest & { id: number }, onReply: ReplyHandler): void {
    if (this.dead || !this.worker) {
      queueMicrotask(() => onReply(null));
      return;
    }
    this.waiting.set(request.id, onReply);
    this.worker.postMessage(request);
  }

  /** Stops listening for a request's replies (it is answered). */
  forget(id: number): void {
    this.waiting.delete(id);
  }

  /** Terminates the worker (its downloads stop, its memory goes); requests still waiting get null. */
  terminate(reason: string): void {
    this.die(reason);
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = reason;
    this.loaded = false;
    clearTimeout(this.startTimer);
    this.worker?.terminate();
    const handlers = [...this.waiting.values()];
    this.waiting.clear();
    for (const handler of handlers) handler(null);
    this.onDeath(this);
  }
}
