import type { PromptTokenizer } from '../encoder.js';
import { PromptError } from '../errors.js';
import { parseComfyPieces } from './parse-weights.js';

/** A token id and its weight (ComfyUI's `(token, weight)` pair). */
export type TokenWeight = [token: number, weight: number];

export interface ComfyTokenizeOptions {
  /** 77 for CLIP. */
  maxLength?: number;
  /** SD1's CLIP-L pads with EOS; SD2's OpenCLIP-H (and SDXL's G) pad with 0. */
  padWithEnd?: boolean;
  /** Words of at least this many tokens may be split across chunks; shorter ones move whole. */
  maxWordLength?: number;
}

const vocabularies = new WeakMap<PromptTokenizer, Record<string, number>>();

function vocabOf(tokenizer: PromptTokenizer): Record<string, number> {
  let v = vocabularies.get(tokenizer);
  if (!v) vocabularies.set(tokenizer, (v = tokenizer.getVocab()));
  return v;
}

/**
 * ComfyUI's `SDTokenizer.tokenize_with_weights` (no textual inversion): weights from
 * `token_weights`, text split on spaces into words, each word tokenized alone (a word that is
 * itself a vocabulary entry is looked up as is), then packed into 77-token chunks without
 * splitting a word unless it is longer than `maxWordLength` tokens. A weight that is not a finite
 * number (`(cat:nan)`, `(cat:inf)`) throws PromptError: ComfyUI would write NaN/inf embeddings.
 */
export function tokenizeWithWeights(text: string, tokenizer: PromptTokenizer, options: ComfyTokenizeOptions = {}): TokenWeight[][] {
  const maxLength = options.maxLength ?? 77;
  const maxWordLength = options.maxWordLength ?? 8;
  const start = tokenizer.bosTokenId;
  const end = tokenizer.eosTokenId;
  const pad = (options.padWithEnd ?? true) ? end : 0;
  const vocab = vocabOf(tokenizer);

  const words: TokenWeight[][] = [];
  for (const { text: segment, weight } of parseComfyPieces(text)) {
    for (const word of segment.replaceAll('\n', ' ').split(' ')) {
      if (word === '') continue;
      const exact = Object.hasOwn(vocab, `${word}</w>`) ? [vocab[`${word}</w>`]!] : tokenizer.encode(word, { addSpecialTokens: false }).inputIds;
      words.push(exact.map((t): TokenWeight => [t, weight]));
    }
  }

  const batched: TokenWeight[][] = [];
  let batch: TokenWeight[] = [[start, 1.0]];
  batched.push(batch);
  for (const group of words) {
    const isLarge = group.length >= maxWordLength;
    // ComfyUI loops forever on a word it will not cut that no chunk can hold (only with options
    // where maxWordLength > maxLength - 2).
    if (!isLarge && group.length > maxLength - 2) {
      throw new PromptError(`a word of ${group.length} tokens fits no ${maxLength}-token chunk and maxWordLength ${maxWordLength} keeps it whole`);
    }
    // `from` walks through the word: slicing off the front each time would be quadratic in a long one.
    let from = 0;
    while (from < group.length) {
      if (group.length - from + batch.length > maxLength - 1) {
        const remaining = maxLength - batch.length - 1;
        if (isLarge) {
          // A long word is cut at the chunk boundary.
          for (let i = from; i < from + remaining; i++) batch.push(group[i]!);
          batch.push([end, 1.0]);
          from += remaining;
        } else {
          // A short word moves whole to the next chunk; this one is closed and padded.
          batch.push([end, 1.0]);
          for (let i = 0; i < remaining; i++) batch.push([pad, 1.0]);
        }
        batch = [[start, 1.0]];
        batched.push(batch);
      } else {
        for (let i = from; i < group.length; i++) batch.push(group[i]!);
        from = group.length;
      }
    }
  }
  batch.push([end, 1.0]);
  while (batch.length < maxLength) batch.push([pad, 1.0]);
  return batched;
}
