import type { FileProgress } from '../file-source.js';
import {
  EntryNotFoundError,
  GatedRepoError,
  HubError,
  HubTimeoutError,
  IntegrityError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
} from './errors.js';

/** How long to wait for a response, and for each piece of a body, before giving up. */
export interface Timeouts {
  /** Milliseconds until the response headers arrive (huggingface_hub's HF_HUB_ETAG_TIMEOUT, 10 s). */
  request: number;
  /** Milliseconds without a byte of the body (huggingface_hub's HF_HUB_DOWNLOAD_TIMEOUT, 10 s). */
  idle: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({ request: 10_000, idle: 10_000 });

/** The longest delay setTimeout honours (2^31 - 1 ms); hubTimeouts clamps to it, with a warning. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * fetch that gives up when the response headers take longer than `timeouts.request`: a stalled
 * server fails in seconds with a message that says which setting to raise, not after the
 * platform's own minutes-long limit. The body is read with `readWithIdleTimeout`.
 */
export async function fetchWithTimeout(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  timeouts: Timeouts,
  what: string,
): Promise<{ response: Response; controller: AbortController }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.min(timeouts.request, MAX_TIMEOUT_MS));
  try {
    return { response: await fetchImpl(url, { ...init, signal: controller.signal }), controller };
  } catch (error) {
    if (controller.signal.aborted) {
      throw new HubTimeoutError(
        `${what}: no response from ${url} within ${timeouts.request / 1000} s; the server or the connection is stalled. ` +
          'Retry, or allow longer with HF_HUB_ETAG_TIMEOUT (seconds) or the requestTimeout option (ms).',
        null,
        url,
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads a body chunk by chunk, aborting when no byte arrives for `idleMs` (the request is
 * cancelled through `controller`, so no socket is left hanging).
 */
export async function* readWithIdleTimeout(
  body: ReadableStream<Uint8Array>,
  controller: AbortController,
  idleMs: number,
  what: string,
  url: string,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Settle first, then abort: the pending read's AbortError must not win the race.
          setTimeout(() => controller.abort(), 0);
          reject(
            new HubTimeoutError(
              `${what}: the download from ${url} stalled (no data for ${idleMs / 1000} s). ` +
                'It resumes on retry; allow longer with HF_HUB_DOWNLOAD_TIMEOUT (seconds) or the idleTimeout option (ms).',
              null,
              url,
            ),
          );
        }, Math.min(idleMs, MAX_TIMEOUT_MS));
      });
      try {
        const { done, value } = await Promise.race([reader.read(), stalled]);
        if (done) return;
        yield value;
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

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

/**
 * Reads a body to memory, reporting progress, within the idle timeout. With a `total` (the size
 * the server announced for the bytes as they arrive), reading stops at the first byte past it.
 */
export async function readBody(
  response: Response,
  controller: AbortController,
  file: string,
  total: number | null,
  timeouts: Timeouts,
  onProgress?: (p: FileProgress) => void,
): Promise<Uint8Array> {
  const body = response.body;
  if (body === null) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for await (const value of readWithIdleTimeout(body, controller, timeouts.idle, file, response.url)) {
    if (total !== null && loaded + value.byteLength > total) {
      controller.abort();
      throw new IntegrityError(`${file}: the server sent more than the ${total} bytes it announced; the transfer was stopped.`, response.status, response.url);
    }
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

/**
 * Content-Length as the size of the body we read: null when absent, malformed, or counting
 * compressed bytes (fetch hands us the decoded body).
 */
export function contentLength(response: Response): number | null {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return null;
  const value = response.headers.get('content-length');
  if (value === null) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** A fetch failure with no (whole) HTTP response: DNS, refused, reset, stalled. Falls back to the cache; transfers resume. */
export function isConnectionError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof HubTimeoutError || (error as { name?: unknown } | null)?.name === 'AbortError';
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The hub names LFS blobs by their sha256, so a 64-hex etag doubles as a checksum. */
export function isSha256(etag: string): boolean {
  return /^[0-9a-f]{64}$/.test(etag);
}
