import * as tf from '@tensorflow/tfjs-core';
import type { T5Config } from '@sdtext/core/t5';
import { Module } from '../modules/module.js';
import type { WeightScope } from '../weight-scope.js';
import { T5Attention } from './t5-attention.js';
import { T5LayerNorm } from './t5-layer-norm.js';

/** HF's T5LayerSelfAttention: x + SelfAttention(layer_norm(x)), pre-norm. */
export class T5LayerSelfAttention extends Module {
  readonly typeName = 'T5LayerSelfAttention';
  readonly SelfAttention: T5Attention;
  readonly layerNorm: T5LayerNorm;

  constructor(vs: WeightScope, config: T5Config, hasRelativeAttentionBias: boolean) {
    super(vs);
    this.SelfAttention = new T5Attention(vs.pp('SelfAttention'), config, hasRelativeAttentionBias);
    this.layerNorm = new T5LayerNorm(vs.pp('layer_norm'), config.d_model, config.layer_norm_epsilon);
  }

  forward(x: tf.Tensor3D, positionBias: tf.Tensor4D): tf.Tensor3D {
    const normed = this.layerNorm.forward(x) as tf.Tensor3D;
    return tf.add(x, this.SelfAttention.forward(normed, positionBias)); // hidden_states + dropout(attention_output)
  }

  override children(): Module[] {
    return [this.SelfAttention, this.layerNorm];
  }
}
