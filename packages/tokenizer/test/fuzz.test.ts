import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';

// CLIPTokenizer on random text: every call returns, in time, ids inside the vocabulary, and
// decode turns any ids back into a string. Then megabyte inputs of the shapes that make other
// tokenizers quadratic (one long BPE word, one long pattern match): each well under its bound.

/** Runs per property: a short budget by default, SDTEXT_FUZZ_RUNS for a long run. */
const FUZZ_RUNS = Number(process.env['SDTEXT_FUZZ_RUNS'] ?? 150);
/** Per call on texts of up to a few hundred characters (microseconds when linear). */
const CALL_BUDGET_MS = 250;

const tokenizer = CLIPTokenizer.fromPreset('sd2');

function timed<T>(budgetMs: number, what: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  const elapsed = performance.now() - start;
  if (elapsed > budgetMs) throw new Error(`${what} took ${elapsed.toFixed(0)} ms (budget ${budgetMs} ms)`);
  return result;
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyText = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: loneSurrogate },
    // What CLIP's cleaning and pattern treat specially: contractions, specials, spaces, marks.
    { weight: 2, arbitrary: fc.constantFrom("'", "'s", "'ll", ' ', '\u3000', '\x85', '\0', '\u0301', '<|endoftext|>', '<|startoftext|>', '😀', '1', 'a', 'Ⅻ') },
  ),
  maxLength: 200,
});
const asciiText = fc.string({ unit: 'grapheme-ascii', maxLength: 200 });
const graphemeText = fc.string({ unit: 'grapheme', maxLength: 100 });

/** Inputs that once failed here, or that are known to be hard (kept as regressions). */
const EXAMPLES: string[] = ["'''", "'s's's", '\ud800\udc00\udc00', 'a\u0301\u0301', '<|endoftext|><|endoftext|>', ' \x85\u3000 '];

describe('CLIPTokenizer.fromPreset("sd2") on random text', () => {
  tokenizer.encode('warm up');
  for (const [name, texts] of Object.entries({ 'any Unicode': anyText, ASCII: asciiText, graphemes: graphemeText })) {
    it(`tokenize, encode and decode: ${name}`, () => {
      fc.assert(
        fc.property(texts, (text) => {
          const tokens = timed(CALL_BUDGET_MS, 'tokenize', () => tokenizer.tokenize(text));
          const { inputIds, attentionMask } = timed(CALL_BUDGET_MS, 'encode', () => tokenizer.encode(text));
          expect(inputIds).toHaveLength(tokens.length + 2);
          expect(attentionMask.every((m) => m === 1)).toBe(true);
          for (const id of inputIds) expect(id >= 0 && id < tokenizer.length).toBe(true);
          const padded = tokenizer.encode(text, { padding: 'max_length', truncation: true });
          expect(padded.inputIds).toHaveLength(77);
          const decoded = timed(CALL_BUDGET_MS, 'decode', () => tokenizer.decode(inputIds, { skipSpecialTokens: true }));
          expect(typeof decoded).toBe('string');
        }),
        { numRuns: FUZZ_RUNS, examples: EXAMPLES.map((e) => [e]) },
      );
    });
  }

  it('decode takes any ids of the vocabulary (stray bytes become U+FFFD)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: tokenizer.length - 1 }), { maxLength: 200 }), (ids) => {
        expect(typeof timed(CALL_BUDGET_MS, 'decode', () => tokenizer.decode(ids))).toBe('string');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('ids outside the vocabulary are a RangeError that names the id and its position', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 20 }), fc.integer({ min: tokenizer.length, max: 2 ** 31 }), (ids, bad) => {
        const at = ids.length;
        expect(() => tokenizer.decode([...ids, bad])).toThrow(new RangeError(`token id ${bad} at position ${at} is out of range: ids go from 0 to ${tokenizer.length - 1}`));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('megabyte inputs in linear time', () => {
  // ~0.1-0.8 s each here; a quadratic BPE or pattern would take minutes.
  const MEGABYTE: Record<string, string> = {
    'one letter': 'a'.repeat(1_000_000),
    spaces: ' '.repeat(1_000_000),
    emoji: '😀'.repeat(500_000),
    apostrophes: "'".repeat(1_000_000),
    "'s contractions": "'s".repeat(500_000),
    digits: '7'.repeat(1_000_000),
    'lone surrogates': '\ud800'.repeat(1_000_000),
    'combining marks': 'e\u0301'.repeat(500_000),
  };
  for (const [name, text] of Object.entries(MEGABYTE)) {
    it(name, () => {
      const ids = timed(10_000, `encode 1 MB of ${name}`, () => tokenizer.encode(text, { addSpecialTokens: false }).inputIds);
      expect(ids.length).toBeLessThanOrEqual(text.length);
      const truncated = timed(10_000, `encode 1 MB of ${name}, truncated`, () => tokenizer.encode(text, { padding: 'max_length', truncation: true }));
      expect(truncated.inputIds).toHaveLength(77);
      expect(typeof timed(10_000, 'decode', () => tokenizer.decode(ids))).toBe('string');
    }, 60_000);
  }

  it('a random piece repeated to 256 kB', () => {
    fc.assert(
      fc.property(
        anyText.filter((s) => s.length > 0),
        (piece) => {
          const text = piece.repeat(Math.ceil(256_000 / piece.length));
          timed(5000, 'encode 256 kB', () => tokenizer.encode(text, { addSpecialTokens: false }));
        },
      ),
      { numRuns: Math.max(3, Math.round(FUZZ_RUNS / 15)) },
    );
  }, 120_000);
});
