import { describe, expect, it } from 'vitest';
import { fixText, pythonWhitespaceClean } from '../src/index.js';

/** A small deterministic PRNG, so failures reproduce. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// No timing assertions: these only have to finish (a quadratic path would not, at these sizes).
describe('robustness', () => {
  it('handles lone surrogates', () => {
    expect(fixText('\ud800')).toBe('\ufffd');
    expect(fixText('a\udc00b\ud83d')).toBe('a\ufffdb\ufffd');
    expect(fixText('Ã©\ud800')).toBe('é\ufffd');
  });

  it('handles NUL and other controls', () => {
    expect(fixText('\x00')).toBe('');
    expect(fixText('a\x00b\x1b')).toBe('ab');
    expect(fixText('\x00'.repeat(1000) + 'x')).toBe('x');
  });

  it('handles 1 MB without spaces or line breaks', () => {
    const plain = 'abcdefghij'.repeat(100_000);
    expect(fixText(plain)).toBe(plain);
    const mixed = 'ab&amp;cdéfÃ©gh“i”'.repeat(60_000);
    const fixed = fixText(mixed);
    expect(fixed).toBe('ab&cdéfégh"i"'.repeat(60_000));
  });

  it('handles 100k emoji', () => {
    const emoji = '😀'.repeat(100_000);
    expect(fixText(emoji)).toBe(emoji);
    const family = '👨\u200d👩\u200d👧\u200d👦'.repeat(20_000);
    expect(fixText(family)).toBe(family);
  });

  it('handles long mojibake and long entity runs', () => {
    expect(fixText('Ã©'.repeat(200_000))).toBe('é'.repeat(200_000));
    expect(fixText('&amp;'.repeat(100_000))).toBe('&'.repeat(100_000));
    expect(fixText('&amp;lt;'.repeat(50_000))).toBe('<'.repeat(50_000));
    expect(fixText('â€'.repeat(100_000)).length).toBeGreaterThan(0);
    expect(fixText('\x85'.repeat(100_000))).toBe('…'.repeat(100_000));
  });

  it('handles many short lines', () => {
    const lines = 'Ã© x\r\n'.repeat(50_000);
    expect(fixText(lines)).toBe('é x\n'.repeat(50_000));
  });

  it('never throws on random strings', () => {
    const random = mulberry32(1234);
    const alphabet = [
      ...'aZ &;#<>x\x1b[m0\r\n\t\x00\x85\u00a0ÃÂâ€œ™©®Ð¿ÑŸ¢£¤¥¦§¨ª«¬\u00ad¯°±²³´µ¶·¸¹º»¼½¾¿ðŸ˜Ã©à',
      '\ud800',
      '\udc00',
      '😀',
      '\ufeff',
      '\u200d',
      'ﬁ',
      '１',
      'ﾊ',
      '“',
      '\u2028',
    ];
    for (let round = 0; round < 3000; round++) {
      const length = Math.floor(random() * 40);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)] ?? '';
      const fixed = fixText(text);
      expect(typeof fixed).toBe('string');
      expect(typeof pythonWhitespaceClean(fixed)).toBe('string');
    }
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let i = 0; i < 64; i++) text += String.fromCharCode(Math.floor(random() * 0x10000));
      expect(typeof fixText(text)).toBe('string');
    }
  });
});
