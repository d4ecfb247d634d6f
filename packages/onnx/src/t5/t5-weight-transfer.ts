import type { CheckedT5Checkpoint } from '@sdtext/core/t5';
import { LinkUnavailableError } from '../linked-folder.js';
import type { ExternalFile } from '../onnx/graph-builder.js';
import { DataType } from '../onnx/onnx-proto.js';
import { ONNX_STORED_TYPES, type T5GraphWeights, type T5WeightLocation } from './t5-graph-weights.js';

const STORED_TYPE = { F32: DataType.FLOAT, F16: DataType.FLOAT16, BF16: DataType.BFLOAT16 } as const;

/** Whether every weight can be pointed at as stored (F8 cannot: ORT gets it as F16, written out). */
export function linkable(opened: CheckedT5Checkpoint): boolean {
  return [...opened.sources.values()].every((s) => ONNX_STORED_TYPES[s.info.dtype] !== undefined);
}

/**
 * 'link': the checkpoint's own bytes, nothing read. The shards are hard-linked into `dir` (ORT
 * resolves external data inside the model's folder only, and refuses symbolic links out of it);
 * each initializer points at its tensor's offset there, in its stored dtype. ORT maps the files.
 */
export async function linkedWeights(opened: CheckedT5Checkpoint, folder: string, dir: string): Promise<T5GraphWeights> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const names: string[] = [];
  try {
    for (const [i, shard] of opened.checkpoint.shards.entries()) {
      const name = `shard${i}.safetensors`;
      // realpath: a symlinked checkpoint file would be linked as the symlink itself.
      await fs.promises.link(await fs.promises.realpath(path.join(folder, shard.file)), path.join(dir, name));
      names.push(name);
    }
  } catch (e) {
    throw new LinkUnavailableError(`cannot hard-link the checkpoint into ${dir}: ${(e as Error).message}`);
  }
  const locations = new Map<string, T5WeightLocation>();
  for (const [key, { shard, info, scale }] of opened.sources) {
    const [begin, end] = info.dataOffsets;
    const type = ONNX_STORED_TYPES[info.dtype];
    if (type === undefined) throw new Error(`T5 link: ${info.name} is ${info.dtype}, which ONNX Runtime cannot map as stored`);
    locations.set(key, { location: names[shard]!, offset: opened.checkpoint.shards[shard]!.header.dataStart + begin, length: end - begin, type, shape: info.shape, scale });
  }
  return { config: opened.config, locations, files: [] };
}

/**
 * 'temp-folder': core's 16-bit weight stream (F16/BF16 as stored, F8 as exact F16, checked
 * finite), each written to its own file in `dir` as it arrives, so only one tensor is in
 * JavaScript at a time; ORT maps the files.
 */
export async function writtenWeights(opened: CheckedT5Checkpoint, dir: string): Promise<T5GraphWeights> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const locations = new Map<string, T5WeightLocation>();
  for await (const w of opened.storedWeights()) {
    const location = `w${locations.size}.bin`;
    const bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    await fs.promises.writeFile(path.join(dir, location), bytes);
    locations.set(w.name, { location, offset: 0, length: bytes.length, type: STORED_TYPE[w.dtype], shape: w.shape, scale: w.scale });
  }
  return { config: opened.config, locations, files: [] };
}

/** 'memory': the same 16-bit stream as in-memory external files (onnxruntime-web, or by request). */
export async function memoryWeights(opened: CheckedT5Checkpoint): Promise<T5GraphWeights> {
  const locations = new Map<string, T5WeightLocation>();
  const files: ExternalFile[] = [];
  for await (const w of opened.storedWeights()) {
    const location = `w${files.length}.bin`;
    const data = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    files.push({ path: location, data });
    locations.set(w.name, { location, offset: 0, length: data.length, type: STORED_TYPE[w.dtype], shape: w.shape, scale: w.scale });
  }
  return { config: opened.config, locations, files };
}
