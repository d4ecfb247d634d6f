import { BYTE_ENCODER } from './byte-encoder.js';
import type { BytePairEncoder } from './bpe.js';

/** One step of CLIP's BPE loop: the best-ranked adjacent pair, merged everywhere it occurs. */
export interface BpeStep {
  /** Merge rank (its line in merges.txt, from 0): lower merges first. */
  rank: number;
  /** The pair merged, as vocabulary tokens, and the token it becomes. */
  pair: [string, string];
  merged: string;
  /** How many times the pair occurred (all are merged in this step). */
  count: number;
  /** The word's symbols after this step. */
  symbols: string[];
}

/** How one word becomes tokens: its UTF-8 bytes, their byte symbols, and every merge step. */
export interface BpeTrace {
  word: string;
  /** The UTF-8 bytes of the word. */
  bytes: number[];
  /** Each byte as the printable character BPE works on (GPT-2's byte map); the last carries `</w>`. */
  byteSymbols: string[];
  steps: BpeStep[];
  /** The final symbols, as token ids (what `encode` gives for this word). */
  ids: number[];
}

/**
 * Hugging Face's `CLIPTokenizer.bpe` loop as written: find the adjacent pair with the lowest merge
 * rank, merge every occurrence left to right, repeat until no pair has a rank. The tokenizer's own
 * encoder reaches the same tokens with a heap (O(n log n)); this one is for showing the steps.
 */
export function traceBpe(word: string, bpe: BytePairEncoder, decoder: readonly string[]): BpeTrace {
  const bytes = new TextEncoder().encode(word);
  let symbols = bpe.byteSymbols(bytes);
  const steps: BpeStep[] = [];
  for (;;) {
    // The adjacent pair with the lowest rank (a rank names exactly one pair: its line of merges.txt).
    let best: { rank: number; left: number; right: number } | null = null;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const rank = bpe.rankOf(symbols[i]!, symbols[i + 1]!);
      if (rank !== undefined && (best === null || rank < best.rank)) best = { rank, left: symbols[i]!, right: symbols[i + 1]! };
    }
    if (best === null) break;
    const { left, right } = best;
    const merged = bpe.resultOf(best.rank);
    const next: number[] = [];
    let count = 0;
    for (let i = 0; i < symbols.length; ) {
      if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
        next.push(merged);
        count++;
        i += 2;
      } else {
        next.push(symbols[i]!);
        i++;
      }
    }
    symbols = next;
    steps.push({ rank: best.rank, pair: [decoder[left]!, decoder[right]!], merged: decoder[merged]!, count, symbols: symbols.map((id) => decoder[id]!) });
  }
  return {
    word,
    bytes: [...bytes],
    byteSymbols: [...bytes].map((b, i) => BYTE_ENCODER[b]! + (i === bytes.length - 1 ? '</w>' : '')),
    steps,
    ids: symbols,
  };
}
