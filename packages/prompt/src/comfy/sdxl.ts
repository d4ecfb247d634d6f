import { concatHidden, requirePooled, type SdxlConditioning, type SdxlEncoder } from '../sdxl.js';
import type { ComfyEmbeddings } from './embedding-folder.js';
import { encodeComfy, type ComfyConditioning } from './encode.js';
import { tokenizeWithWeights, type TokenWeight } from './tokenize.js';

export interface ComfySdxlOptions {
  /**
   * CLIPSetLastLayer's stop_at_clip_layer as a positive n (-n): both encoders then take
   * hidden_states[-n] without final norm. Unset: SDXLClipModel's own layers, which are n = 2 for both.
   */
  clipSkip?: number;
  /** The embeddings folder as each tokenizer reads it (SDXLClipL: `clip_l` vectors; SDXLClipG: `clip_g`). */
  embeddings?: { l: ComfyEmbeddings; g: ComfyEmbeddings };
  /** The encoders' widths (see ComfyEncodeOptions.hiddenSize). */
  hiddenSizes?: { l: number; g: number };
  onWarning?: (message: string) => void;
}

export interface ComfySdxlConditioning extends SdxlConditioning {
  /** SDXLTokenizer.tokenize_with_weights: { l, g } chunks of [token, weight]. */
  tokens: { l: TokenWeight[][]; g: TokenWeight[][] };
}

/**
 * ComfyUI's SDXLClipModel.encode_token_weights: clip_l (SDClipModel, layer "hidden", layer_idx -2,
 * layer_norm_hidden_state False, EOS padding) and clip_g (SDXLClipG, "penultimate" = hidden -2,
 * no final norm, padding 0) each weight their tokens as `(z - z_empty) * w + z_empty`; the result
 * is `cat([l, g], -1)` cut to the shorter length, pooled from clip_g (projected).
 */
export async function encodeComfySdxl(text: string, clipL: SdxlEncoder, clipG: SdxlEncoder, options: ComfySdxlOptions = {}): Promise<ComfySdxlConditioning> {
  const { l, g, lOut, gOut } = await encodeComfyClipPair(text, clipL, clipG, options.clipSkip ?? 2, options);
  return { embeds: concatHidden(lOut.embeds, gOut.embeds), pooled: requirePooled(gOut.pooled), tokens: { l, g } };
}

/**
 * The CLIP half ComfyUI's SDXL and SD3 models share: clip_g tokenized with padding 0 and clip_l
 * with EOS padding, each weighted and encoded from hidden_states[-clipSkip] without final norm.
 */
export async function encodeComfyClipPair(
  text: string,
  clipL: SdxlEncoder,
  clipG: SdxlEncoder,
  clipSkip: number,
  options: Omit<ComfySdxlOptions, 'clipSkip'>,
): Promise<{ l: TokenWeight[][]; g: TokenWeight[][]; lOut: ComfyConditioning; gOut: ComfyConditioning }> {
  const warn = options.onWarning ? { onWarning: options.onWarning } : {};
  const g = tokenizeWithWeights(text, clipG.tokenizer, { padWithEnd: false, ...warn, ...(options.embeddings ? { embeddings: options.embeddings.g } : {}) });
  const l = tokenizeWithWeights(text, clipL.tokenizer, { padWithEnd: true, ...warn, ...(options.embeddings ? { embeddings: options.embeddings.l } : {}) });
  const encode = (tokens: TokenWeight[][], encoder: SdxlEncoder, padTokenId: number, hiddenSize: number | undefined): Promise<ComfyConditioning> =>
    encodeComfy(tokens, encoder.cache, {
      clipSkip,
      finalNorm: false,
      padTokenId,
      bosTokenId: encoder.tokenizer.bosTokenId,
      eosTokenId: encoder.tokenizer.eosTokenId,
      ...warn,
      ...(hiddenSize !== undefined ? { hiddenSize } : {}),
    });
  const gOut = await encode(g, clipG, 0, options.hiddenSizes?.g);
  const lOut = await encode(l, clipL, clipL.tokenizer.eosTokenId, options.hiddenSizes?.l);
  return { l, g, lOut, gOut };
}
