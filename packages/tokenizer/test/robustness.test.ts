import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';

// Inputs that break other tokenizers: none may throw. Time is linear in input length (shown in
// apps/bench); here the limits only catch a quadratic blow-up, which would take minutes.
describe('robustness', () => {
  const tokenizer = CLIPTokenizer.fromPreset('sd2');

  it('encodes lone surrogates as U+FFFD bytes', () => {
    expect(tokenizer.tokenize('a\uD800b')).toEqual(tokenizer.tokenize('a\uFFFDb'));
    expect(tokenizer.tokenize('\uDC00')).toEqual(tokenizer.tokenize('\uFFFD'));
  });

  it('survives NUL bytes', () => {
    expect(() => tokenizer.encode('a\u0000b\u0000', { padding: 'max_length', truncation: true })).not.toThrow();
  });

  it('tokenizes 1 MB of text with no spaces', () => {
    const text = 'abcdefghij'.repeat(100_000);
    const ids = tokenizer.encode(text, { padding: 'max_length', truncation: true });
    expect(ids.inputIds).toHaveLength(77);
    expect(ids.truncation!.removedTokens).toBeGreaterThan(1000);
  }, 60_000);

  it('tokenizes 100k emoji', () => {
    const ids = tokenizer.tokenize('😀'.repeat(100_000));
    expect(ids.length).toBeGreaterThan(1000);
  }, 60_000);

  it('tokenizes 1 MB of one repeated letter (the worst case for BPE)', () => {
    expect(tokenizer.tokenize('a'.repeat(1_000_000)).length).toBeGreaterThan(1000);
  }, 60_000);
});
