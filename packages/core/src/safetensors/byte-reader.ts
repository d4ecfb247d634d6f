import { importNodeFs } from '../node-fs.js';
/** Where safetensors bytes come from: a file path (Node), a URL (fetch), bytes in memory or a Blob. */
export type ByteSource = string | URL | ArrayBuffer | Uint8Array | Blob;

/** Loading progress of one file. `total` is null when the server does not say. */
export interface ByteProgress {
  file: string;
  loaded: number;
  total: number | null;
}

export interface ByteReaderOptions {
  /** Name used in messages (defaults to the path or URL). */
  name?: string;
  onProgress?: (p: ByteProgress) => void;
  /** fetch to use for URLs (defaults to globalThis.fetch). */
  fetch?: typeof fetch;
}

/**
 * Sequential random access to a file's bytes. Offsets never go backwards, which lets a network
 * stream hand over each tensor's bytes and forget them, so a whole file is never held twice.
 */
export interface ByteReader {
  readonly name: string;
  /** Total size in bytes, or null when unknown (a stream without Content-Length). */
  readonly size: number | null;
  /** Exactly `length` bytes at `offset`; throws a TruncatedError naming the file if it ends first. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** True for a network stream: offsets must never go backwards (see `randomAccessReader`). */
  readonly sequential?: boolean;
  close(): Promise<void>;
}

export class TruncatedError extends Error {
  override name = 'TruncatedError';
  constructor(
    readonly file: string,
    readonly wanted: number,
    readonly available: number,
  ) {
    super(`${file}: file is truncated: needed bytes up to offset ${wanted}, but it ends at ${available}`);
  }
}

function isUrl(source: string | URL): boolean {
  return source instanceof URL || /^(https?|blob|data):/i.test(source);
}

export async function openByteReader(source: ByteSource, options: ByteReaderOptions = {}): Promise<ByteReader> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    return memoryReader(bytes, options.name ?? '<bytes>', options.onProgress);
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return blobReader(source, options.name ?? ('name' in source && typeof source.name === 'string' ? source.name : '<blob>'), options.onProgress);
  }
  if (typeof source === 'string' && !isUrl(source)) return fileReader(source, options.name ?? source, options.onProgress);
  if (typeof source === 'string' || source instanceof URL) {
    return fetchReader(String(source), options.name ?? String(source), options.onProgress, options.fetch);
  }
  throw new TypeError(`unsupported byte source: ${Object.prototype.toString.call(source)}`);
}

export function memoryReader(bytes: Uint8Array, name: string, onProgress?: (p: ByteProgress) => void): ByteReader {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      if (offset + length > bytes.length) throw new TruncatedError(name, offset + length, bytes.length);
      onProgress?.({ file: name, loaded: offset + length, total: bytes.length });
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
}

function blobReader(blob: Blob, name: string, onProgress?: (p: ByteProgress) => void): ByteReader {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      if (offset + length > blob.size) throw new TruncatedError(name, offset + length, blob.size);
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      onProgress?.({ file: name, loaded: offset + length, total: blob.size });
      return bytes;
    },
    async close() {},
  };
}

async function fileReader(path: string, name: string, onProgress?: (p: ByteProgress) => void): Promise<ByteReader> {
  // Imported here, not at the top, so the package bundles for browsers.
  const fs = await importNodeFs();
  const handle = await fs.promises.open(path, 'r');
  const size = (await handle.stat()).size;
  let closed = false;
  return {
    name,
    size,
    async read(offset, length) {
      if (offset + length > size) throw new TruncatedError(name, offset + length, size);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new TruncatedError(name, offset + length, offset + done);
        done += bytesRead;
      }
      onProgress?.({ file: name, loaded: offset + length, total: size });
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

async function fetchReader(
  url: string,
  name: string,
  onProgress?: (p: ByteProgress) => void,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<ByteReader> {
  const response = await fetchImpl(url);
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status} ${response.statusText}`);
  return readerFromResponse(response, name, onProgress);
}

/** A ByteReader over a fetch Response's body, streamed: bytes already read are let go. */
export async function readerFromResponse(
  response: Response,
  name: string,
  onProgress?: (p: ByteProgress) => void,
): Promise<ByteReader> {
  const length = response.headers.get('content-length');
  // With Content-Encoding the header counts compressed bytes: treat the size as unknown then.
  const size = length !== null && !response.headers.get('content-encoding') ? Number(length) : null;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    return memoryReader(bytes, name, onProgress);
  }
  const stream = response.body.getReader();
  let chunks: Uint8Array[] = []; // buffered bytes, starting at file offset `start`
  let start = 0;
  let buffered = 0;
  let received = 0;
  let ended = false;

  const pull = async (): Promise<boolean> => {
    const { done, value } = await stream.read();
    if (done) {
      ended = true;
      return false;
    }
    chunks.push(value);
    buffered += value.length;
    received += value.length;
    onProgress?.({ file: name, loaded: received, total: size });
    return true;
  };

  return {
    name,
    size,
    sequential: true,
    async read(offset, length) {
      if (offset < start) throw new Error(`${name}: reads must go forward (asked ${offset}, at ${start})`);
      const end = offset + length;
      while (start + buffered < end) {
        if (ended || !(await pull())) throw new TruncatedError(name, end, start + buffered);
      }
      // Drop what lies before `offset`: those bytes are never read again.
      let skip = offset - start;
      while (chunks.length > 0 && skip >= chunks[0]!.length) {
        skip -= chunks[0]!.length;
        start += chunks[0]!.length;
        buffered -= chunks[0]!.length;
        chunks.shift();
      }
      const out = new Uint8Array(length);
      let filled = 0;
      let i = 0;
      while (filled < length) {
        const chunk = chunks[i]!;
        const from = i === 0 ? skip : 0;
        const take = Math.min(chunk.length - from, length - filled);
        out.set(chunk.subarray(from, from + take), filled);
        filled += take;
        i++;
      }
      // Keep only the tail of the last chunk used: it may hold the next tensor's first bytes.
      const consumed = end - start;
      let rest = consumed;
      const kept: Uint8Array[] = [];
      for (const chunk of chunks) {
        if (rest >= chunk.length) {
          rest -= chunk.length;
          continue;
        }
        kept.push(rest > 0 ? chunk.subarray(rest) : chunk);
        rest = 0;
      }
      chunks = kept;
      buffered -= consumed;
      start = end;
      return out;
    },
    async close() {
      if (ended) return;
      ended = true;
      await stream.cancel().catch(() => undefined);
    },
  };
}

/**
 * A reader that may go backwards (a zip is read from its end): `reader` itself, or for a network
 * stream its whole body read into memory, at most `maxBytes` (the caller's cap for such files).
 */
export async function randomAccessReader(reader: ByteReader, maxBytes: number, error: (message: string) => Error): Promise<ByteReader> {
  if (!reader.sequential) return reader;
  if (reader.size === null || reader.size > maxBytes) {
    throw error(`${reader.name}: a stream of ${reader.size ?? 'unknown'} bytes cannot be read backwards (at most ${maxBytes} are buffered)`);
  }
  const bytes = await reader.read(0, reader.size);
  await reader.close();
  return memoryReader(bytes, reader.name);
}
