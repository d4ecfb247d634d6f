import * as tf from '@tensorflow/tfjs-core';
import type { CLIPTextConfig } from '@sdtext/core';
import { buildAttentionMask, poolingPositions } from '@sdtext/core';
import { POOLING_ONLY_LIMITS, checkInputsEmbeds, prepareInputs, type AttentionMask, type TokenIds } from '../inputs.js';
import type { WeightScope } from '../weight-scope.js';
import { CLIPEncoder } from './clip-encoder.js';
import { CLIPTextEmbeddings } from './clip-text-embeddings.js';
import { LayerNorm } from './layer-norm.js';
import { Module } from './module.js';

export interface CLIPTextInputs {
  /** [B, S] token ids (int32 tensor or rows of numbers), S <= max_position_embeddings. */
  inputIds: TokenIds;
  /** [B, S], 1 = attend, 0 = padding. The causal mask applies either way. */
  attentionMask?: AttentionMask | null;
  /** Also return the hidden state after the embeddings and after each layer. */
  outputHiddenStates?: boolean;
  /** Also return each layer's attention probabilities (HF's `output_attentions`). */
  outputAttentions?: boolean;
  /**
   * [B, S, H] float32: the token embeddings to use instead of looking the ids up (HF's
   * `inputs_embeds`; textual inversion vectors placed by position). The ids then only choose the
   * pooled position, so they may lie beyond the vocabulary.
   */
  inputsEmbeds?: tf.Tensor | { data: Float32Array; dims: number[] } | null;
}

export interface CLIPTextOutputs {
  /** [B, S, H], after final_layer_norm. */
  lastHiddenState: tf.Tensor3D;
  /** [B, H]: lastHiddenState at the EOS position of each row. */
  poolerOutput: tf.Tensor2D;
  /** layers + 1 tensors [B, S, H]: embeddings, then each layer's output (the last is before final_layer_norm). */
  hiddenStates?: tf.Tensor3D[];
  /** layers tensors [B, num_heads, S, S]: softmax of the scores with the causal and padding masks. */
  attentions?: tf.Tensor4D[];
}

/** The CLIP text transformer: embeddings -> encoder -> final LayerNorm, plus EOS pooling. */
export class CLIPTextTransformer extends Module {
  readonly typeName = 'CLIPTextTransformer';
  readonly embeddings: CLIPTextEmbeddings;
  readonly encoder: CLIPEncoder;
  readonly finalLayerNorm: LayerNorm;

  constructor(
    vs: WeightScope,
    readonly config: CLIPTextConfig,
  ) {
    super(vs);
    this.embeddings = new CLIPTextEmbeddings(vs.pp('embeddings'), config);
    this.encoder = new CLIPEncoder(vs.pp('encoder'), config);
    this.finalLayerNorm = new LayerNorm(vs.pp('final_layer_norm'), config.hidden_size, config.layer_norm_eps);
  }

  /** Runs the model. Checks the inputs first; every intermediate is freed; the caller owns the outputs. */
  forward({ inputIds, attentionMask, outputHiddenStates = false, outputAttentions = false, inputsEmbeds = null }: CLIPTextInputs): CLIPTextOutputs {
    const inputs = prepareInputs(inputsEmbeds ? { ...this.config, ...POOLING_ONLY_LIMITS } : this.config, inputIds, attentionMask);
    const { batch: B, seqLen: S } = inputs;
    const H = this.config.hidden_size;
    const embeds = inputsEmbeds ? checkInputsEmbeds(inputsEmbeds, B, S, H) : null;
    const pooled = poolingPositions(inputs, this.config.eos_token_id).map((s, b) => b * S + s);

    return tf.tidy(() => {
      const ids = tf.tensor2d(inputs.ids, [B, S], 'int32');
      const mask = tf.tensor4d(buildAttentionMask(inputs), [B, 1, S, S], 'float32'); // causal + padding

      const hiddenStates: tf.Tensor3D[] | undefined = outputHiddenStates ? [] : undefined;
      const attentions: tf.Tensor4D[] | undefined = outputAttentions ? [] : undefined;
      let x = this.embeddings.forward(ids, embeds ? tf.tensor3d(embeds, [B, S, H], 'float32') : undefined); // [B, S, H]
      x = this.encoder.forward(x, mask, hiddenStates, attentions); // [B, S, H]
      const lastHiddenState = this.finalLayerNorm.forward(x) as tf.Tensor3D; // [B, S, H]

      const rows = tf.tensor1d(pooled, 'int32'); // flat index b * S + eos position
      const poolerOutput = tf.gather(tf.reshape(lastHiddenState, [B * S, H]), rows) as tf.Tensor2D; // [B, H]

      return { lastHiddenState, poolerOutput, ...(hiddenStates ? { hiddenStates } : {}), ...(attentions ? { attentions } : {}) };
    });
  }

  override children(): Module[] {
    return [this.embeddings, this.encoder, this.finalLayerNorm];
  }
}
