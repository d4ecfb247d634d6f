import * as tf from '@tensorflow/tfjs-core';
import type { WeightScope } from '../weight-scope.js';
import { Module } from './module.js';

/** nn.Linear: y = x W^T + b, with W stored as PyTorch stores it, [out, in]. */
export class Linear extends Module {
  readonly typeName = 'Linear';
  readonly weight: tf.Tensor2D; // [out, in]
  readonly bias: tf.Tensor1D | null; // [out]

  constructor(
    vs: WeightScope,
    readonly inFeatures: number,
    readonly outFeatures: number,
    hasBias = true,
  ) {
    super(vs);
    this.weight = vs.get('weight', [outFeatures, inFeatures]);
    this.bias = hasBias ? vs.get('bias', [outFeatures]) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    // [..., in] -> [..., out]; tfjs matMul wants rank >= 2 on both sides, so fold the batch dims.
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, this.inFeatures]); // [N, in]
    let y = tf.matMul(x2, this.weight, false, true); // [N, out]
    if (this.bias) y = tf.add(y, this.bias);
    return tf.reshape(y, [...lead, this.outFeatures]);
  }

  override parameters(): tf.Tensor[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}
