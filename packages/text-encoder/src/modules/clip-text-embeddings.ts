import * as tf from '@tensorflow/tfjs-core';
import type { CLIPTextConfig } from '@sdtext/core';
import type { WeightScope } from '../weight-scope.js';
import { Embedding } from './embedding.js';
import { Module } from './module.js';

/** Token embedding + learned absolute position embedding. */
export class CLIPTextEmbeddings extends Module {
  readonly typeName = 'CLIPTextEmbeddings';
  readonly tokenEmbedding: Embedding;
  readonly positionEmbedding: Embedding;

  constructor(vs: WeightScope, config: CLIPTextConfig) {
    super(vs);
    this.tokenEmbedding = new Embedding(vs.pp('token_embedding'), config.vocab_size, config.hidden_size);
    this.positionEmbedding = new Embedding(vs.pp('position_embedding'), config.max_position_embeddings, config.hidden_size);
    // The checkpoint's `position_ids` buffer is arange(max_position_embeddings): slicing does the same.
  }

  /** ids [B, S] int32 -> [B, S, H]. `inputsEmbeds` [B, S, H] replaces the token lookup (HF's `inputs_embeds`). */
  forward(inputIds: tf.Tensor2D, inputsEmbeds?: tf.Tensor3D): tf.Tensor3D {
    const seqLen = inputIds.shape[1];
    const tokens = inputsEmbeds ?? this.tokenEmbedding.forward(inputIds); // [B, S, H]
    const positions = tf.slice(this.positionEmbedding.weight, [0, 0], [seqLen, -1]); // [S, H], positions 0..S-1
    return tf.add(tokens, positions); // [B, S, H]
  }

  override children(): Module[] {
    return [this.tokenEmbedding, this.positionEmbedding];
  }
}
