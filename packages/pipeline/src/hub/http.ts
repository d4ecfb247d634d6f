import type { FileProgress } from '../file-source.js';
import {
  EntryNotFoundError,
  GatedRepoError,
  HubError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
} from './errors.js';

export function authHeaders(token: string | null): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** Throws the hub error matching a failed response; the hub says which in `X-Error-Code`. */
export function raiseForStatus(response: Response, url: string, what: string): void {
  if (response.ok || (response.status >= 300 && response.status < 400)) return;
  const code = response.headers.get('x-error-code');
  const status = response.status;
  const message = response.headers.get('x-error-message');
  const detail = message === null ? '' : ` (${message})`;
  if (code === 'GatedRepo') {
    throw new GatedRepoError(`${what} is gated: accept its conditions on the hub and pass a token (HF_TOKEN)${detail}.`, status, url);
  }
  if (code === 'RepoNotFound' || status === 401) {
    throw new RepositoryNotFoundError(
      `${what}: repository not found, private or gated (HTTP ${status}). If it exists, pass a token with access (HF_TOKEN or the token option)${detail}.`,
      status,
      url,
    );
  }
  if (code === 'RevisionNotFound') throw new RevisionNotFoundError(`${what}: revision not found${detail}.`, status, url);
  // A bare 404 (mirrors, static servers) is taken as a missing file, so optional files stay optional.
  if (code === 'EntryNotFound' || status === 404) throw new EntryNotFoundError(`${what}: no such file${detail}.`, status, url);
  throw new HubError(`${what}: HTTP ${status} ${response.statusText}${detail}.`, status, url);
}

/** Reads a body to memory, reporting progress; `offset` bytes were already there (resumed transfers). */
export async function readBody(
  response: Response,
  file: string,
  total: number | null,
  onProgress?: (p: FileProgress) => void,
): Promise<Uint8Array> {
  const body = response.body;
  if (body === null) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.({ file, loaded, total });
  }
  return concat(chunks, loaded);
}

export function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

export function contentLength(response: Response): number | null {
  const value = response.headers.get('content-length');
  if (value === null) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** A fetch failure with no HTTP response (DNS, refused, reset): the only case that falls back to the cache. */
export function isConnectionError(error: unknown): boolean {
  return error instanceof TypeError || (error as { name?: unknown } | null)?.name === 'AbortError';
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The hub names LFS blobs by their sha256, so a 64-hex etag doubles as a checksum. */
export function isSha256(etag: string): boolean {
  return /^[0-9a-f]{64}$/.test(etag);
}
