import type { Tensor } from '../encoder.js';
import type { EncoderCache } from '../encoder-cache.js';
import { concatHidden, type SdxlEncoder } from '../sdxl.js';
import type { ComfyEmbeddings } from './embedding-folder.js';
import { encodeComfyT5 } from './t5-encode.js';
import { tokenizeT5WithWeights, type T5PromptTokenizer } from './t5-tokenize.js';
import { encodeComfyClipPair } from './sdxl.js';
import type { TokenWeight } from './tokenize.js';

/** The T5 encoder of SD3 / Flux with its tokenizer; its cache over `t5EngineEncoder`. */
export interface ComfyT5Encoder {
  tokenizer: T5PromptTokenizer;
  cache: EncoderCache;
}

export interface ComfySd3Options {
  /**
   * The width the CLIP pair is zero-padded to before T5's rows follow it: ComfyUI writes 4096
   * (T5-XXL's d_model, the MMDiT's joint width). Give the T5 encoder's width (or the transformer's
   * joint_attention_dim without T5).
   */
  jointWidth: number;
  /** The embeddings folder as each CLIP tokenizer reads it (`clip_l` / `clip_g` vectors). */
  embeddings?: { l: ComfyEmbeddings; g: ComfyEmbeddings };
  /** The CLIP encoders' widths (see ComfyEncodeOptions.hiddenSize). */
  hiddenSizes?: { l: number; g: number };
  onWarning?: (message: string) => void;
}

export interface ComfySd3Conditioning {
  /** [1, 77k + T, jointWidth]: CLIP-L and CLIP-G side by side, zero-padded, then T5's T rows (none without T5). */
  embeds: Tensor;
  /** [1, P_L + P_G]: CLIP-L's pooled output (unprojected) and CLIP-G's projected one, first chunk. */
  pooled: Tensor;
  /** SD3Tokenizer.tokenize_with_weights: { l, g, t5xxl } rows of [token, weight] (t5xxl null without T5). */
  tokens: { l: TokenWeight[][]; g: TokenWeight[][]; t5xxl: TokenWeight[][] | null };
}

/** torch.nn.functional.pad(x, (0, width - W)) on the last axis: zeros on the right, or columns cut off when width < W. */
export function padLastAxis(t: Tensor, width: number): Tensor {
  const from = t.dims.at(-1)!;
  if (from === width) return t;
  const rows = t.data.length / from;
  const data = new Float32Array(rows * width);
  const keep = Math.min(from, width);
  for (let r = 0; r < rows; r++) data.set(t.data.subarray(r * from, r * from + keep), r * width);
  return { data, dims: [...t.dims.slice(0, -1), width] };
}

/** torch.cat([a, b], dim=-2) for [1, S, W] tensors. */
export function concatSequence(a: Tensor, b: Tensor): Tensor {
  if (a.dims[2] !== b.dims[2]) throw new Error(`cannot join sequences of widths ${a.dims[2]} and ${b.dims[2]}`);
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, dims: [1, a.dims[1]! + b.dims[1]!, a.dims[2]!] };
}

/**
 * ComfyUI's SD3ClipModel.encode_token_weights (comfy/text_encoders/sd3_clip.py): clip_l
 * (SDClipModel, layer "hidden" -2, no final norm, EOS padding, *unprojected* pooled output) and
 * clip_g (SDXLClipG: hidden -2, no final norm, padding 0, projected pooled) each weight their tokens
 * as `(z - z_empty) * w + z_empty`, are joined side by side (cut to the shorter) and zero-padded to
 * `jointWidth`; T5XXL's row (T5XXLTokenizer: the whole prompt in one row, padded to 77; weighted the
 * same way) follows along the sequence. pooled = cat(l_pooled, g_pooled). `clipL.cache` must give
 * CLIP-L's pooler_output, not text_embeds (ComfyUI's `return_projected_pooled=False`).
 */
export async function encodeComfySd3(
  text: string,
  clipL: SdxlEncoder,
  clipG: SdxlEncoder,
  t5: ComfyT5Encoder | null,
  options: ComfySd3Options,
): Promise<ComfySd3Conditioning> {
  // SD3ClipModel's clip_l and clip_g: hidden -2, as SDXL's (CLIPSetLastLayer does not apply here).
  const { l, g, lOut, gOut } = await encodeComfyClipPair(text, clipL, clipG, 2, options);
  const t5Tokens = t5 ? tokenizeT5WithWeights(text, t5.tokenizer, { minLength: 77 }) : null;
  if (!lOut.pooled || !gOut.pooled) throw new Error('SD3: both CLIP encoders must give a pooled output');
  let embeds = padLastAxis(concatHidden(lOut.embeds, gOut.embeds), options.jointWidth);
  if (t5 && t5Tokens) {
    embeds = concatSequence(embeds, await encodeComfyT5(t5Tokens, t5.cache, { eosTokenId: t5.tokenizer.eosTokenId, padTokenId: t5.tokenizer.padTokenId }));
  }
  const pooled = new Float32Array(lOut.pooled.data.length + gOut.pooled.data.length);
  pooled.set(lOut.pooled.data);
  pooled.set(gOut.pooled.data, lOut.pooled.data.length);
  return { embeds, pooled: { data: pooled, dims: [1, pooled.length] }, tokens: { l, g, t5xxl: t5Tokens } };
}
