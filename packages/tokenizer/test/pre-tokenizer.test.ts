import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';

// Expected values from scripts/code-point-reference.py (Python's regex with IGNORECASE, as HF).
describe('CLIP word pattern under IGNORECASE', () => {
  const tokenizer = CLIPTokenizer.fromPreset('sd2');
  const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false }).inputIds;

  it('drops U+0345 after other marks, and alone: its case variant is a letter', () => {
    expect(tokenizer.preTokenize('ᾳ x\u0301\u0345y')).toEqual(['ᾳ', 'x', '\u0301', 'y']);
    expect(encode('ᾳ x\u0301\u0345y')).toEqual([157, 122, 367, 343, 136, 479, 344]);
    expect(tokenizer.preTokenize('\u0345')).toEqual([]);
    expect(tokenizer.preTokenize('A\u0345B')).toEqual(['a', 'b']);
  });

  it("reads 'ſ (long s) as the contraction 's", () => {
    expect(tokenizer.preTokenize("it'ſ mine")).toEqual(['it', "'ſ", 'mine']);
    expect(encode("it'ſ mine")).toEqual([585, 6, 129, 379, 3347]);
  });

  it('matches <|ſtartoftext|> as one word, which BPE then splits (only the exact text is special)', () => {
    expect(tokenizer.preTokenize('<|ſtartoftext|>a')).toEqual(['<|ſtartoftext|>', 'a']);
    expect(encode('<|ſtartoftext|>a')).toEqual([27, 91, 129, 123, 2002, 6659, 18169, 91, 285, 320]);
  });

  it('splits ASCII text with the small pattern the same way', () => {
    expect(tokenizer.preTokenize("'S 'Ll it's a-b 12 <|endoftext|>")).toEqual(["'s", "'ll", 'it', "'s", 'a', '-', 'b', '1', '2', '<|endoftext|>']);
    expect(encode("'S 'Ll")).toEqual([568, 1342]);
  });
});
