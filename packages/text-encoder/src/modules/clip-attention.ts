import * as tf from '@tensorflow/tfjs-core';
import type { CLIPTextConfig } from '@sdtext/core';
import type { WeightScope } from '../weight-scope.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** Multi-head self-attention, as HF's CLIPAttention. */
export class CLIPAttention extends Module {
  readonly typeName = 'CLIPAttention';
  readonly numHeads: number;
  readonly headDim: number;
  readonly scale: number;
  readonly kProj: Linear;
  readonly vProj: Linear;
  readonly qProj: Linear;
  readonly outProj: Linear;

  constructor(vs: WeightScope, config: CLIPTextConfig) {
    super(vs);
    const H = config.hidden_size;
    this.numHeads = config.num_attention_heads;
    this.headDim = H / this.numHeads;
    this.scale = this.headDim ** -0.5;
    // HF's order (it is the printed order too): k, v, q, out.
    this.kProj = new Linear(vs.pp('k_proj'), H, H);
    this.vProj = new Linear(vs.pp('v_proj'), H, H);
    this.qProj = new Linear(vs.pp('q_proj'), H, H);
    this.outProj = new Linear(vs.pp('out_proj'), H, H);
  }

  /**
   * x [B, S, H]; mask [B, 1, S, S] additive (0 to attend, finfo(float32).min to block: the causal
   * mask plus the padding mask, as HF adds them). With `attentions` given, pushes the attention
   * probabilities [B, nh, S, S] (HF's `attn_weights` with `output_attentions`).
   */
  forward(x: tf.Tensor3D, mask: tf.Tensor4D, attentions?: tf.Tensor4D[]): tf.Tensor3D {
    const [B, S, H] = x.shape;
    const heads = (t: tf.Tensor): tf.Tensor4D =>
      tf.transpose(tf.reshape(t, [B, S, this.numHeads, this.headDim]), [0, 2, 1, 3]); // [B, nh, S, hd]

    const q = heads(tf.mul(this.qProj.forward(x), this.scale)); // scaled after the bias, as HF
    const k = heads(this.kProj.forward(x));
    const v = heads(this.vProj.forward(x));

    const scores = tf.add(tf.matMul(q, k, false, true), mask); // [B, nh, S, S]
    const probs = tf.softmax(scores) as tf.Tensor4D; // over the keys (last axis)
    attentions?.push(tf.keep(probs)); // HF's output_attentions: [B, nh, S, S], kept out of the layer's tidy
    const y = tf.matMul(probs, v); // [B, nh, S, hd]

    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, S, H]); // [B, S, H]
    return this.outProj.forward(merged) as tf.Tensor3D;
  }

  override children(): Module[] {
    return [this.kProj, this.vProj, this.qProj, this.outProj];
  }
}
