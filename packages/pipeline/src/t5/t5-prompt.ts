import type { T5EncoderEngine } from '@sdtext/core/t5';
import type { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { zeros } from '../array-ops.js';
import type { ArrayTensor } from '../embeddings.js';
import { pythonRepr } from '../truncation-warning.js';

/** The T5 encoder of SD3 (`tokenizer_3`, `text_encoder_3`) or Flux (`tokenizer_2`, `text_encoder_2`). */
export interface T5Stage {
  tokenizer: T5Tokenizer;
  /** Either engine, through @sdtext/core/t5's interface. */
  textEncoder: T5EncoderEngine;
}

/** diffusers' `max_sequence_length`, checked as its check_inputs does (at most 512). */
export function checkMaxSequenceLength(value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`maxSequenceLength must be a positive integer, got ${n}`);
  if (n > 512) throw new Error(`\`maxSequenceLength\` cannot be greater than 512 but is ${n}`);
  return n;
}

/**
 * diffusers' warning when T5 prompts are cut (`_get_t5_prompt_embeds`), word for word: the removed
 * text is decoded from the untruncated ids, padded to the longest, from position
 * `clipMaxLength - 1` (the CLIP tokenizer's 77 - 1: diffusers' own index, whatever
 * max_sequence_length is) to the last, for every prompt of the batch. Null when nothing was cut.
 */
export function t5TruncationWarning(tokenizer: T5Tokenizer, texts: readonly string[], maxSequenceLength: number, clipMaxLength: number): string | null {
  const untruncated = tokenizer.encode(texts, { padding: 'longest' }).inputIds;
  if ((untruncated[0]?.length ?? 0) <= maxSequenceLength) return null; // padded to max_sequence_length, the two are equal
  const removed = tokenizer.batchDecode(untruncated.map((row) => row.slice(clipMaxLength - 1, -1)));
  return `The following part of your input was truncated because \`max_sequence_length\` is set to  ${maxSequenceLength} tokens: [${removed.map(pythonRepr).join(', ')}]`;
}

/**
 * diffusers' `_get_t5_prompt_embeds` (SD3 and Flux): prompts padded to `maxSequenceLength` with
 * truncation (and diffusers' warning), the encoder's last hidden state, no attention mask: [B, S, D].
 * Without a T5 (SD3 loaded with `text_encoder_3=None`): zeros [B, S, jointAttentionDim].
 */
export async function t5PromptEmbeds(
  stage: T5Stage | null,
  texts: readonly string[],
  maxSequenceLength: number,
  options: { clipMaxLength: number; jointAttentionDim: number; warn: ((m: string) => void) | null },
): Promise<ArrayTensor> {
  if (stage === null) return zeros([texts.length, maxSequenceLength, options.jointAttentionDim]);
  const { inputIds } = stage.tokenizer.encode(texts, { padding: 'max_length', maxLength: maxSequenceLength, truncation: true });
  const message = options.warn && t5TruncationWarning(stage.tokenizer, texts, maxSequenceLength, options.clipMaxLength);
  if (message) options.warn!(message);
  const out = await stage.textEncoder.encode({ inputIds });
  return { data: out.lastHiddenState.data, shape: out.lastHiddenState.dims };
}
