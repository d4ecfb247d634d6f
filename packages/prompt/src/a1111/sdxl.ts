import type { Tensor } from '../encoder.js';
import { concatHidden, requirePooled, type SdxlConditioning, type SdxlEncoder } from '../sdxl.js';
import type { A1111ChunkOptions, PromptChunk } from './chunks.js';
import type { A1111Embeddings } from './embedding-database.js';
import { encodeA1111 } from './encode.js';

export interface A1111SdxlOptions extends Omit<A1111ChunkOptions, 'embeddings'> {
  /** webui's "Clip skip" (CLIP_stop_at_last_layers): for SDXL it only acts with `sdxlClipLSkip`. */
  clipSkip?: number;
  /**
   * webui's opts.sdxl_clip_l_skip ("Clip skip SDXL", default false): CLIP-L then takes
   * hidden_states[-clipSkip] (no final norm, clip skip 1 included); CLIP-G never skips.
   */
  sdxlClipLSkip?: boolean;
  /** A negative prompt: when every text is empty, webui sends zeros (force_zero_embeddings=['txt']). */
  isNegativePrompt?: boolean;
  /** As A1111EncodeOptions.repeats: each text's count in webui's batch, for the emphasis mean. */
  repeats?: readonly number[];
  /** Embeddings by name for CLIP-L (their `clip_l` vectors) and CLIP-G (`clip_g`). */
  embeddingsL?: A1111Embeddings;
  embeddingsG?: A1111Embeddings;
}

export interface A1111SdxlConditioning extends SdxlConditioning {
  /** Per text, its chunks (CLIP-L's; CLIP-G's differ only in padding). */
  chunks: PromptChunk[][];
  tokenCount: number;
}

/**
 * webui's SDXL conditioning (sd_models_xl.get_learned_conditioning through sgm's GeneralConditioner):
 * CLIP-L (FrozenCLIPEmbedderForSDXLWithCustomWords, layer "hidden", layer_idx 11 = hidden_states[-2]
 * without final norm, EOS padding) and CLIP-G (FrozenOpenCLIPEmbedder2WithCustomWords, layer
 * "penultimate" without final norm, padding 0) each chunk the texts and apply emphasis on their own
 * output; the two are concatenated on the last axis and the pooled vector is CLIP-G's
 * `ln_final(last)[eos] @ text_projection` of the first chunk.
 */
export async function encodeA1111Sdxl(
  texts: readonly string[],
  clipL: SdxlEncoder,
  clipG: SdxlEncoder,
  options: A1111SdxlOptions = {},
): Promise<A1111SdxlConditioning> {
  const { clipSkip = 1, sdxlClipLSkip = false, isNegativePrompt = false, repeats, embeddingsL, embeddingsG, ...chunkOptions } = options;
  const l = await encodeA1111(texts, clipL.tokenizer, clipL.cache, {
    ...chunkOptions,
    clipSkip: sdxlClipLSkip ? clipSkip : 2,
    finalNorm: false,
    padTokenId: clipL.tokenizer.eosTokenId, // FrozenCLIPEmbedderWithCustomWords: id_pad = id_end
    ...(repeats ? { repeats } : {}),
    ...(embeddingsL ? { embeddings: embeddingsL } : {}),
  });
  const g = await encodeA1111(texts, clipG.tokenizer, clipG.cache, {
    ...chunkOptions,
    clipSkip: 2,
    finalNorm: false,
    padTokenId: 0, // FrozenOpenCLIPEmbedder2WithCustomWords: id_pad = 0
    ...(repeats ? { repeats } : {}),
    ...(embeddingsG ? { embeddings: embeddingsG } : {}),
  });
  let embeds = concatHidden(l.embeds, g.embeds);
  let pooled = requirePooled(g.pooled);
  if (isNegativePrompt && texts.every((t) => t === '')) {
    embeds = zeros(embeds);
    pooled = zeros(pooled);
  }
  return { embeds, pooled, chunks: l.chunks, tokenCount: l.tokenCount };
}

function zeros(t: Tensor): Tensor {
  return { data: new Float32Array(t.data.length), dims: [...t.dims] };
}
