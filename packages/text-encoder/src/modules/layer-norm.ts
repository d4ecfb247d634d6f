import * as tf from '@tensorflow/tfjs-core';
import type { WeightScope } from '../weight-scope.js';
import { Module, pyFloat } from './module.js';

/** nn.LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * weight + bias, var biased (/ H). */
export class LayerNorm extends Module {
  readonly typeName = 'LayerNorm';
  readonly weight: tf.Tensor1D; // [H]
  readonly bias: tf.Tensor1D; // [H]

  constructor(
    vs: WeightScope,
    readonly size: number,
    readonly eps: number,
  ) {
    super(vs);
    this.weight = vs.get('weight', [size]);
    this.bias = vs.get('bias', [size]);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true); // [..., 1] each; variance is the biased one
    const xHat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    return tf.add(tf.mul(xHat, this.weight), this.bias);
  }

  override parameters(): tf.Tensor[] {
    return [this.weight, this.bias];
  }

  override extraRepr(): string {
    return `(${this.size},), eps=${pyFloat(this.eps)}, elementwise_affine=True`;
  }
}
