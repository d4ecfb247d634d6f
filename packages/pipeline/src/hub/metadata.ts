import { checkCommitHash, checkEtag } from '@sdtext/core';
import { HubError } from './errors.js';
import { fetchWithTimeout, raiseForStatus, type Timeouts } from './http.js';
import { isPathOnly, redirectTarget } from './redirects.js';

/** What a HEAD on `resolve/` tells about a file, as huggingface_hub's `get_hf_file_metadata` reads it. */
export interface FileMetadata {
  /** `X-Repo-Commit`: the commit the revision points to; null from servers that do not send it. */
  commitHash: string | null;
  /** `X-Linked-Etag` (LFS: the sha256) or `ETag` (git blob id), without quotes or `W/`. */
  etag: string;
  /** `X-Linked-Size` or `Content-Length`. */
  size: number | null;
  /** Where to GET the bytes: the CDN URL of an LFS redirect, or the resolved URL itself. */
  location: string;
}

export function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * HEAD without following redirects, except path-only ones that stay on the hub's origin (a renamed
 * repo): an LFS file answers 302 to the CDN and the headers on that 302 are the ones that describe
 * the file. The origin is compared on the URL fetch will request (`new URL(location, current)`),
 * never on the string alone, and whatever leaves it is the CDN, fetched without the token.
 */
export async function fetchFileMetadata(
  url: string,
  headers: Record<string, string>,
  fetchImpl: typeof fetch,
  what: string,
  timeouts: Timeouts,
): Promise<FileMetadata> {
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const head = (redirect: RequestRedirect): Promise<Response> =>
      fetchWithTimeout(fetchImpl, current, { method: 'HEAD', headers: { ...headers, 'accept-encoding': 'identity' }, redirect }, timeouts, what).then(
        (r) => r.response,
      );
    let response = await head('manual');
    // Browsers hide manual redirects (opaqueredirect); there we can only follow them (and the browser
    // drops Authorization on a cross-origin hop, as the fetch standard says).
    if (response.type === 'opaqueredirect') response = await head('follow');
    raiseForStatus(response, current, what);
    const location = response.headers.get('location');
    const isRedirect = response.status >= 300 && response.status < 400 && location !== null;
    const target = isRedirect ? redirectTarget(location, current, what) : null;
    if (target !== null && isPathOnly(location!) && target.origin === origin) {
      current = target.toString();
      continue;
    }
    const etagHeader = response.headers.has('x-linked-etag') ? 'X-Linked-Etag' : 'ETag';
    const etag = response.headers.get(etagHeader);
    if (etag === null) {
      throw new HubError(`${what}: the server sent no ETag, so the file cannot be cached reliably.`, response.status, current);
    }
    const sizeHeader = response.headers.get('x-linked-size') ?? (isRedirect ? null : response.headers.get('content-length'));
    const size = sizeHeader === null ? null : Number(sizeHeader);
    // Both name folders in the cache (blobs/<etag>, snapshots/<commit>): checked before any use.
    const commitHash = response.headers.get('x-repo-commit');
    return {
      commitHash: commitHash === null ? null : checkCommitHash(commitHash, `${what}: X-Repo-Commit header of ${current}`),
      etag: checkEtag(normalizeEtag(etag), `${what}: ${etagHeader} header of ${current}`),
      size: size !== null && Number.isSafeInteger(size) ? size : null,
      location: target !== null ? target.toString() : current,
    };
  }
  throw new HubError(`${what}: too many redirects.`, null, url);
}
