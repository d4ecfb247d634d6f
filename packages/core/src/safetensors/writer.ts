import type * as NodeFs from 'node:fs';
import { importNodeFs } from '../node-fs.js';
import { SAFETENSORS_DTYPE_BYTES, float32ToF16, type SafetensorsDtype } from './dtypes.js';

/**
 * Dtypes the writer accepts. Float32 data given for an F16 entry is rounded to nearest even; a
 * Uint16Array is taken as the 16-bit patterns themselves (F16 or BF16).
 */
export type WritableDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

type WritableData = Float32Array | Uint16Array | BigInt64Array | Int32Array;

export interface SafetensorsEntry {
  dtype?: WritableDtype; // default F32
  shape: number[];
  /** The values, or a function that makes them when their turn comes (so a big file is written tensor by tensor). */
  data: WritableData | (() => WritableData);
}

/** Tensors in the order they are written, by name. */
export type SafetensorsEntries = Record<string, SafetensorsEntry> | Iterable<[string, SafetensorsEntry]>;

function entriesOf(tensors: SafetensorsEntries): [string, SafetensorsEntry][] {
  return Symbol.iterator in tensors ? [...(tensors as Iterable<[string, SafetensorsEntry]>)] : Object.entries(tensors);
}

function encodeData(name: string, entry: SafetensorsEntry): Uint8Array {
  const dtype = entry.dtype ?? 'F32';
  const raw = typeof entry.data === 'function' ? entry.data() : entry.data;
  let out: WritableData;
  if (dtype === 'F16' && raw instanceof Float32Array) out = float32ToF16(raw);
  else if ((dtype === 'F16' || dtype === 'BF16') && raw instanceof Uint16Array) out = raw; // already 16-bit patterns
  else if (dtype === 'F32' && raw instanceof Float32Array) out = raw;
  else if (dtype === 'I64' && raw instanceof BigInt64Array) out = raw;
  else if (dtype === 'I32' && raw instanceof Int32Array) out = raw;
  else throw new TypeError(`tensor "${name}": ${raw.constructor.name} data does not fit dtype ${dtype}`);
  const numel = entry.shape.reduce((a, b) => a * b, 1);
  if (out.length !== numel) {
    throw new RangeError(`tensor "${name}": shape [${entry.shape.join(', ')}] has ${numel} elements, data has ${out.length}`);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * The header bytes (8-byte length + JSON, space-padded so the data section starts 8-aligned, as
 * the Rust library writes it) and each tensor's [begin, end).
 */
function buildHeader(
  entries: [string, SafetensorsEntry][],
  metadata: Record<string, string> | undefined,
): { head: Uint8Array; dataLength: number } {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, entry] of entries) {
    if (name === '__metadata__') throw new RangeError('"__metadata__" is reserved');
    const dtype: SafetensorsDtype = entry.dtype ?? 'F32';
    const nbytes = entry.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[dtype];
    header[name] = { dtype, shape: entry.shape, data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = JSON.stringify(header);
  const pad = (8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8;
  json += ' '.repeat(pad);
  const jsonBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + jsonBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  head.set(jsonBytes, 8);
  return { head, dataLength: offset };
}

/** Serializes tensors (+ string metadata) to safetensors bytes in memory. */
export function serializeSafetensors(tensors: SafetensorsEntries, metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const entries = entriesOf(tensors);
  const { head, dataLength } = buildHeader(entries, metadata);
  const out = new Uint8Array(head.length + dataLength);
  out.set(head, 0);
  let offset = head.length;
  for (const [name, entry] of entries) {
    const bytes = encodeData(name, entry);
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

/**
 * Writes a safetensors file (Node) atomically: into a temporary file beside it, then renamed, so
 * a crash or a reader never sees half a file. Tensors given as functions are made and written one
 * at a time, so memory stays at one tensor. An existing file is replaced only if it is a writable
 * regular file: the rename would otherwise silently replace a read-only file (or a folder's link).
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: SafetensorsEntries,
  metadata?: Record<string, string>,
): Promise<void> {
  const fs = await importNodeFs();
  await checkReplaceable(fs, path);
  const entries = entriesOf(tensors);
  const { head } = buildHeader(entries, metadata);
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
  const handle = await fs.promises.open(tmp, 'w');
  try {
    const writeAll = async (bytes: Uint8Array): Promise<void> => {
      for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
    };
    await writeAll(head);
    for (const [name, entry] of entries) await writeAll(encodeData(name, entry));
    await handle.sync();
    await handle.close();
    await fs.promises.rename(tmp, path);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}

/** Refuses to replace what a plain write would refuse: a read-only file (by its mode bits, which also holds as root), or a non-file. */
async function checkReplaceable(fs: typeof NodeFs, path: string): Promise<void> {
  let stat;
  try {
    stat = await fs.promises.lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!stat.isFile()) throw new Error(`${path} exists and is not a regular file; choose another output path`);
  if ((stat.mode & 0o222) === 0) throw new Error(`${path} is read-only; not replacing it (make it writable or choose another output path)`);
}
