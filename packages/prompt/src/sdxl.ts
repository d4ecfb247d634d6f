import type { PromptTokenizer, Tensor } from './encoder.js';
import type { EncoderCache } from './encoder-cache.js';

/** One of SDXL's two text encoders with its tokenizer: CLIP-L (`text_encoder`) or CLIP-G (`text_encoder_2`). */
export interface SdxlEncoder {
  tokenizer: PromptTokenizer;
  cache: EncoderCache;
}

/** SDXL's text conditioning: both encoders' hidden states side by side and CLIP-G's pooled output. */
export interface SdxlConditioning {
  /** [B, 77k, H_L + H_G]: CLIP-L's features first, then CLIP-G's, per token. */
  embeds: Tensor;
  /** [B, P]: CLIP-G's projected pooled output (`text_embeds`) of the first chunk. */
  pooled: Tensor;
}

/**
 * torch.cat([l, g], dim=-1) for [B, T, H] tensors; a longer sequence is cut to the shorter one
 * (ComfyUI's `cut_to`; webui and compel always give both the same length).
 */
export function concatHidden(l: Tensor, g: Tensor): Tensor {
  const [batch, tl, hl] = l.dims as [number, number, number];
  const [bg, tg, hg] = g.dims as [number, number, number];
  if (batch !== bg) throw new Error(`SDXL: CLIP-L batch ${batch} != CLIP-G batch ${bg}`);
  const seq = Math.min(tl, tg);
  const h = hl + hg;
  const data = new Float32Array(batch * seq * h);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seq; t++) {
      const at = (b * seq + t) * h;
      data.set(l.data.subarray((b * tl + t) * hl, (b * tl + t + 1) * hl), at);
      data.set(g.data.subarray((b * tg + t) * hg, (b * tg + t + 1) * hg), at + hl);
    }
  }
  return { data, dims: [batch, seq, h] };
}

/** The pooled output SDXL needs from CLIP-G. */
export function requirePooled(pooled: Tensor | undefined): Tensor {
  if (!pooled) throw new Error('SDXL: the CLIP-G encoder gives no pooled output (it must be CLIPTextModelWithProjection)');
  return pooled;
}
