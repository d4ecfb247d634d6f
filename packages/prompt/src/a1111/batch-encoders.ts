import type { PromptTokenizer, Tensor } from '../encoder.js';
import type { EncoderCache } from '../encoder-cache.js';
import type { SdxlEncoder } from '../sdxl.js';
import type { A1111BatchEncoder, TextConditioning } from './conditioning-schedule.js';
import { encodeA1111, type A1111EncodeOptions } from './encode.js';
import { encodeA1111Sdxl, type A1111SdxlOptions } from './sdxl.js';

/** webui's SD 1.x/2.x `get_learned_conditioning(texts)`: FrozenCLIPEmbedderWithCustomWords.forward on one encoder. */
export function a1111BatchEncoder(tokenizer: PromptTokenizer, cache: EncoderCache, options: Omit<A1111EncodeOptions, 'repeats'> = {}): A1111BatchEncoder {
  return {
    async encode(texts, repeats) {
      const { embeds } = await encodeA1111(texts, tokenizer, cache, { ...options, repeats });
      return rows(embeds).map((e) => ({ embeds: e }));
    },
    async emptyPrompt() {
      return rows((await encodeA1111([''], tokenizer, cache, options)).embeds)[0]!;
    },
  };
}

/** webui's SDXL `get_learned_conditioning(texts)` (sd_models_xl): both text embedders, crossattn and the pooled vector. */
export function a1111SdxlBatchEncoder(clipL: SdxlEncoder, clipG: SdxlEncoder, options: Omit<A1111SdxlOptions, 'repeats' | 'isNegativePrompt'> = {}): A1111BatchEncoder {
  return {
    async encode(texts, repeats, isNegativePrompt): Promise<TextConditioning[]> {
      const out = await encodeA1111Sdxl(texts, clipL, clipG, { ...options, repeats, isNegativePrompt });
      const pooled = rows(out.pooled);
      return rows(out.embeds).map((embeds, i) => ({ embeds, pooled: pooled[i]! }));
    },
    async emptyPrompt() {
      return rows((await encodeA1111Sdxl([''], clipL, clipG, options)).embeds)[0]!;
    },
  };
}

/** [B, ...] as B tensors [...]. */
function rows(t: Tensor): Tensor[] {
  const [batch, ...rest] = t.dims;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: batch! }, (_, b) => ({ data: t.data.slice(b * size, (b + 1) * size), dims: rest }));
}
