// What an engine loader gets from the worker's runtime: where things are, what the browser offers,
// and where to report what it skipped and how the download goes.
import type { Progress } from './contracts';
import type { Platform } from './engine-choice';

export interface LoadContext {
  /** An absolute URL under the site's base. */
  siteUrl(path: string): string;
  /** A hub mirror (?hf_endpoint=), or null for huggingface.co. */
  hubEndpoint: string | null;
  /** Read SD2 from Cache Storage only. */
  offline: boolean;
  platform: Platform;
  /** A backend or engine that could not start, and why. */
  skip(reason: string): void;
  onProgress(progress: Progress): void;
}

/** No backend of an engine could start here (the next engine is tried under auto). */
export class EngineStartError extends Error {
  override name = 'EngineStartError';
}
