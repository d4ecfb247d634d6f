import type { FileProgress, FileSource } from './file-source.js';
import { EntryNotFoundError } from './hub/errors.js';
import { contentLength, raiseForStatus, readBody } from './hub/http.js';

export interface UrlSourceOptions {
  fetch?: typeof fetch;
  headers?: Record<string, string>;
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
    const url = `${this.base}/${path.split('/').map(encodeURIComponent).join('/')}`;
    const response = await (this.options.fetch ?? globalThis.fetch)(url, { headers: this.options.headers ?? {} });
    try {
      raiseForStatus(response, url, `${path} at ${this.base}`);
    } catch (error) {
      if (error instanceof EntryNotFoundError) return null;
      throw error;
    }
    return readBody(response, path, contentLength(response), onProgress);
  }

  async readText(path: string): Promise<string | null> {
    const bytes = await this.readBytes(path);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }
}
