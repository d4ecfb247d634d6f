import * as tf from '@tensorflow/tfjs-core';
import {
  InputError,
  prepareInputs as prepareCoreInputs,
  type AttentionMask as CoreAttentionMask,
  type CLIPTextConfig,
  type PreparedInputs,
  type TokenIds as CoreTokenIds,
} from '@sdtext/core';

/** Token ids: a [B, S] int32 tensor, rows of numbers, one row, or a {data, dims} tensor. */
export type TokenIds = tf.Tensor | CoreTokenIds;
/** 1 = attend, 0 = padding; [B, S] like the ids. */
export type AttentionMask = tf.Tensor | CoreAttentionMask;

/** A tfjs tensor as core's plain {data, dims}, after its dtype is checked. */
function plain<T>(value: tf.Tensor | T, what: string, dtypes: readonly tf.DataType[]): T | { data: Float32Array | Int32Array; dims: number[] } {
  if (!(value instanceof tf.Tensor)) return value;
  if (!dtypes.includes(value.dtype)) throw new InputError(`${what} must have dtype ${dtypes.join(' or ')}, got ${value.dtype}`);
  return { data: value.dataSync() as Float32Array | Int32Array, dims: [...value.shape] };
}

/** @sdtext/core's input checks (the same messages on every engine), taking tfjs tensors too. */
export function prepareInputs(config: CLIPTextConfig, inputIds: TokenIds, attentionMask?: AttentionMask | null): PreparedInputs {
  return prepareCoreInputs(
    config,
    plain(inputIds, 'inputIds', ['int32']),
    attentionMask == null ? null : plain(attentionMask, 'attentionMask', ['int32', 'float32', 'bool']),
  );
}

/** With `inputsEmbeds` the ids are not looked up, only pooled on: any non-negative int32 will do. */
export const POOLING_ONLY_LIMITS = { vocab_size: 2 ** 31 } as const;

/** `inputsEmbeds` as float32 data [B * S * H], checked against the ids' shape and the model width. */
export function checkInputsEmbeds(embeds: tf.Tensor | { data: Float32Array; dims: number[] }, batch: number, seqLen: number, hidden: number): Float32Array {
  const value = plain(embeds, 'inputsEmbeds', ['float32']);
  const dims = value.dims;
  if (dims.length !== 3 || dims[0] !== batch || dims[1] !== seqLen || dims[2] !== hidden) {
    throw new InputError(`inputsEmbeds has shape [${dims.join(', ')}], but the ids and the model need [${batch}, ${seqLen}, ${hidden}]`);
  }
  if (!(value.data instanceof Float32Array)) throw new InputError('inputsEmbeds must be float32 data');
  const bad = value.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`inputsEmbeds[${Math.floor(bad / (seqLen * hidden))}][${Math.floor(bad / hidden) % seqLen}] holds ${value.data[bad]}`);
  return value.data;
}
