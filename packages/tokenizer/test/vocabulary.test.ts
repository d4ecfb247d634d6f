import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CANONICAL_CLIP_FILES, isCanonicalClipVocabulary } from '../src/canonical-clip-files.js';
import { CLIPTokenizer, bundledClipVocabulary, parseVocabularyFiles } from '../src/index.js';
import { hubTokenizerFiles, writeTokenizerFolder } from './folder-files.js';

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

  // The reference files (transformers' CLIP vocab.json and merges.txt, as the hub serves them) are
  // not in the repository; their sha256 digests are (CANONICAL_CLIP_FILES, checked against the
  // reference copies when they were committed). Rebuilding both files from the bundled data and
  // matching the digests compares every byte: every token, id and merge, in order.
  it('rebuilds the reference vocab.json and merges.txt byte for byte', async () => {
    const { vocabJson, mergesTxt } = hubTokenizerFiles();
    const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    expect({ chars: vocabJson.length, sha256: sha256(vocabJson) }).toEqual(CANONICAL_CLIP_FILES.vocab);
    expect({ chars: mergesTxt.length, sha256: sha256(mergesTxt) }).toEqual(CANONICAL_CLIP_FILES.merges);
    expect(await isCanonicalClipVocabulary(vocabJson, mergesTxt)).toBe(true);
  });

  it('a parse of those files equals the bundled vocabulary, so a folder holding them may skip the parse', () => {
    const { vocabJson, mergesTxt } = hubTokenizerFiles();
    const parsed = parseVocabularyFiles(vocabJson, mergesTxt);
    expect(parsed.tokens).toEqual(vocabulary.tokens);
    expect(Array.from(parsed.merges)).toEqual(Array.from(vocabulary.merges));
    expect(Array.from(parsed.byteSymbols.plain)).toEqual(Array.from(vocabulary.byteSymbols.plain));
    expect(Array.from(parsed.byteSymbols.wordEnd)).toEqual(Array.from(vocabulary.byteSymbols.wordEnd));
    for (const token of ['!', '<|startoftext|>', '<|endoftext|>', 'a</w>', 'photo</w>', 'Ġ', 'zzzz']) expect(vocabulary.idOfToken(token), token).toBe(parsed.idOf.get(token));
  });

  it('a folder with the hub files uses the bundled data; one byte changed, it parses them', async () => {
    const hub = hubTokenizerFiles();
    const same = await CLIPTokenizer.fromPretrained(writeTokenizerFolder({ 'vocab.json': hub.vocabJson, 'merges.txt': hub.mergesTxt }));
    expect(same.vocabularySource).toMatch(/vocab\.json \(CLIP's own, as bundled\)$/);
    const edited = await CLIPTokenizer.fromPretrained(writeTokenizerFolder({ 'vocab.json': hub.vocabJson.replace('"!": 0', '"!":  0'), 'merges.txt': hub.mergesTxt }));
    expect(edited.vocabularySource).toMatch(/vocab\.json$/);
    const texts = ['a highres photo of a woman wearing a red dress', 'Ünïcödé ☃ emoji 🤖 and <|endoftext|>!!'];
    expect(same.encode(texts, { padding: 'max_length', truncation: true })).toEqual(edited.encode(texts, { padding: 'max_length', truncation: true }));
    expect(same.decoder).toEqual(edited.decoder);
  });
});
