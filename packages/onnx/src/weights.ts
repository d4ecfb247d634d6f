import { openTextModelCheckpoint, readTextModelWeights, resolveModelFiles, type CLIPTextConfig, type ModelSource, type TextModelCheckpointOptions } from '@sdtext/core';
import type { GraphWeights, WeightTensor } from './graph/graph-context.js';
import { transpose } from './graph/transpose.js';
import { storedGraphWeights } from './mapped-weights.js';
import type { ExternalFile } from './onnx/graph-builder.js';
import { ONNX_STORED_TYPES, memoryFiles, type StoredLocation } from './stored-location.js';

export type { WeightTensor };

export interface CheckpointWeights {
  config: CLIPTextConfig;
  /** Whether the checkpoint is a CLIPTextModelWithProjection (has text_projection.weight). */
  withProjection: boolean;
  /** Every weight the model uses, by Hugging Face key. */
  tensors: Map<string, WeightTensor>;
}

export interface LoadWeightsOptions extends TextModelCheckpointOptions {
  /** Folder inside the source, e.g. "text_encoder" in a Stable Diffusion repo. */
  subfolder?: string;
  /** fetch for URL sources (defaults to globalThis.fetch). */
  fetch?: typeof fetch;
}

/**
 * Reads a Hugging Face checkpoint into float32 arrays with @sdtext/core's loader (config checks,
 * variants, shards, strict key and shape checks, F16/BF16 widening, finite values): no tfjs.
 */
export async function loadCheckpointWeights(source: ModelSource, options: LoadWeightsOptions = {}): Promise<CheckpointWeights> {
  const files = resolveModelFiles(source, options.subfolder ?? '', options.fetch);
  const { config, withProjection, tensors } = await readTextModelWeights(files, options);
  return { config, withProjection, tensors };
}

/**
 * The loaded arrays as a graph's weight source: each becomes an initializer (inline or in-memory
 * external data, as the builder says) and leaves `tensors`, so the graph holds the only reference.
 */
export function memoryWeights(weights: CheckpointWeights): GraphWeights {
  const take = (key: string): WeightTensor => {
    const t = weights.tensors.get(key);
    if (!t) throw new Error(`weight "${key}" missing or already used`);
    weights.tensors.delete(key);
    return t;
  };
  return {
    config: weights.config,
    withProjection: weights.withProjection,
    take,
    initializer(g, key) {
      const { data, shape } = take(key);
      return g.weight(key, data, shape);
    },
    embedding(g, key, ids) {
      return g.op('Gather', [this.initializer(g, key), ids]);
    },
    transposed(g, key) {
      const { data, shape } = take(key);
      const [out, inp] = shape as [number, number];
      return g.weight(key, transpose(data, out, inp), [inp, out]);
    },
  };
}

/**
 * The checkpoint's weights as in-memory external files, each in its stored width (core's
 * storedWeights: F16/BF16 as stored, checked finite), for ONNX Runtime to widen natively when it
 * makes the session: nothing widened in JavaScript, half the bytes held for a float16 checkpoint.
 * What onnxruntime-web gets (its externalData); a LoRA, extra embeddings or a single file come
 * as float32.
 */
export async function storedMemoryWeights(
  source: ModelSource,
  options: LoadWeightsOptions = {},
  graph: { gatherAsStored?: boolean } = {},
): Promise<{ weights: GraphWeights; files: ExternalFile[] }> {
  const opened = await openTextModelCheckpoint(resolveModelFiles(source, options.subfolder ?? '', options.fetch), options);
  const { files, put } = memoryFiles('stored');
  const where = new Map<string, StoredLocation>();
  try {
    for await (const w of opened.storedWeights()) {
      const data = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
      where.set(w.name, { location: put(data), offset: 0, length: data.byteLength, type: ONNX_STORED_TYPES[w.dtype]!, shape: w.shape });
    }
  } finally {
    await opened.checkpoint.close();
  }
  return { weights: storedGraphWeights(opened.config, opened.withProjection, where, graph), files };
}
