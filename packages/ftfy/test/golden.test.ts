import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixText, pythonWhitespaceClean } from '../src/index.js';

interface GoldenCase {
  text: string;
  fixed_text: string;
}

interface GoldenFile {
  modes: Record<string, { results: GoldenCase[] }>;
}

// fixed_text is Python's `whitespace_clean(ftfy.fix_text(text)).lower()` (ftfy 6.1.1), as
// Hugging Face's slow CLIPTokenizer computes it.
const golden = JSON.parse(
  readFileSync(new URL('../../../models/fixtures/tokenizer/cases.json', import.meta.url), 'utf8'),
) as GoldenFile;

describe('golden cases: whitespace_clean(fix_text(text)).lower()', () => {
  for (const [mode, { results }] of Object.entries(golden.modes)) {
    describe(`mode ${JSON.stringify(mode)}`, () => {
      it.each(results.map((result) => [JSON.stringify(result.text).slice(0, 80), result] as const))(
        '%s',
        (_name, { text, fixed_text }) => {
          expect(pythonWhitespaceClean(fixText(text)).toLowerCase()).toBe(fixed_text);
        },
      );
    });
  }

  it('covers both modes', () => {
    expect(Object.keys(golden.modes).sort()).toEqual(['!', '<|endoftext|>']);
  });
});
