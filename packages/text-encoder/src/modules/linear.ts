import * as tf from '@tensorflow/tfjs-core';
import type { WeightScope } from '../weight-scope.js';
import { Module } from './module.js';

/**
 * x W^T for W [out, in] as stored. tfjs-wasm sends matMul with transposeB to a generic loop about
 * 10x slower than its XNNPACK path (measured: 1.4 s vs 0.13 s for [154, 1024] x [4096, 1024]^T),
 * so there it computes (W x^T)^T, which keeps the weight as stored and costs two small transposes
 * of the activations. Other backends transpose for free inside the kernel.
 */
function matMulWeightT(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() === 'wasm') return tf.transpose(tf.matMul(w, tf.transpose(x)) as tf.Tensor2D); // ([out, in] x [in, N])^T
  return tf.matMul(x, w, false, true);
}

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
    const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D; // [N, in]
    let y = matMulWeightT(x2, this.weight); // [N, out]
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
