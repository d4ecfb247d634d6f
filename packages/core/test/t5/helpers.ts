import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSourceFiles, type ModelFiles, type SafetensorsDtype } from '../../src/index.js';

/** The T5 fixtures made by scripts/t5/make-t5-references.py. */
export const T5_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../models/fixtures/t5');

/** One tensor as raw bytes, for files the writer cannot make (F8, BF16, scalars, wrong dtypes). */
export interface RawEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

/** A safetensors file from raw entries, in order. */
export function rawSafetensors(entries: Iterable<[string, RawEntry]>): Uint8Array {
  const header: Record<string, unknown> = {};
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, { dtype, shape, bytes }] of entries) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** A fixture file's tensors as raw entries, in file order. */
export function readRawEntries(file: string): Map<string, RawEntry> {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] }>;
  const entries = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  return new Map(entries.map(([name, { dtype, shape, data_offsets: [begin, end] }]) => [name, { dtype, shape, bytes: bytes.slice(8 + n + begin, 8 + n + end) }]));
}

/** Model files held in memory: `config.json` (if given) and any safetensors files by name. */
export function memoryFiles(files: Record<string, Uint8Array | string>, name = 'mem:t5'): ModelFiles {
  return fileSourceFiles({
    name,
    async readText(p) {
      const f = files[p];
      return f === undefined ? null : typeof f === 'string' ? f : new TextDecoder().decode(f);
    },
    async readBytes(p) {
      const f = files[p];
      return f === undefined ? null : typeof f === 'string' ? new TextEncoder().encode(f) : f;
    },
  });
}

export const fixtureConfig = (model: string): string => fs.readFileSync(path.join(T5_FIXTURES, model, 'config.json'), 'utf8');
