import * as tf from '@tensorflow/tfjs-core';
import type { T5Config } from '@sdtext/core/t5';
import { Module } from '../modules/module.js';
import type { WeightScope } from '../weight-scope.js';
import { T5DenseActDense } from './t5-dense-act-dense.js';
import { T5DenseGatedActDense } from './t5-dense-gated-act-dense.js';
import { T5LayerNorm } from './t5-layer-norm.js';

/** HF's T5LayerFF: x + DenseReluDense(layer_norm(x)) (gated or not, per config.is_gated_act). */
export class T5LayerFF extends Module {
  readonly typeName = 'T5LayerFF';
  readonly DenseReluDense: T5DenseActDense | T5DenseGatedActDense;
  readonly layerNorm: T5LayerNorm;

  constructor(vs: WeightScope, config: T5Config) {
    super(vs);
    this.DenseReluDense = config.is_gated_act ? new T5DenseGatedActDense(vs.pp('DenseReluDense'), config) : new T5DenseActDense(vs.pp('DenseReluDense'), config);
    this.layerNorm = new T5LayerNorm(vs.pp('layer_norm'), config.d_model, config.layer_norm_epsilon);
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    const forwarded = this.DenseReluDense.forward(this.layerNorm.forward(x));
    return tf.add(x, forwarded);
  }

  override children(): Module[] {
    return [this.DenseReluDense, this.layerNorm];
  }
}
