import type * as tf from '@tensorflow/tfjs-core';
import type { T5Config } from '@sdtext/core/t5';
import type { Activation } from '../modules/activations.js';
import { Linear } from '../modules/linear.js';
import { Module } from '../modules/module.js';
import type { WeightScope } from '../weight-scope.js';
import { makeT5Activation } from './activations.js';

/** HF's T5DenseActDense (the original T5): wo(act(wi(x))), no biases. */
export class T5DenseActDense extends Module {
  readonly typeName = 'T5DenseActDense';
  readonly wi: Linear;
  readonly wo: Linear;
  readonly act: Activation;

  constructor(vs: WeightScope, config: T5Config) {
    super(vs);
    this.wi = new Linear(vs.pp('wi'), config.d_model, config.d_ff, false);
    this.wo = new Linear(vs.pp('wo'), config.d_ff, config.d_model, false);
    this.act = makeT5Activation(vs.pp('act'), config.dense_act_fn);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.wo.forward(this.act.forward(this.wi.forward(x))); // [..., d_model] -> [..., d_ff] -> [..., d_model]
  }

  override children(): Module[] {
    return [this.wi, this.wo, this.act];
  }
}
