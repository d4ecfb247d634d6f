import * as tf from '@tensorflow/tfjs-core';
import { relativePositionBuckets, type T5Config } from '@sdtext/core/t5';
import { Embedding } from '../modules/embedding.js';
import { Linear } from '../modules/linear.js';
import { Module } from '../modules/module.js';
import type { WeightScope } from '../weight-scope.js';

/**
 * HF's T5Attention for the encoder: q, k, v, o without biases, scores q k^T with no 1/sqrt(d)
 * scaling (T5's initialization absorbs it), plus a position bias that block 0 computes from its
 * relative_attention_bias table and every block shares.
 */
export class T5Attention extends Module {
  readonly typeName = 'T5Attention';
  readonly nHeads: number;
  readonly keyValueProjDim: number;
  readonly innerDim: number;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  /** [num_buckets, n_heads], in block 0 only. */
  readonly relativeAttentionBias: Embedding | null;

  constructor(
    vs: WeightScope,
    readonly config: T5Config,
    hasRelativeAttentionBias: boolean,
  ) {
    super(vs);
    this.nHeads = config.num_heads;
    this.keyValueProjDim = config.d_kv;
    this.innerDim = this.nHeads * this.keyValueProjDim;
    this.q = new Linear(vs.pp('q'), config.d_model, this.innerDim, false);
    this.k = new Linear(vs.pp('k'), config.d_model, this.innerDim, false);
    this.v = new Linear(vs.pp('v'), config.d_model, this.innerDim, false);
    this.o = new Linear(vs.pp('o'), this.innerDim, config.d_model, false);
    this.relativeAttentionBias = hasRelativeAttentionBias
      ? new Embedding(vs.pp('relative_attention_bias'), config.relative_attention_num_buckets, config.num_heads)
      : null;
  }

  /**
   * HF's compute_bias(S, S): relative_attention_bias at the bucket of (key - query) for every
   * pair, [1, n_heads, S, S]. The buckets come from @sdtext/core (torch's float32 arithmetic).
   */
  computeBias(seqLen: number): tf.Tensor4D {
    if (!this.relativeAttentionBias) throw new Error('compute_bias on a block without relative_attention_bias');
    const buckets = tf.tensor2d(relativePositionBuckets(seqLen, this.config), [seqLen, seqLen], 'int32');
    const values = this.relativeAttentionBias.forward(buckets); // [S, S, n_heads]
    return tf.expandDims(tf.transpose(values, [2, 0, 1]), 0) as tf.Tensor4D; // [1, n_heads, S, S]
  }

  /** x [B, S, d_model]; positionBias [B or 1, n_heads, S, S], the padding mask already in it (HF adds it once, in block 0). */
  forward(x: tf.Tensor3D, positionBias: tf.Tensor4D): tf.Tensor3D {
    const [B, S] = x.shape;
    const shape = (t: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, S, this.nHeads, this.keyValueProjDim]), [0, 2, 1, 3]); // [B, nh, S, d_kv]
    const queryStates = shape(this.q.forward(x));
    const keyStates = shape(this.k.forward(x));
    const valueStates = shape(this.v.forward(x));
    const scores = tf.add(tf.matMul(queryStates, keyStates, false, true), positionBias); // [B, nh, S, S]
    const attnWeights = tf.softmax(scores); // over the keys
    const attnOutput = tf.reshape(tf.transpose(tf.matMul(attnWeights, valueStates), [0, 2, 1, 3]), [B, S, this.innerDim]); // unshape
    return this.o.forward(attnOutput) as tf.Tensor3D;
  }

  override children(): Module[] {
    return [this.q, this.k, this.v, this.o, ...(this.relativeAttentionBias ? [this.relativeAttentionBias] : [])];
  }
}
