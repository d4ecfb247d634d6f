import type { SafetensorsDtype } from '@sdtext/core';
import type { ExternalFile } from './onnx/graph-builder.js';
import { DataType } from './onnx/onnx-proto.js';

/**
 * Where one weight's bytes are for ONNX Runtime, as stored: a file beside the model (a hard-linked
 * checkpoint shard, or a file written for it) or an in-memory external file (`location`), in a
 * dtype ORT can Cast to float32.
 */
export interface StoredLocation {
  location: string;
  offset: number;
  length: number;
  type: DataType;
  shape: readonly number[];
}

/** The safetensors dtypes an initializer can hold as stored, as ONNX's (ORT casts them to float32). */
export const ONNX_STORED_TYPES: Partial<Record<SafetensorsDtype, DataType>> = {
  F32: DataType.FLOAT,
  F16: DataType.FLOAT16,
  BF16: DataType.BFLOAT16,
  F64: DataType.DOUBLE,
};

/**
 * In-memory external files for ORT's `externalData`: `put` adds one, named `${prefix}${n}.bin`,
 * and returns the name. The prefix keeps them apart from files the graph builder names itself.
 */
export function memoryFiles(prefix: string): { files: ExternalFile[]; put(data: Uint8Array): string } {
  const files: ExternalFile[] = [];
  return {
    files,
    put(data) {
      const location = `${prefix}${files.length}.bin`;
      files.push({ path: location, data });
      return location;
    },
  };
}
