import type { HubRequest } from './hub/node-cache.js';
import { IntegrityError, LocalEntryNotFoundError } from './hub/errors.js';
import { contentLength, fetchWithTimeout, isSha256, raiseForStatus, readBody, sha256Hex } from './hub/http.js';
import { resolveUrl } from './hub/endpoint.js';

export const DEFAULT_BROWSER_CACHE = 'sdtext-hub';

/** Whether this runtime has Cache Storage (browsers, service workers). Checked per call, never at import. */
export function hasCacheStorage(): boolean {
  return typeof (globalThis as { caches?: unknown }).caches === 'object';
}

/**
 * The browser's counterpart of the disk cache: responses kept in Cache Storage under their `resolve/`
 * URL at the requested revision (as transformers.js does), cache first. Browsers follow the LFS
 * redirect themselves and hide most headers across origins, so integrity here is the size and, when
 * `X-Linked-Etag` is exposed, the sha256. A dropped transfer restarts: Cache Storage holds no partial
 * entries.
 */
export async function fetchWithBrowserCache(request: HubRequest, cacheName: string): Promise<Uint8Array | null> {
  const { repoId, revision, path } = request;
  const key = resolveUrl(request.endpoint, repoId, revision, path);
  const cache = await caches.open(cacheName);

  const hit = await cache.match(key);
  // A remembered 404 (the browser's .no_exist): trusted offline, asked again online.
  if (hit !== undefined && hit.status === 404) {
    if (request.offline) return null;
    await cache.delete(key);
  } else if (hit !== undefined) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if (await isSound(bytes, hit.headers.get('x-sdtext-size'), hit.headers.get('x-sdtext-etag'))) {
      request.onProgress?.({ file: path, loaded: bytes.byteLength, total: bytes.byteLength });
      return bytes;
    }
    await cache.delete(key);
  }
  if (request.offline) {
    throw new LocalEntryNotFoundError(
      `Cannot load ${path} of ${repoId} (revision ${revision}): offline mode is on and the file is not in Cache Storage "${cacheName}".`,
    );
  }

  const what = `${path} in ${repoId}@${revision}`;
  const { response, controller } = await fetchWithTimeout(request.fetch, key, { headers: request.headers, redirect: 'follow' }, request.timeouts, what);
  if (response.status === 404) {
    await response.body?.cancel();
    await cache.put(key, new Response(null, { status: 404 }));
    return null;
  }
  raiseForStatus(response, key, what);
  const linkedSize = response.headers.get('x-linked-size');
  const expected = linkedSize !== null ? Number(linkedSize) : contentLength(response);
  const etag = response.headers.get('x-linked-etag')?.replace(/^W\/|"/g, '') ?? null;
  const bytes = await readBody(response, controller, path, expected, request.timeouts, request.onProgress);
  if (!(await isSound(bytes, expected === null ? null : String(expected), etag))) {
    throw new IntegrityError(`Integrity check failed for ${path} of ${repoId}: size or sha256 differs from what the hub announced.`, null, key);
  }
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'x-sdtext-size': String(bytes.byteLength) };
  if (etag !== null) headers['x-sdtext-etag'] = etag;
  await cache.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
  return bytes;
}

async function isSound(bytes: Uint8Array, size: string | null, etag: string | null): Promise<boolean> {
  if (size !== null && Number(size) !== bytes.byteLength) return false;
  return etag === null || !isSha256(etag) || (await sha256Hex(bytes)) === etag;
}
