/** A float tensor as plain data, row-major (the engines' common currency, no tfjs). */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

export interface EncodeOptions {
  /**
   * 1 = the last hidden state; n > 1 = hidden_states[-n] passed through final_layer_norm (what
   * A1111's "Clip skip", diffusers' clip_skip + 1 and ComfyUI's layer_idx = -n all compute).
   */
  clipSkip?: number;
  /**
   * [batch * seqLen] of 0/1: keys with 0 are masked out of attention (HF's attention_mask). compel
   * down-weights by masking; an encoder that ignores the mask gives wrong compel down-weighting.
   */
  attentionMask?: Int32Array;
  /**
   * false: hidden_states[-clipSkip] as the layer left it, without final_layer_norm (SDXL's
   * conditioning: webui and ComfyUI's "hidden" layer, compel's PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED).
   * Default true. Only the hidden state changes: the pooled output is always the model's own.
   */
  finalNorm?: boolean;
  /**
   * Per row, textual inversion vectors that take the place of the token lookup at their
   * positions (webui's EmbeddingsWithFixes, ComfyUI's added embedding rows). The ids at those
   * positions still choose the pooled position. An encoder without them cannot apply embeddings.
   */
  insertions?: readonly (readonly TokenInsertion[] | undefined)[];
}

/** One vector [H] placed at `position` of a row instead of that token's embedding. */
export interface TokenInsertion {
  position: number;
  vector: Float32Array;
}

export interface EncoderOutput {
  /** [batch, seqLen, hidden]: the hidden state selected by `clipSkip`. */
  lastHiddenState: Tensor;
  /** [batch, dim]: the pooled (or projected) output, where the model has one. */
  pooled?: Tensor;
}

/**
 * The text encoder a dialect drives: any CLIP text model on any engine. Rows are independent
 * (causal attention, no cross-row mixing), which is what lets a cache reuse rows.
 */
export interface PromptEncoder {
  encode(inputIds: Int32Array, batch: number, seqLen: number, options?: EncodeOptions): Promise<EncoderOutput>;
}

/** The tokenizer calls the dialects need; @sdtext/tokenizer's CLIPTokenizer has them all. */
export interface PromptTokenizer {
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  encode(text: string, options: { addSpecialTokens: false }): { inputIds: number[] };
  getVocab(): Record<string, number>;
}
