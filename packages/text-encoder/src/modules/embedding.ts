import * as tf from '@tensorflow/tfjs-core';
import type { WeightScope } from '../weight-scope.js';
import { Module } from './module.js';

/** nn.Embedding: a [num, dim] table looked up by id. Ids are checked before they get here. */
export class Embedding extends Module {
  readonly typeName = 'Embedding';
  readonly weight: tf.Tensor2D; // [num, dim]

  constructor(
    vs: WeightScope,
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
  ) {
    super(vs);
    this.weight = vs.get('weight', [numEmbeddings, embeddingDim]);
  }

  /** ids [B, S] int32 -> [B, S, dim]. */
  forward(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.gather(this.weight, ids) as tf.Tensor as tf.Tensor3D;
  }

  override parameters(): tf.Tensor[] {
    return [this.weight];
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
