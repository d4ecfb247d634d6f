import { describe, expect, it } from 'vitest';
import { fixText, pythonLower, pythonNormalize } from '../src/index.js';
import { PYTHON_UNICODE_VERSION } from '../src/tables.generated.js';

// Expected values are Python 3.11's (unicodedata 14.0); JavaScript's ICU knows a newer Unicode.
describe("Python's Unicode version", () => {
  it('is the one the tables were generated from', () => {
    expect(PYTHON_UNICODE_VERSION).toBe('14.0.0');
  });

  it('keeps capitals added after Unicode 14 as they are in str.lower()', () => {
    // U+A7CB LATIN CAPITAL LETTER RAMS HORN (Unicode 16): JavaScript lowercases it to U+0264.
    expect('\uA7CB'.toLowerCase()).toBe('\u0264');
    expect(pythonLower('\uA7CBABC')).toBe('\uA7CBabc');
    // Garay capitals (Unicode 16), astral.
    expect(pythonLower('A\u{10D50}B')).toBe('a\u{10D50}b');
    expect(pythonLower('İSTANBUL')).toBe('i̇stanbul');
  });

  it('applies final sigma as Python does next to an unknown character', () => {
    expect(pythonLower('ΟΔΟΣ')).toBe('οδος');
    // To Python U+A7CB is unassigned, neither cased nor case-ignorable: the sigma before it is final.
    expect(pythonLower('ΟΣ\uA7CB')).toBe('ος\uA7CB');
  });

  it('neither reorders nor composes combining marks added after Unicode 14 in NFC', () => {
    // U+1E4EC NAG MUNDARI SIGN MUHOR (Unicode 15, combining class 232) between two acutes (230).
    const text = 'q\u0301\u{1E4EC}\u0301';
    expect(text.normalize('NFC')).not.toBe(text);
    expect(pythonNormalize(text, 'NFC')).toBe(text);
    expect(fixText(text)).toBe(text);
    // Known marks still reorder: the dot below (220) moves before the acute (230).
    expect(pythonNormalize('q\u0301\u0323', 'NFC')).toBe('q\u0323\u0301');
    expect(pythonNormalize('e\u0301', 'NFC')).toBe('é');
  });
});
