import * as tf from '@tensorflow/tfjs-core';
import { FLOAT32_MIN, InputError, prepareInputs, type PreparedInputs, type TokenLimits } from '@sdtext/core';
import type { AttentionMask, TokenIds } from '../inputs.js';

/** A tfjs tensor as core's plain {data, dims}, after its dtype is checked. */
function plain<T>(value: tf.Tensor | T, what: string, dtypes: readonly tf.DataType[]): T | { data: Float32Array | Int32Array; dims: number[] } {
  if (!(value instanceof tf.Tensor)) return value;
  if (!dtypes.includes(value.dtype)) throw new InputError(`${what} must have dtype ${dtypes.join(' or ')}, got ${value.dtype}`);
  return { data: value.dataSync() as Float32Array | Int32Array, dims: [...value.shape] };
}

/** @sdtext/core's input checks (the messages of every engine) for a T5 model, taking tfjs tensors too. */
export function prepareT5Inputs(config: TokenLimits, inputIds: TokenIds, attentionMask?: AttentionMask | null): PreparedInputs {
  return prepareInputs(
    config,
    plain(inputIds, 'inputIds', ['int32']),
    attentionMask == null ? null : plain(attentionMask, 'attentionMask', ['int32', 'float32', 'bool']),
  );
}

/** HF's extended encoder mask [B, 1, 1, S]: (1 - mask) * finfo(float32).min, 0 where attended. */
export function extendedAttentionMask({ mask }: PreparedInputs): Float32Array | null {
  if (!mask) return null; // HF's all-ones mask adds zeros
  return Float32Array.from(mask, (m) => (m === 0 ? FLOAT32_MIN : 0));
}
