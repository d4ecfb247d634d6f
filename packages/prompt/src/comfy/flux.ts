import type { Tensor } from '../encoder.js';
import type { SdxlEncoder } from '../sdxl.js';
import type { ComfyEmbeddings } from './embedding-folder.js';
import { encodeComfy } from './encode.js';
import type { ComfyT5Encoder } from './sd3.js';
import { encodeComfyT5 } from './t5-encode.js';
import { tokenizeT5WithWeights } from './t5-tokenize.js';
import { tokenizeWithWeights, type TokenWeight } from './tokenize.js';

export interface ComfyFluxOptions {
  /** The embeddings folder as the CLIP-L tokenizer reads it. */
  embeddings?: ComfyEmbeddings;
  /** CLIP-L's width (see ComfyEncodeOptions.hiddenSize). */
  hiddenSize?: number;
  onWarning?: (message: string) => void;
}

export interface ComfyFluxConditioning {
  /** [1, T, d_model]: T5's row (the whole prompt, padded to 256), weighted. */
  embeds: Tensor;
  /** [1, H_L]: CLIP-L's pooler_output (unprojected) of the first chunk. */
  pooled: Tensor;
  tokens: { l: TokenWeight[][]; t5xxl: TokenWeight[][] };
}

/**
 * ComfyUI's FluxClipModel.encode_token_weights (comfy/text_encoders/flux.py): T5XXL's weighted row
 * (T5XXLTokenizer with `min_length=256`) is the conditioning; clip_l (SDClipModel, layer "last",
 * `return_projected_pooled=False`) gives only its pooled output, which weights do not change.
 * `clipL.cache` must give CLIP-L's pooler_output.
 */
export async function encodeComfyFlux(text: string, clipL: SdxlEncoder, t5: ComfyT5Encoder, options: ComfyFluxOptions = {}): Promise<ComfyFluxConditioning> {
  const warn = options.onWarning ? { onWarning: options.onWarning } : {};
  const l = tokenizeWithWeights(text, clipL.tokenizer, { padWithEnd: true, ...warn, ...(options.embeddings ? { embeddings: options.embeddings } : {}) });
  const t5Tokens = tokenizeT5WithWeights(text, t5.tokenizer, { minLength: 256 });
  const embeds = await encodeComfyT5(t5Tokens, t5.cache, { eosTokenId: t5.tokenizer.eosTokenId, padTokenId: t5.tokenizer.padTokenId });
  const lOut = await encodeComfy(l, clipL.cache, {
    padTokenId: clipL.tokenizer.eosTokenId,
    bosTokenId: clipL.tokenizer.bosTokenId,
    eosTokenId: clipL.tokenizer.eosTokenId,
    ...warn,
    ...(options.hiddenSize !== undefined ? { hiddenSize: options.hiddenSize } : {}),
  });
  if (!lOut.pooled) throw new Error('Flux: the CLIP-L encoder must give a pooled output');
  return { embeds, pooled: lOut.pooled, tokens: { l, t5xxl: t5Tokens } };
}
