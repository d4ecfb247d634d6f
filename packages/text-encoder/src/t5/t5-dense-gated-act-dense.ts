import * as tf from '@tensorflow/tfjs-core';
import type { T5Config } from '@sdtext/core/t5';
import type { Activation } from '../modules/activations.js';
import { Linear } from '../modules/linear.js';
import { Module } from '../modules/module.js';
import type { WeightScope } from '../weight-scope.js';
import { makeT5Activation } from './activations.js';

/** HF's T5DenseGatedActDense (T5 v1.1, Flan, T5-XXL): wo(act(wi_0(x)) * wi_1(x)), no biases. */
export class T5DenseGatedActDense extends Module {
  readonly typeName = 'T5DenseGatedActDense';
  readonly wi0: Linear;
  readonly wi1: Linear;
  readonly wo: Linear;
  readonly act: Activation;

  constructor(vs: WeightScope, config: T5Config) {
    super(vs);
    this.wi0 = new Linear(vs.pp('wi_0'), config.d_model, config.d_ff, false);
    this.wi1 = new Linear(vs.pp('wi_1'), config.d_model, config.d_ff, false);
    this.wo = new Linear(vs.pp('wo'), config.d_ff, config.d_model, false);
    this.act = makeT5Activation(vs.pp('act'), config.dense_act_fn);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const hiddenGelu = this.act.forward(this.wi0.forward(x)); // [..., d_ff]
    const hiddenLinear = this.wi1.forward(x); // [..., d_ff]
    return this.wo.forward(tf.mul(hiddenGelu, hiddenLinear));
  }

  override children(): Module[] {
    return [this.wi0, this.wi1, this.wo, this.act];
  }
}
