import { describe, expect, it } from 'vitest';
import { fastTokenizer, PROMPTS, rustTokenizer, SLOW_EXPECTED, slowTokenizer, type ModelName } from './fixtures.js';

// The two references disagree on purpose in places (docs/t5-tokenizer.md). Each example here is a
// corpus prompt on which our fast path equals the Rust tokenizers, our slow path equals
// transformers' T5Tokenizer, and the two differ in the way the docs say.

interface Difference {
  readonly what: string;
  readonly model: ModelName;
  readonly prompt: string;
  /** Runs of tokens that show the difference (fast, slow), checked beside the ids. */
  readonly fastTokens?: readonly string[];
  readonly slowTokens?: readonly string[];
  readonly compare?: 'ids' | 'decode';
}

const DIFFERENCES: Difference[] = [
  { what: '</s> written at the end: the slow tokenizer adds no second one', model: 't5-nobf', prompt: 'a photo </s>' },
  {
    what: 'a full-width special normalizes to a vocabulary entry, which only Rust matches',
    model: 't5-nobf',
    prompt: 'full-width specials ＜／ｓ＞ ＜ｕｎｋ＞ ＜ｐａｄ＞ ＜ｅｘｔｒａ＿ｉｄ＿０＞',
    fastTokens: ['▁', '</s>', '▁', '<unk>', '▁', '<pad>', '▁', '<extra_id_0>'],
  },
  { what: 'byte pieces written in the text are vocabulary entries for Rust', model: 't5-bf', prompt: 'byte pieces written <0x41> <0xE2><0x96><0x81>', fastTokens: ['<0x41>'] },
  { what: 'byte fallback: the converter drops it, unknown text is <unk> on the fast path', model: 't5-bf', prompt: 'emoji 😀 😃 😄 🐱 🚀 🌸', fastTokens: ['😀'], slowTokens: ['<0xF0>', '<0x9F>', '<0x98>', '<0x80>'] },
  { what: 'a short grapheme cluster takes the shortest rule and loses its marks', model: 't5-nobf', prompt: 'full width with accent Ａ\u0301 Ｂ\u0308 ｅ\u0301', fastTokens: ['▁', 'A', '▁', 'B', '▁', 'e'], slowTokens: ['▁', 'Á', '▁', 'B', '\u0308', '▁', 'é'] },
  { what: 'a ligature with an accent: the accent goes on the fast path', model: 't5-nobf', prompt: 'ligature with accent ﬁ\u0301 ﬂ\u0308', fastTokens: ['▁fi', '▁', 'f', 'l'], slowTokens: ['▁fi', '\u0301', '▁', 'f', 'l', '\u0308'] },
  { what: 'decomposed Vietnamese: e + dot below + circumflex keeps only the first mark', model: 't5-nobf', prompt: 'Vietnamese decomposed Tie\u0302\u0301ng Vie\u0323\u0302t', fastTokens: ['ẹ'], slowTokens: ['ệ'] },
  { what: 'a cluster of 6 bytes or more is normalized character by character', model: 't5-nobf', prompt: 'stacked a\u0301\u0302\u0303\u0304 e\u0323\u0302 o\u031b\u0301 x\u0301\u0301\u0301', fastTokens: ['▁a'], slowTokens: ['á̂̃̄'] },
  { what: 'equal-score splits: float32 sums (SentencePiece) and f64 sums (Rust) break the tie apart', model: 't5-nobf', prompt: 'zrmmmrz', fastTokens: ['m', 'mm'], slowTokens: ['mm', 'm'] },
  { what: 'decode: spaces around sentinels on the slow path only', model: 't5-nobf', prompt: 'a <extra_id_0> b', compare: 'decode' },
  { what: 'decode: byte pieces are text for the slow path, literal <0xNN> for the fast one', model: 't5-bf', prompt: 'precomposed é è ê ë à â ä ç ñ ö ü ß', compare: 'decode' },
];

/** Whether `part` occurs in `tokens` as a contiguous run. */
function containsRun(tokens: readonly string[], part: readonly string[]): boolean {
  return tokens.some((_, i) => part.every((p, j) => tokens[i + j] === p));
}

describe('where T5TokenizerFast and the slow T5Tokenizer differ', () => {
  it.each(DIFFERENCES.map((d) => [d.what, d] as const))('%s', async (_what, d) => {
    const index = PROMPTS.indexOf(d.prompt);
    expect(index, 'the example is a corpus prompt').toBeGreaterThanOrEqual(0);
    const fast = fastTokenizer(d.model);
    const slow = slowTokenizer(d.model);
    const rust = await rustTokenizer(d.model).encode(d.prompt);
    const reference = SLOW_EXPECTED.models[d.model].cases[index]!;
    const fastIds = fast.encode(d.prompt).inputIds;
    const slowIds = slow.encode(d.prompt).inputIds;
    expect(fastIds).toEqual(rust.getIds());
    expect(slowIds).toEqual(reference.input_ids);
    if (d.compare === 'decode') {
      // Both decode the same ids (the slow path's) differently.
      const rustText = await rustTokenizer(d.model).decode(slowIds, false);
      expect(fast.decode(slowIds, { cleanUpTokenizationSpaces: false })).toBe(rustText);
      expect(slow.decode(slowIds)).toBe(reference.decode);
      expect(fast.decode(slowIds)).not.toBe(slow.decode(slowIds));
      return;
    }
    expect(fastIds).not.toEqual(slowIds);
    if (d.fastTokens) expect(containsRun(fast.tokenize(d.prompt), d.fastTokens)).toBe(true);
    if (d.slowTokens) expect(containsRun(slow.tokenize(d.prompt), d.slowTokens)).toBe(true);
  });
});
