/**
 * The one tensor type shared by every engine and the pipeline: row-major values and their
 * dimensions. No runtime behind it: tfjs and ONNX Runtime tensors are converted at the engine's edge.
 */
export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

/** Integer data (token ids, masks) in the same layout. */
export interface IntTensor {
  data: Int32Array | Uint32Array | Float32Array | Float64Array | readonly number[];
  dims: readonly number[];
}

/** Number of values a tensor of `dims` holds. */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
