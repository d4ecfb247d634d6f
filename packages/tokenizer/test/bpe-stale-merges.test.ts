import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';

// Words whose merges leave queued pairs naming a merged-away symbol (`."'`: after `."` merges, the
// queued `"'` pair is stale). Reference: Hugging Face's Rust tokenizers (scripts/make-bpe-stale-merges.mjs).
const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/bpe-stale-merges.json', import.meta.url), 'utf8')) as {
  cases: { text: string; ids: number[] }[];
};

describe('BPE skips stale pairs', () => {
  for (const mode of ['sd2', 'sd1'] as const) {
    it(`${FIXTURE.cases.length} punctuation words, ${mode}`, () => {
      const tokenizer = CLIPTokenizer.fromPreset(mode);
      for (const { text, ids } of FIXTURE.cases) expect(tokenizer.encode(text, { addSpecialTokens: false }).inputIds, JSON.stringify(text)).toEqual(ids);
    });
  }
});
