import { toFloat32 } from '@sdtext/core';
import type { CheckedT5Checkpoint, StoredWeight } from '@sdtext/core/t5';
import { quantizeQ8 } from '../graph/quantize-q8.js';
import { LinkUnavailableError } from '../linked-folder.js';
import { DataType } from '../onnx/onnx-proto.js';
import { ONNX_STORED_TYPES, memoryFiles } from '../stored-location.js';
import type { T5GraphWeights, T5Q8Location, T5WeightLocation } from './t5-graph-weights.js';

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
 * The Linear weights dtype 'q8' quantizes: every encoder block's attention projections (q, k, v,
 * o) and feed-forward matrices (wi, or wi_0 and wi_1, and wo). The embedding, the layer norms and
 * the relative attention bias stay as stored.
 */
export function isT5Q8Linear(key: string): boolean {
  return /^encoder\.block\.\d+\.layer\.(0\.SelfAttention\.[qkvo]|1\.DenseReluDense\.(wi|wi_0|wi_1|wo))\.weight$/.test(key);
}

/** A stored weight widened to float32 and scaled (ComfyUI's `weight.to(float32) * scale_weight`, as core's float32 stream). */
function widened(w: StoredWeight): Float32Array {
  const data = w.dtype === 'F32' ? (w.data as Float32Array) : toFloat32(w.dtype, w.data);
  if (w.scale === null) return data;
  const out = w.dtype === 'F32' ? new Float32Array(data.length) : data;
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * w.scale;
  return out;
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Core's 16-bit weight stream (F16/BF16 as stored, F8 as exact F16, checked finite), one tensor at
 * a time, each handed to `put` (which names where it went): as stored, or, for the keys `quantize`
 * selects (dtype 'q8'), widened to float32 and quantized (int8 codes and float32 scales, two
 * files), so at most one float32 matrix is alive in JavaScript.
 */
async function streamWeights(opened: CheckedT5Checkpoint, put: (bytes: Uint8Array) => string | Promise<string>, quantize: ((key: string) => boolean) | null): Promise<Omit<T5GraphWeights, 'files'>> {
  const locations = new Map<string, T5WeightLocation>();
  const quantized = new Map<string, T5Q8Location>();
  const file = async (data: Int8Array | Float32Array, type: DataType, shape: number[]): Promise<T5WeightLocation> => ({ location: await put(bytesOf(data)), offset: 0, length: data.byteLength, type, shape, scale: null });
  for await (const w of opened.storedWeights()) {
    if (quantize?.(w.name) && w.shape.length === 2) {
      const [out, inp] = w.shape as [number, number];
      const { codes, scales } = quantizeQ8(widened(w), out, inp);
      quantized.set(w.name, { codes: await file(codes, DataType.INT8, [inp, out]), scales: await file(scales, DataType.FLOAT, [out]) });
      continue;
    }
    const bytes = bytesOf(w.data);
    locations.set(w.name, { location: await put(bytes), offset: 0, length: bytes.length, type: ONNX_STORED_TYPES[w.dtype]!, shape: w.shape, scale: w.scale });
  }
  return { config: opened.config, locations, ...(quantize ? { quantized } : {}) };
}

/**
 * 'temp-folder': core's 16-bit weight stream (F16/BF16 as stored, F8 as exact F16, checked
 * finite), each written to its own file in `dir` as it arrives, so only one tensor is in
 * JavaScript at a time; ORT maps the files. With `quantize`, those keys are written quantized.
 */
export async function writtenWeights(opened: CheckedT5Checkpoint, dir: string, quantize: ((key: string) => boolean) | null = null): Promise<T5GraphWeights> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  let n = 0;
  const put = async (bytes: Uint8Array): Promise<string> => {
    const location = `w${n++}.bin`;
    await fs.promises.writeFile(path.join(dir, location), bytes);
    return location;
  };
  return { ...(await streamWeights(opened, put, quantize)), files: [] };
}

/** 'memory': the same stream as in-memory external files (onnxruntime-web, or by request). */
export async function memoryWeights(opened: CheckedT5Checkpoint, quantize: ((key: string) => boolean) | null = null): Promise<T5GraphWeights> {
  const { files, put } = memoryFiles('w');
  return { ...(await streamWeights(opened, put, quantize)), files };
}
