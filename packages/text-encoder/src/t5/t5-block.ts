import type * as tf from '@tensorflow/tfjs-core';
import type { T5Config } from '@sdtext/core/t5';
import { Module } from '../modules/module.js';
import { ModuleList } from '../modules/module-list.js';
import type { WeightScope } from '../weight-scope.js';
import { T5LayerFF } from './t5-layer-ff.js';
import { T5LayerSelfAttention } from './t5-layer-self-attention.js';

/** HF's T5Block for the encoder: layer.0 self-attention, layer.1 feed-forward, each residual and pre-norm. */
export class T5Block extends Module {
  readonly typeName = 'T5Block';
  readonly layer: ModuleList<T5LayerSelfAttention | T5LayerFF>;
  readonly selfAttention: T5LayerSelfAttention;
  readonly feedForward: T5LayerFF;

  constructor(vs: WeightScope, config: T5Config, hasRelativeAttentionBias: boolean) {
    super(vs);
    this.layer = new ModuleList<T5LayerSelfAttention | T5LayerFF>(vs.pp('layer'), 2, (lvs, i) =>
      i === 0 ? new T5LayerSelfAttention(lvs, config, hasRelativeAttentionBias) : new T5LayerFF(lvs, config),
    );
    this.selfAttention = this.layer.items[0] as T5LayerSelfAttention;
    this.feedForward = this.layer.items[1] as T5LayerFF;
  }

  /** x [B, S, d_model] -> [B, S, d_model]. (HF's float16 clamp does not apply: tfjs computes in float32.) */
  forward(x: tf.Tensor3D, positionBias: tf.Tensor4D): tf.Tensor3D {
    return this.feedForward.forward(this.selfAttention.forward(x, positionBias));
  }

  override children(): Module[] {
    return [this.layer];
  }
}
