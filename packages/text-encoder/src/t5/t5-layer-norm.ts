import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../modules/module.js';
import type { WeightScope } from '../weight-scope.js';

/**
 * HF's T5LayerNorm: RMS normalization, no mean subtracted and no bias,
 * `weight * x * rsqrt(mean(x^2) + eps)`, the mean square in float32 (all of tfjs is).
 */
export class T5LayerNorm extends Module {
  readonly typeName = 'T5LayerNorm';
  readonly weight: tf.Tensor1D; // [d_model]

  constructor(
    vs: WeightScope,
    readonly size: number,
    readonly eps: number,
  ) {
    super(vs);
    this.weight = vs.get('weight', [size]);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const variance = tf.mean(tf.square(x), -1, true); // [..., 1]
    return tf.mul(this.weight, tf.mul(x, tf.rsqrt(tf.add(variance, this.eps))));
  }

  override parameters(): tf.Tensor[] {
    return [this.weight];
  }
}
