import { checkRepoPath } from '@sdtext/core';
import type { FileProgress, FileSource } from './file-source.js';
import { EntryNotFoundError } from './hub/errors.js';
import { DEFAULT_TIMEOUTS, contentLength, fetchWithTimeout, raiseForStatus, readBody, type Timeouts } from './hub/http.js';

export interface UrlSourceOptions {
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Milliseconds until response headers, and without body bytes (default 10 s each). */
  timeouts?: Partial<Timeouts>;
}

/** Files under a base URL (a static mirror, a dev server, a CDN folder); no caching beyond the browser's. */
export class UrlSource implements FileSource {
  readonly name: string;
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly options: UrlSourceOptions = {},
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.name = this.base;
  }

  async readBytes(path: string, onProgress?: (p: FileProgress) => void): Promise<Uint8Array | null> {
    const url = `${this.base}/${checkRepoPath(path, this.base).split('/').map(encodeURIComponent).join('/')}`;
    const what = `${path} at ${this.base}`;
    const timeouts = { ...DEFAULT_TIMEOUTS, ...this.options.timeouts };
    const fetchImpl = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const { response, controller } = await fetchWithTimeout(fetchImpl, url, { headers: this.options.headers ?? {} }, timeouts, what);
    try {
      raiseForStatus(response, url, what);
    } catch (error) {
      if (error instanceof EntryNotFoundError) return null;
      throw error;
    }
    return readBody(response, controller, path, contentLength(response), timeouts, onProgress);
  }

  async readText(path: string): Promise<string | null> {
    const bytes = await this.readBytes(path);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }
}
