import type { SafetensorsDtype, SafetensorsTensorInfo } from '@sdtext/text-encoder';
import type { CheckpointFiles } from './checkpoint-files.js';
import type { GraphWeights } from './graph/graph-context.js';
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
  return {
    config: files.config,
    withProjection: files.withProjection,
    take(key) {
      throw new Error(`weight "${key}" is read by ONNX Runtime from the file; this graph style needs weights in memory`);
    },
    initializer(g, key) {
      const at = where.get(key);
      if (!at) throw new Error(`weight "${key}" missing`);
      const { info, location, dataStart } = at;
      const type = ONNX_TYPES[info.dtype]!; // openCheckpointFiles admits float dtypes only
      const [begin, end] = info.dataOffsets;
      const name = g.fileWeight(key, type, info.shape, location, dataStart + begin, end - begin);
      return type === DataType.FLOAT ? name : g.op('Cast', [name], { to: { int: DataType.FLOAT } });
    },
  };
}
