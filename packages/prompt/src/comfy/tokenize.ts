import type { PromptTokenizer } from '../encoder.js';
import { escapeImportant, tokenWeights, unescapeImportant } from './parse-weights.js';

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
 * splitting a word unless it is longer than `maxWordLength` tokens.
 */
export function tokenizeWithWeights(text: string, tokenizer: PromptTokenizer, options: ComfyTokenizeOptions = {}): TokenWeight[][] {
  const maxLength = options.maxLength ?? 77;
  const maxWordLength = options.maxWordLength ?? 8;
  const start = tokenizer.bosTokenId;
  const end = tokenizer.eosTokenId;
  const pad = (options.padWithEnd ?? true) ? end : 0;
  const vocab = vocabOf(tokenizer);

  const words: TokenWeight[][] = [];
  for (const { text: segment, weight } of tokenWeights(escapeImportant(text), 1.0)) {
    for (const word of unescapeImportant(segment).replaceAll('\n', ' ').split(' ')) {
      if (word === '') continue;
      const exact = Object.hasOwn(vocab, `${word}</w>`) ? [vocab[`${word}</w>`]!] : tokenizer.encode(word, { addSpecialTokens: false }).inputIds;
      words.push(exact.map((t): TokenWeight => [t, weight]));
    }
  }

  const batched: TokenWeight[][] = [];
  let batch: TokenWeight[] = [[start, 1.0]];
  batched.push(batch);
  for (let group of words) {
    const isLarge = group.length >= maxWordLength;
    while (group.length > 0) {
      if (group.length + batch.length > maxLength - 1) {
        const remaining = maxLength - batch.length - 1;
        if (isLarge) {
          // A long word is cut at the chunk boundary.
          batch.push(...group.slice(0, remaining), [end, 1.0]);
          group = group.slice(remaining);
        } else {
          // A short word moves whole to the next chunk; this one is closed and padded.
          batch.push([end, 1.0]);
          for (let i = 0; i < remaining; i++) batch.push([pad, 1.0]);
        }
        batch = [[start, 1.0]];
        batched.push(batch);
      } else {
        batch.push(...group);
        group = [];
      }
    }
  }
  batch.push([end, 1.0]);
  while (batch.length < maxLength) batch.push([pad, 1.0]);
  return batched;
}
