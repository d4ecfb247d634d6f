import type { TokenWeight } from './tokenize.js';
import { parseComfyPieces } from './parse-weights.js';

/** The T5 tokenizer calls ComfyUI's T5XXLTokenizer makes; @sdtext/tokenizer/t5's T5Tokenizer has them. */
export interface T5PromptTokenizer {
  readonly eosTokenId: number;
  readonly padTokenId: number;
  /** With the special tokens (`</s>` appended), as `tokenizer(word)["input_ids"]`. */
  encode(text: string): { inputIds: number[] };
}

export interface ComfyT5TokenizeOptions {
  /** T5XXLTokenizer's `min_length`: SD3 pads to 77, Flux to 256 (the row is never cut: its max_length is 99999999). */
  minLength: number;
}

/**
 * ComfyUI's `SDTokenizer.tokenize_with_weights` as its T5XXLTokenizer configures it
 * (`has_start_token=False`, `pad_with_end=False`, `pad_to_max_length=False`, `max_length=99999999`,
 * `min_length`): weights from `token_weights`, text split on spaces into words, each word tokenized
 * alone (`</s>` dropped), all in one row, then `</s>` and `<pad>` up to `minLength`. The row is
 * never cut: T5 sees the whole prompt. `embedding:` words are plain text here (no T5 embeddings).
 */
export function tokenizeT5WithWeights(text: string, tokenizer: T5PromptTokenizer, options: ComfyT5TokenizeOptions): TokenWeight[][] {
  const row: TokenWeight[] = [];
  for (const { text: segment, weight } of parseComfyPieces(text)) {
    for (const word of segment.replaceAll('\n', ' ').split(' ')) {
      if (word === '') continue;
      const ids = tokenizer.encode(word).inputIds;
      for (const id of ids.slice(0, -1)) row.push([id, weight]);
    }
  }
  row.push([tokenizer.eosTokenId, 1.0]);
  while (row.length < options.minLength) row.push([tokenizer.padTokenId, 1.0]);
  return [row];
}
