import * as tf from '@tensorflow/tfjs-core';
import type { CLIPTextConfig } from '@sdtext/core';
import type { WeightScope } from '../weight-scope.js';
import { CLIPAttention } from './clip-attention.js';
import { CLIPMLP } from './clip-mlp.js';
import { LayerNorm } from './layer-norm.js';
import { Module } from './module.js';

/** A pre-LayerNorm transformer block. */
export class CLIPEncoderLayer extends Module {
  readonly typeName = 'CLIPEncoderLayer';
  readonly selfAttn: CLIPAttention;
  readonly layerNorm1: LayerNorm;
  readonly mlp: CLIPMLP;
  readonly layerNorm2: LayerNorm;

  constructor(vs: WeightScope, config: CLIPTextConfig) {
    super(vs);
    this.selfAttn = new CLIPAttention(vs.pp('self_attn'), config);
    this.layerNorm1 = new LayerNorm(vs.pp('layer_norm1'), config.hidden_size, config.layer_norm_eps);
    this.mlp = new CLIPMLP(vs.pp('mlp'), config);
    this.layerNorm2 = new LayerNorm(vs.pp('layer_norm2'), config.hidden_size, config.layer_norm_eps);
  }

  /** x [B, S, H], mask [B, 1, S, S] -> [B, S, H]; `attentions` collects the attention probabilities. */
  forward(x: tf.Tensor3D, mask: tf.Tensor4D, attentions?: tf.Tensor4D[]): tf.Tensor3D {
    x = tf.add(x, this.selfAttn.forward(this.layerNorm1.forward(x) as tf.Tensor3D, mask, attentions)); // x = x + attn(ln1(x))
    x = tf.add(x, this.mlp.forward(this.layerNorm2.forward(x) as tf.Tensor3D)); // x = x + mlp(ln2(x))
    return x;
  }

  override children(): Module[] {
    return [this.selfAttn, this.layerNorm1, this.mlp, this.layerNorm2];
  }
}
