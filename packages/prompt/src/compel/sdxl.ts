import { concatHidden, requirePooled, type SdxlConditioning, type SdxlEncoder } from '../sdxl.js';
import type { CompelConjunction } from './structures.js';
import { encodeCompel, type CompelEncodeOptions } from './encode.js';

export type CompelSdxlOptions = Omit<CompelEncodeOptions, 'clipSkip' | 'finalNorm' | 'requiresPooled' | 'padTokenId'>;

export interface CompelSdxlConditioning extends SdxlConditioning {
  conjunctions: CompelConjunction[];
}

/**
 * compel's SDXL usage: `Compel(tokenizer=[tokenizer, tokenizer_2], text_encoder=[text_encoder,
 * text_encoder_2], returned_embeddings_type=PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED,
 * requires_pooled=[False, True])(prompts)`. EmbeddingsProviderMulti runs each encoder's provider
 * (its own tokenizer padding) and concatenates on the last axis; pooled is text_encoder_2's
 * `text_embeds` of the raw text.
 */
export async function encodeCompelSdxl(
  prompts: readonly string[],
  clipL: SdxlEncoder,
  clipG: SdxlEncoder,
  options: CompelSdxlOptions = {},
): Promise<CompelSdxlConditioning> {
  const l = await encodeCompel(prompts, clipL.tokenizer, clipL.cache, { ...options, clipSkip: 2, finalNorm: false });
  const g = await encodeCompel(prompts, clipG.tokenizer, clipG.cache, { ...options, clipSkip: 2, finalNorm: false, requiresPooled: true });
  return { embeds: concatHidden(l.embeds, g.embeds), pooled: requirePooled(g.pooled), conjunctions: l.conjunctions };
}
