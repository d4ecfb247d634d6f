import type { CLIPTextConfig } from '@sdtext/core';
import type { CheckpointFiles } from './checkpoint-files.js';
import type { GraphWeights } from './graph/graph-context.js';
import type { GraphBuilder } from './onnx/graph-builder.js';
import { DataType } from './onnx/onnx-proto.js';
import { ONNX_STORED_TYPES, type StoredLocation } from './stored-location.js';

/**
 * Weights that ONNX Runtime reads as stored: each initializer points at its bytes (`where`).
 * float32 weights are used in place; F16/BF16/F64 go through a Cast that ORT constant-folds to
 * float32 when it makes the session (natively, before prepacking), so 16-bit weights are never
 * widened in JavaScript. Embedding tables are gathered in their stored dtype, then the rows cast
 * (unless `gatherAsStored` is false).
 */
export function storedGraphWeights(
  config: CLIPTextConfig,
  withProjection: boolean,
  where: ReadonlyMap<string, StoredLocation>,
  options: { gatherAsStored?: boolean } = {},
): GraphWeights {
  const gatherAsStored = options.gatherAsStored ?? true;
  const stored = (g: GraphBuilder, key: string): { name: string; type: DataType } => {
    const at = where.get(key);
    if (!at) throw new Error(`weight "${key}" missing`);
    return { name: g.fileWeight(key, at.type, at.shape, at.location, at.offset, at.length), type: at.type };
  };
  return {
    config,
    withProjection,
    take(key) {
      throw new Error(`weight "${key}" is read by ONNX Runtime as stored; this graph style needs float32 weights in memory`);
    },
    initializer(g, key) {
      const { name, type } = stored(g, key);
      return type === DataType.FLOAT ? name : g.op('Cast', [name], { to: { int: DataType.FLOAT } });
    },
    // Gather first, cast the rows: the table stays in its stored dtype (exact: a cast is per element).
    // Not where the provider may lack 16-bit kernels (WebGPU without shader-f16): there the table
    // is widened at load (the Cast folded) and gathered as float32.
    embedding(g, key, ids) {
      if (!gatherAsStored) return g.op('Gather', [this.initializer(g, key), ids]);
      const { name, type } = stored(g, key);
      const rows = g.op('Gather', [name, ids]);
      return type === DataType.FLOAT ? rows : g.op('Cast', [rows], { to: { int: DataType.FLOAT } });
    },
    // A Transpose of the widened weight, which ORT constant-folds with the Cast when it makes the
    // session (level 1, before the providers are assigned, so for WebGPU too): no transposed copy in JavaScript.
    transposed(g, key) {
      return g.op('Transpose', [this.initializer(g, key)], { perm: { ints: [1, 0] } });
    },
  };
}

/**
 * The checkpoint files as the graph's weights, nothing read: each initializer points at its
 * bytes inside the safetensors file (`locations` names each shard beside the model).
 */
export function mappedWeights(files: CheckpointFiles, locations: ReadonlyMap<string, string>): GraphWeights {
  const where = new Map<string, StoredLocation>();
  for (const { file, header } of files.shards) {
    for (const info of header.tensors) {
      const type = ONNX_STORED_TYPES[info.dtype]; // the model's weights are float (openCheckpointFiles checked); others are never asked for
      const [begin, end] = info.dataOffsets;
      if (type !== undefined) where.set(info.name, { location: locations.get(file)!, offset: header.dataStart + begin, length: end - begin, type, shape: info.shape });
    }
  }
  return storedGraphWeights(files.config, files.withProjection, where);
}
