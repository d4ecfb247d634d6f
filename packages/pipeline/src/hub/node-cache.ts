import type { FileProgress } from '../file-source.js';
import { RepoCacheLayout, fileSize, isCommitHash } from './cache-layout.js';
import { downloadBlob, sha256File } from './download.js';
import { EntryNotFoundError, HubError, IntegrityError, LocalEntryNotFoundError } from './errors.js';
import { isConnectionError, isSha256, type Timeouts } from './http.js';
import { fetchFileMetadata, type FileMetadata } from './metadata.js';
import { withBlobLock } from './blob-lock.js';
import { resolveUrl } from './endpoint.js';
import { sameOrigin, withoutAuth } from './redirects.js';

export interface HubRequest {
  repoId: string;
  revision: string;
  path: string;
  endpoint: string;
  headers: Record<string, string>;
  offline: boolean;
  fetch: typeof fetch;
  retries: number;
  timeouts: Timeouts;
  onProgress?: (p: FileProgress) => void;
}

export interface CachedFile {
  /** `snapshots/<commit>/<path>` in the cache. */
  localPath: string;
  size: number;
  /** True when no byte had to be transferred. */
  fromCache: boolean;
}

// One transfer per blob per process, however many callers ask for it at once.
const inFlight = new Map<string, Promise<CachedFile | null>>();

/**
 * hf_hub_download for Node: the file at `revision`, from the shared Hugging Face cache or the hub.
 * Returns null when the file does not exist in the repo.
 */
export function fetchToCache(cacheDir: string, request: HubRequest): Promise<CachedFile | null> {
  const key = `${cacheDir}\0${request.repoId}\0${request.revision}\0${request.path}`;
  const running = inFlight.get(key);
  if (running !== undefined) return running;
  const job = fetchToCacheOnce(new RepoCacheLayout(cacheDir, request.repoId), request).finally(() => inFlight.delete(key));
  inFlight.set(key, job);
  return job;
}

async function fetchToCacheOnce(layout: RepoCacheLayout, request: HubRequest): Promise<CachedFile | null> {
  const { repoId, revision, path } = request;
  const what = `${path} in ${repoId}@${revision}`;

  // A pinned commit already in the cache needs no network at all.
  if (isCommitHash(revision)) {
    const hit = await fromSnapshot(layout, revision, path, null);
    if (hit !== null && hit !== 'corrupt') return report(request, hit);
  }
  if (request.offline) return fromCacheOnly(layout, request, 'offline mode is on (HF_HUB_OFFLINE)');

  let meta: FileMetadata;
  try {
    meta = await fetchFileMetadata(resolveUrl(request.endpoint, repoId, revision, path), request.headers, request.fetch, what, request.timeouts);
  } catch (error) {
    if (error instanceof EntryNotFoundError) {
      const commit = await layout.commitFor(revision);
      if (commit !== null) await layout.markMissing(commit, path);
      return null;
    }
    if (isConnectionError(error)) return fromCacheOnly(layout, request, `the hub is unreachable (${describe(error)})`);
    // A hub outage (5xx) still serves what is cached, as huggingface_hub does; otherwise its error stands.
    if (error instanceof HubError && error.status !== null && error.status >= 500) {
      try {
        return await fromCacheOnly(layout, request, error.message);
      } catch (cacheError) {
        if (cacheError instanceof LocalEntryNotFoundError) throw error;
        throw cacheError;
      }
    }
    throw error;
  }

  const commitHash = meta.commitHash ?? (isCommitHash(revision) ? revision : null);
  if (commitHash === null) {
    throw new HubError(`${what}: the server sent no X-Repo-Commit header, so the file cannot be placed in the cache.`);
  }
  await layout.writeRef(revision, commitHash);

  const pointer = layout.snapshotPath(commitHash, path);
  const hit = await fromSnapshot(layout, commitHash, path, meta);
  if (hit !== null && hit !== 'corrupt') return report(request, hit);

  const blob = layout.blobPath(meta.etag, what);
  // Downloads go to the hub's origin with the token, to any other (the LFS CDN) without it.
  const headers = sameOrigin(meta.location, request.endpoint) ? request.headers : withoutAuth(request.headers);
  // One writer per blob across processes: whoever waited finds the blob the other one wrote.
  const fetched = await withBlobLock(layout.lockPath(meta.etag, what), what, async () => {
    if (await blobIsSound(blob, meta)) return false;
    await downloadBlob({
      url: meta.location,
      headers,
      blobPath: blob,
      etag: meta.etag,
      expectedSize: meta.size,
      file: path,
      fetch: request.fetch,
      retries: request.retries,
      timeouts: request.timeouts,
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    });
    return true;
  });
  await layout.link(blob, pointer);
  const file = { localPath: pointer, size: (await fileSize(pointer)) ?? 0, fromCache: !fetched };
  return fetched ? file : report(request, file);
}

/**
 * A cached snapshot file, checked before use: its size against the hub's (when known) and, for blobs
 * named by sha256, its content. A damaged one is evicted ('corrupt') so the caller can fetch it again.
 */
async function fromSnapshot(
  layout: RepoCacheLayout,
  commitHash: string,
  path: string,
  meta: FileMetadata | null,
): Promise<CachedFile | 'corrupt' | null> {
  const pointer = layout.snapshotPath(commitHash, path);
  const size = await fileSize(pointer);
  if (size === null) return null;
  const { realpath } = await import('node:fs/promises');
  const { basename } = await import('node:path');
  // Offline, the blob's own name (an LFS sha256) is the checksum; copies (no symlinks) carry none.
  const etag = meta?.etag ?? basename(await realpath(pointer));
  const sizeOk = meta === null || meta.size === null || meta.size === size;
  const hashOk = sizeOk && (!isSha256(etag) || (await sha256File(pointer)) === etag);
  if (sizeOk && hashOk) return { localPath: pointer, size, fromCache: true };
  await layout.evict(pointer);
  return 'corrupt';
}

async function blobIsSound(blob: string, meta: FileMetadata): Promise<boolean> {
  const size = await fileSize(blob);
  if (size === null) return false;
  if (meta.size !== null && size !== meta.size) return false;
  return !isSha256(meta.etag) || (await sha256File(blob)) === meta.etag;
}

async function fromCacheOnly(layout: RepoCacheLayout, request: HubRequest, why: string): Promise<CachedFile | null> {
  const { repoId, revision, path } = request;
  const commit = await layout.commitFor(revision);
  if (commit !== null) {
    const hit = await fromSnapshot(layout, commit, path, null);
    if (hit === 'corrupt') {
      throw new IntegrityError(`The cached ${path} of ${repoId} was corrupted and has been removed; ${why}, so it cannot be fetched again now.`);
    }
    if (hit !== null) return report(request, hit);
    if (await layout.isMarkedMissing(commit, path)) return null;
  }
  throw new LocalEntryNotFoundError(
    `Cannot load ${path} of ${repoId} (revision ${revision}): ${why} and the file is not in the cache at ${layout.storageFolder}.`,
  );
}

function report(request: HubRequest, file: CachedFile): CachedFile {
  request.onProgress?.({ file: request.path, loaded: file.size, total: file.size });
  return file;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}
