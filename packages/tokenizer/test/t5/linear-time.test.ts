import { describe, expect, it } from 'vitest';
import type { T5Tokenizer } from '../../src/t5/index.js';
import { fastTokenizer, slowTokenizer } from './fixtures.js';

// Megabyte inputs of the shapes that make tokenizers quadratic: one letter (a single 1 MB word
// for the Viterbi search), spaces (one run for the normalizer), emoji (unknown characters, fused
// or byte fallback), stacked marks (grapheme clusters), sentinels (added-token matching). Each
// takes well under a second when linear (about 0.1-0.8 s here); a quadratic step would take
// minutes. The bound is generous: it only catches blow-ups.

const MEGABYTE = 1 << 20;
const BOUND_MS = 10_000;

const INPUTS: Record<string, string> = {
  'one letter': 'a'.repeat(MEGABYTE),
  spaces: 'x' + ' '.repeat(MEGABYTE) + 'y',
  emoji: '😀'.repeat(MEGABYTE / 4),
  'letter and combining mark': 'e\u0301'.repeat(MEGABYTE / 3),
  sentinels: '<extra_id_0> '.repeat(MEGABYTE / 13),
};

function timedEncode(tokenizer: T5Tokenizer, text: string): { ms: number; ids: number[] } {
  const start = performance.now();
  const { inputIds } = tokenizer.encode(text);
  return { ms: performance.now() - start, ids: inputIds };
}

describe.each([
  ['T5TokenizerFast', () => fastTokenizer('t5-bf')],
  ['T5Tokenizer (slow, byte fallback)', () => slowTokenizer('t5-bf')],
])('%s on 1 MB inputs', (_name, make) => {
  const tokenizer = make();
  it.each(Object.keys(INPUTS))('%s', (shape) => {
    const { ms, ids } = timedEncode(tokenizer, INPUTS[shape]!);
    expect(ids[ids.length - 1]).toBe(tokenizer.eosTokenId);
    expect(ms).toBeLessThan(BOUND_MS);
  });
});
