import { openByteReader, type ByteReader, type ByteReaderOptions, type ByteSource } from './byte-reader.js';
import {
  SAFETENSORS_DTYPE_BYTES,
  decodeRaw,
  isSafetensorsDtype,
  type RawTensorData,
  type SafetensorsDtype,
} from './dtypes.js';

/**
 * safetensors, per the spec (huggingface/safetensors): 8 bytes u64 little-endian N, N bytes of
 * JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the
 * data section. Offsets are relative to the data section, and the tensors cover it exactly: no
 * holes, no overlaps, nothing after the last one.
 */

/** The safetensors library refuses headers over 100 MB; so do we (a garbage length is the usual cause). */
export const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  file: string;
  /** N: the JSON header's length in bytes. */
  headerLength: number;
  /** Absolute file offset of the data section (8 + N). */
  dataStart: number;
  metadata: Record<string, string>;
  /** Every tensor, in data-section order. */
  tensors: SafetensorsTensorInfo[];
}

export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: RawTensorData;
}

export interface SafetensorsFile {
  header: SafetensorsHeader;
  metadata: Record<string, string>;
  tensors: Map<string, RawTensor>;
}

/** N from the first 8 bytes, checked against the cap and (when known) the file size. */
export function parseHeaderLength(first8: Uint8Array, file: string, fileSize: number | null): number {
  if (first8.length < 8) throw new SafetensorsError(file, `too short to be safetensors (${first8.length} bytes)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, `header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  const len = Number(n);
  if (fileSize !== null && 8 + len > fileSize) {
    throw new SafetensorsError(file, `header length ${len} runs past the end of the file (${fileSize} bytes): truncated?`);
  }
  return len;
}

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and checks the JSON header. With `fileSize` known, also checks the data section's size,
 * so a truncated file fails here, before any tensor is read.
 */
export function parseHeader(json: Uint8Array, file: string, fileSize: number | null): SafetensorsHeader {
  const headerLength = json.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError(file, 'header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new SafetensorsError(file, '__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw new SafetensorsError(file, `tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string' || !isSafetensorsDtype(dtype)) {
      throw new SafetensorsError(file, `tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      throw new SafetensorsError(file, `tensor "${name}": bad shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt) || offsets[0]! > offsets[1]!) {
      throw new SafetensorsError(file, `tensor "${name}": bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const nbytes = (shape as number[]).reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[dtype];
    if (end - begin !== nbytes) {
      throw new SafetensorsError(
        file,
        `tensor "${name}": ${dtype} [${shape.join(', ')}] needs ${nbytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    tensors.push({ name, dtype, shape: shape as number[], dataOffsets: [begin, end] });
  }

  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let covered = 0;
  let previous = '';
  for (const t of tensors) {
    const [begin, end] = t.dataOffsets;
    if (begin > covered) {
      throw new SafetensorsError(file, `hole in the data section: bytes [${covered}, ${begin}) belong to no tensor (before "${t.name}")`);
    }
    if (begin < covered) {
      throw new SafetensorsError(file, `tensor "${t.name}" at [${begin}, ${end}) overlaps "${previous}", which ends at ${covered}`);
    }
    covered = end;
    previous = t.name;
  }
  const dataStart = 8 + headerLength;
  if (fileSize !== null) {
    const dataLength = fileSize - dataStart;
    if (covered > dataLength) {
      throw new SafetensorsError(
        file,
        `offsets past the end: "${previous}" ends at data offset ${covered}, but the data section has ${dataLength} bytes (truncated file?)`,
      );
    }
    if (covered < dataLength) {
      throw new SafetensorsError(file, `${dataLength - covered} stray bytes after the last tensor (data offset ${covered})`);
    }
  }
  return { file, headerLength, dataStart, metadata, tensors };
}

/** Reads and checks the header through a ByteReader. */
export async function readHeader(reader: ByteReader): Promise<SafetensorsHeader> {
  if (reader.size !== null && reader.size < 8) {
    throw new SafetensorsError(reader.name, `too short to be safetensors (${reader.size} bytes)`);
  }
  const n = parseHeaderLength(await reader.read(0, 8), reader.name, reader.size);
  return parseHeader(await reader.read(8, n), reader.name, reader.size);
}

/**
 * Yields each tensor's stored bytes in file order, one at a time, so the caller can convert and
 * drop them. `want` filters which tensors are read (the others are skipped, for files, unread).
 */
export async function* iterateTensorBytes(
  reader: ByteReader,
  header: SafetensorsHeader,
  want: (info: SafetensorsTensorInfo) => boolean = () => true,
): AsyncGenerator<{ info: SafetensorsTensorInfo; bytes: Uint8Array }> {
  for (const info of header.tensors) {
    if (!want(info)) continue;
    const [begin, end] = info.dataOffsets;
    const bytes = await reader.read(header.dataStart + begin, end - begin);
    yield { info, bytes };
  }
}

/** Parses a whole safetensors file held in memory, every tensor as its raw typed data (I64 included). */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer, file = '<bytes>'): SafetensorsFile {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const n = parseHeaderLength(u8.subarray(0, 8), file, u8.length);
  const header = parseHeader(u8.subarray(8, 8 + n), file, u8.length);
  const tensors = new Map<string, RawTensor>();
  for (const t of header.tensors) {
    const [begin, end] = t.dataOffsets;
    const data = decodeRaw(t.dtype, u8.subarray(header.dataStart + begin, header.dataStart + end));
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data });
  }
  return { header, metadata: header.metadata, tensors };
}

/** Reads a safetensors file from a path (Node), URL, Blob or bytes: every tensor, raw. */
export async function loadSafetensors(source: ByteSource, options: ByteReaderOptions = {}): Promise<SafetensorsFile> {
  const reader = await openByteReader(source, options);
  try {
    const header = await readHeader(reader);
    const tensors = new Map<string, RawTensor>();
    for await (const { info, bytes } of iterateTensorBytes(reader, header)) {
      tensors.set(info.name, { dtype: info.dtype, shape: info.shape, data: decodeRaw(info.dtype, bytes) });
    }
    return { header, metadata: header.metadata, tensors };
  } finally {
    await reader.close();
  }
}

/** Reads only the header (for files: only its first 8 + N bytes). */
export async function loadSafetensorsHeader(source: ByteSource, options: ByteReaderOptions = {}): Promise<SafetensorsHeader> {
  const reader = await openByteReader(source, options);
  try {
    return await readHeader(reader);
  } finally {
    await reader.close();
  }
}
