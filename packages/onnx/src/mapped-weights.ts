import type { SafetensorsDtype, SafetensorsTensorInfo } from '@sdtext/core';
import type { CheckpointFiles } from './checkpoint-files.js';
import type { GraphWeights } from './graph/graph-context.js';
import type { GraphBuilder } from './onnx/graph-builder.js';
import { DataType } from './onnx/onnx-proto.js';

const ONNX_TYPES: Partial<Record<SafetensorsDtype, DataType>> = {
  F32: DataType.FLOAT,
  F16: DataType.FLOAT16,
  BF16: DataType.BFLOAT16,
  F64: DataType.DOUBLE,
};

/**
 * The checkpoint files as the graph's weights, nothing read: each initializer points at its
 * bytes inside the safetensors file (`locations` names each shard beside the model). float32
 * weights are used in place; F16/BF16/F64 go through a Cast that ORT constant-folds to float32
 * when it makes the session (in C++, before prepacking), so float16 checkpoints are never
 * widened in JavaScript.
 */
export function mappedWeights(files: CheckpointFiles, locations: ReadonlyMap<string, string>): GraphWeights {
  const where = new Map<string, { info: SafetensorsTensorInfo; location: string; dataStart: number }>();
  for (const { file, header } of files.shards) {
    for (const info of header.tensors) where.set(info.name, { info, location: locations.get(file)!, dataStart: header.dataStart });
  }
  /** The initializer of `key` in its stored dtype, pointing into its file. */
  const stored = (g: GraphBuilder, key: string): { name: string; type: DataType } => {
    const at = where.get(key);
    if (!at) throw new Error(`weight "${key}" missing`);
    const { info, location, dataStart } = at;
    const type = ONNX_TYPES[info.dtype]!; // openCheckpointFiles admits float dtypes only
    const [begin, end] = info.dataOffsets;
    return { name: g.fileWeight(key, type, info.shape, location, dataStart + begin, end - begin), type };
  };
  return {
    config: files.config,
    withProjection: files.withProjection,
    take(key) {
      throw new Error(`weight "${key}" is read by ONNX Runtime from the file; this graph style needs weights in memory`);
    },
    initializer(g, key) {
      const { name, type } = stored(g, key);
      return type === DataType.FLOAT ? name : g.op('Cast', [name], { to: { int: DataType.FLOAT } });
    },
    // Gather first, cast the rows: the table stays in its stored dtype, mapped (exact: a cast is per element).
    embedding(g, key, ids) {
      const { name, type } = stored(g, key);
      const rows = g.op('Gather', [name, ids]);
      return type === DataType.FLOAT ? rows : g.op('Cast', [rows], { to: { int: DataType.FLOAT } });
    },
  };
}
