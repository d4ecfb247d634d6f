import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundledClipVocabulary } from '../src/index.js';
import { hfTokenizerFiles } from './folder-files.js';

// The reference files live outside the repository (../shared/golden); check against them when present.
const GOLDEN = new URL('../../../../shared/golden/tokenizer/', import.meta.url);
const goldenVocab = new URL('vocab.json', GOLDEN);
const goldenMerges = new URL('merges.txt', GOLDEN);

describe('the bundled CLIP vocabulary', () => {
  const vocabulary = bundledClipVocabulary();

  it('has 49408 tokens with the specials last', () => {
    expect(vocabulary.tokens).toHaveLength(49408);
    expect(vocabulary.tokens.slice(-2)).toEqual(['<|startoftext|>', '<|endoftext|>']);
    expect(new Set(vocabulary.tokens).size).toBe(49408);
    expect(vocabulary.tokens.slice(0, 3)).toEqual(['!', '"', '#']);
    expect(vocabulary.tokens[256]).toBe('!</w>');
    expect(vocabulary.tokens[512]).toBe('in');
  });

  it.runIf(existsSync(goldenVocab))('equals the reference vocab.json id for id', () => {
    const reference = JSON.parse(readFileSync(goldenVocab, 'utf8')) as Record<string, number>;
    expect(Object.keys(reference)).toHaveLength(vocabulary.tokens.length);
    for (const [token, id] of Object.entries(reference)) expect(vocabulary.tokens[id], `id ${id}`).toBe(token);
  });

  it.runIf(existsSync(goldenMerges))('equals the reference merges.txt line for line', () => {
    const reference = readFileSync(goldenMerges, 'utf8').trim().split('\n').slice(1);
    const ours = hfTokenizerFiles().mergesTxt.trim().split('\n').slice(1);
    expect(ours).toEqual(reference.slice(0, ours.length));
  });
});
