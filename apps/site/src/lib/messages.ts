// What the page and the cells' worker say to each other (src/lib/worker-client.ts, src/lib/cell-worker.ts).
import type { LoadReport, RuntimeConfig } from './contracts';
import type { CellResult } from './runner';
import type { EncoderTask, TaskResult } from './tasks';

export type WorkerRequest =
  /** First message: what to load, and where from. */
  | { type: 'configure'; config: RuntimeConfig }
  /** Load the tokenizer, the engine and the model now (the bar's "Start now", a model switch). */
  | { type: 'load'; id: number }
  | { type: 'run'; id: number; code: string }
  | { type: 'task'; id: number; task: EncoderTask };

export type WorkerReply =
  /** The worker's script runs (sent first, before any request is answered). */
  | { type: 'alive' }
  | { type: 'report'; report: Partial<LoadReport> }
  | { type: 'loaded'; id: number; error: string | null }
  /** The cell's own code starts now (loading is done): the page's timeout counts from here. */
  | { type: 'started'; id: number }
  | { type: 'output'; id: number; text: string }
  | { type: 'result'; id: number; result: CellResult }
  | { type: 'task-result'; id: number; result: TaskResult | null; error: string | null };
