import type { EncoderEngine } from '../engine.js';
import type { AttentionMask, TokenIds } from '../inputs.js';
import type { FloatTensor } from '../tensor.js';
import type { T5Config } from './config.js';

export interface T5EncodeInputs {
  /** [B][S] token ids (or one row [S], or a {data, dims} tensor), each in [0, vocab_size). Any length: positions are relative. */
  inputIds: TokenIds;
  /** [B][S], 1 = attend, 0 = padding (HF's extended mask: (1 - mask) * finfo(float32).min on the keys). */
  attentionMask?: AttentionMask | null;
  /** Also return HF's hidden_states: the embeddings, then each block's output; the last one is lastHiddenState. */
  outputHiddenStates?: boolean;
}

/** T5EncoderModel's outputs, as Hugging Face names them; fresh arrays the caller owns. */
export interface T5EncodeOutputs {
  /** [B, S, d_model], after the encoder's final_layer_norm. */
  lastHiddenState: FloatTensor;
  /**
   * num_layers + 1 tensors [B, S, d_model], as HF's T5Stack collects them: the input of each
   * block (the embeddings first), then final_layer_norm of the last block's output (so the last
   * equals lastHiddenState, and the last block's raw output is not among them).
   */
  hiddenStates?: FloatTensor[];
}

/** A T5 encoder on some runtime: @sdtext/text-encoder/t5's T5EncoderModel (tfjs) and @sdtext/onnx/t5's OnnxT5EncoderModel. */
export type T5EncoderEngine = EncoderEngine<T5Config, T5EncodeInputs, T5EncodeOutputs>;
