import type { FileProgress, FileSource } from '../file-source.js';
import { DEFAULT_BROWSER_CACHE, fetchWithBrowserCache, hasCacheStorage } from '../browser-cache.js';
import { hubCacheDir, hubEndpoint, hubTimeouts, hubToken, isOffline, resolveUrl, type HubOptions } from './endpoint.js';
import { EntryNotFoundError, LocalEntryNotFoundError } from './errors.js';
import { checkRepoPath, checkRevision } from '@sdtext/core';
import { authHeaders, contentLength, raiseForStatus, readBody } from './http.js';
import { fetchFollowingRedirects } from './redirects.js';
import { fetchToCache, type CachedFile, type HubRequest } from './node-cache.js';

export interface HubSourceOptions extends HubOptions {
  /** Branch, tag or commit hash; default "main". */
  revision?: string;
  /** Called for every file's progress, in addition to the per-call callback. */
  onProgress?: (p: FileProgress) => void;
  /** Cache Storage name in browsers; `false` disables it. */
  browserCache?: string | false;
}

/**
 * A hub repo as a FileSource. Node: through the shared Hugging Face cache on disk (files a Python user
 * downloaded are reused and vice versa). Browsers: through Cache Storage. Missing files read as null.
 */
export class HubFileSource implements FileSource {
  readonly name: string;
  readonly revision: string;
  private tokenPromise: Promise<string | null> | null = null;

  constructor(
    readonly repoId: string,
    private readonly options: HubSourceOptions = {},
  ) {
    // Checked here, before anything else: the revision names refs/<revision> in the cache.
    this.revision = checkRevision(options.revision ?? 'main', `${repoId}: revision option`);
    this.name = `hub:${repoId}@${this.revision}`;
  }

  async readBytes(path: string, onProgress?: (p: FileProgress) => void): Promise<Uint8Array | null> {
    const request = await this.request(path, onProgress);
    const cacheDir = await hubCacheDir(this.options);
    try {
      if (cacheDir !== null) {
        const file = await fetchToCache(cacheDir, request);
        if (file === null) return null;
        const { readFile } = await import('node:fs/promises');
        return new Uint8Array(await readFile(file.localPath));
      }
      const cacheName = this.options.browserCache ?? DEFAULT_BROWSER_CACHE;
      if (cacheName !== false && hasCacheStorage()) return await fetchWithBrowserCache(request, cacheName);
      return await this.fetchDirect(request);
    } catch (error) {
      if (error instanceof EntryNotFoundError) return null;
      throw error;
    }
  }

  async readText(path: string): Promise<string | null> {
    const bytes = await this.readBytes(path);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }

  /** Whether files can go to a disk cache (Node, cacheDir not false): then `download` works. */
  async hasDiskCache(): Promise<boolean> {
    return (await hubCacheDir(this.options)) !== null;
  }

  /** Node: makes sure `path` is in the disk cache and says where; null when the repo has no such file. */
  async download(path: string, onProgress?: (p: FileProgress) => void): Promise<CachedFile | null> {
    const cacheDir = await hubCacheDir(this.options);
    if (cacheDir === null) throw new Error('HubFileSource.download needs a disk cache (Node, cacheDir not false).');
    try {
      return await fetchToCache(cacheDir, await this.request(path, onProgress));
    } catch (error) {
      if (error instanceof EntryNotFoundError) return null;
      throw error;
    }
  }

  private async request(path: string, onProgress?: (p: FileProgress) => void): Promise<HubRequest> {
    checkRepoPath(path, this.name);
    this.tokenPromise ??= hubToken(this.options);
    const sourceProgress = this.options.onProgress;
    const both =
      onProgress && sourceProgress
        ? (p: FileProgress) => {
            sourceProgress(p);
            onProgress(p);
          }
        : (onProgress ?? sourceProgress);
    return {
      repoId: this.repoId,
      revision: this.revision,
      path,
      endpoint: hubEndpoint(this.options),
      headers: authHeaders(await this.tokenPromise),
      offline: isOffline(this.options),
      fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
      retries: this.options.retries ?? 5,
      timeouts: hubTimeouts(this.options),
      ...(both ? { onProgress: both } : {}),
    };
  }

  /** No cache at all (cacheDir false outside browsers): a plain GET. */
  private async fetchDirect(request: HubRequest): Promise<Uint8Array | null> {
    const { repoId, revision, path } = request;
    if (request.offline) {
      throw new LocalEntryNotFoundError(`Cannot load ${path} of ${repoId} (revision ${revision}): offline mode is on and caching is disabled.`);
    }
    const url = resolveUrl(request.endpoint, repoId, revision, path);
    const what = `${path} in ${repoId}@${revision}`;
    const { response, controller } = await fetchFollowingRedirects(request.fetch, url, { headers: request.headers }, request.timeouts, what);
    raiseForStatus(response, url, what);
    return readBody(response, controller, path, contentLength(response), request.timeouts, request.onProgress);
  }
}
