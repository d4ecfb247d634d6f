import * as tf from '@tensorflow/tfjs-core';
import type { T5Config } from '@sdtext/core/t5';
import type { Embedding } from '../modules/embedding.js';
import { Module } from '../modules/module.js';
import { ModuleList } from '../modules/module-list.js';
import type { WeightScope } from '../weight-scope.js';
import { T5Block } from './t5-block.js';
import { T5LayerNorm } from './t5-layer-norm.js';

/** HF's T5Stack as the encoder: embed_tokens (the model's `shared`), the blocks, final_layer_norm. */
export class T5Stack extends Module {
  readonly typeName = 'T5Stack';
  readonly block: ModuleList<T5Block>;
  readonly finalLayerNorm: T5LayerNorm;

  constructor(
    vs: WeightScope,
    config: T5Config,
    /** T5EncoderModel's `shared`, tied (not a second table). */
    readonly embedTokens: Embedding,
  ) {
    super(vs);
    this.block = new ModuleList(vs.pp('block'), config.num_layers, (bvs, i) => new T5Block(bvs, config, i === 0));
    this.finalLayerNorm = new T5LayerNorm(vs.pp('final_layer_norm'), config.d_model, config.layer_norm_epsilon);
  }

  /**
   * ids [B, S] int32, extendedMask [B, 1, 1, S] ((1 - mask) * finfo(float32).min) or null ->
   * [B, S, d_model]. With `hiddenStates` given, pushes HF's all_hidden_states: each block's input,
   * then the final norm's output (num_layers + 1 in all).
   */
  forward(ids: tf.Tensor2D, extendedMask: tf.Tensor4D | null, hiddenStates?: tf.Tensor3D[]): tf.Tensor3D {
    const x = this.embedTokens.forward(ids); // [B, S, d_model]
    const blocks = this.block.items;
    let positionBias: tf.Tensor4D | null = null;
    if (blocks.length > 0) {
      // Block 0 computes the bias (plus the mask, once) and every block reuses it, as HF passes position_bias on.
      const bias = blocks[0]!.selfAttention.SelfAttention.computeBias(ids.shape[1]); // [1, nh, S, S]
      positionBias = extendedMask ? (tf.add(bias, extendedMask) as tf.Tensor4D) : bias; // [B, nh, S, S]
    }
    let h = x;
    for (const block of blocks) {
      hiddenStates?.push(h);
      // One tidy per block frees its intermediates before the next runs (the d_ff-wide activations above all).
      const next = tf.tidy(() => block.forward(h, positionBias!));
      if (!hiddenStates && h !== x) h.dispose();
      h = next;
    }
    const last = this.finalLayerNorm.forward(h) as tf.Tensor3D;
    hiddenStates?.push(last);
    return last;
  }

  override children(): Module[] {
    return [this.block, this.finalLayerNorm];
  }
}
