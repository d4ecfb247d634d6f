import type { SafetensorsDtype } from '@sdtext/core';
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
