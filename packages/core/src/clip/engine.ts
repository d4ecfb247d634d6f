import type { EncoderEngine } from '../engine.js';
import type { AttentionMask, TokenIds } from '../inputs.js';
import type { FloatTensor } from '../tensor.js';
import type { CLIPTextConfig } from './config.js';

export interface EncodeInputs {
  /** [B][S] token ids (or one row [S], or a {data, dims} tensor), S <= max_position_embeddings. */
  inputIds: TokenIds;
  /** [B][S], 1 = attend, 0 = padding. The causal mask applies either way. */
  attentionMask?: AttentionMask | null;
  /** Also return the hidden state after the embeddings and after each layer (for clip skip). */
  outputHiddenStates?: boolean;
  /** Also return each layer's attention probabilities (HF's `output_attentions`). */
  outputAttentions?: boolean;
}

/**
 * What every engine returns, as Hugging Face names it. The arrays belong to the caller: each call
 * returns fresh copies (also on a cache hit), so mutating them never affects later results.
 */
export interface EncodeOutputs {
  /** [B, S, H], after final_layer_norm. */
  lastHiddenState: FloatTensor;
  /** [B, H]: lastHiddenState at each row's EOS position. */
  poolerOutput: FloatTensor;
  /** layers + 1 tensors [B, S, H]: embeddings, then each layer's output (the last is before final_layer_norm). */
  hiddenStates?: FloatTensor[];
  /** [B, projection_dim]: text_projection(poolerOutput), for CLIPTextModelWithProjection checkpoints. */
  textEmbeds?: FloatTensor;
  /** layers tensors [B, num_heads, S, S]: each layer's attention probabilities (causal and padding masks applied). */
  attentions?: FloatTensor[];
}

/**
 * The interface the pipeline and the CLI use, whichever engine runs the model: @sdtext/text-encoder's
 * TfjsTextEncoder and @sdtext/onnx's OnnxCLIPTextModel implement it.
 */
export interface TextEncoderEngine extends EncoderEngine<CLIPTextConfig, EncodeInputs, EncodeOutputs> {
  /** Whether outputs include textEmbeds (a CLIPTextModelWithProjection checkpoint). */
  readonly withProjection: boolean;
  /**
   * The model's own final_layer_norm on a hidden state `[..., H]` (a new array): clip skip in SD
   * is `finalLayerNorm(hiddenStates[-(clipSkip + 1)])`.
   */
  finalLayerNorm(x: FloatTensor): Promise<FloatTensor>;
}
