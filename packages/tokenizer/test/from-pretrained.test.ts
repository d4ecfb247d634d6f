import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';
import { MODES } from './golden-cases.js';
import { hfTokenizerFiles, writeTokenizerFolder } from './folder-files.js';

const FIXTURES = new URL('../../../models/fixtures/tokenizer/', import.meta.url);
const configFiles = (folder: string) =>
  Object.fromEntries(
    ['tokenizer_config.json', 'special_tokens_map.json'].map((f) => [f, readFileSync(new URL(`${folder}/${f}`, FIXTURES), 'utf8')]),
  );

describe('CLIPTokenizer.fromPretrained', () => {
  it.each([
    { folder: 'sd2-base', preset: 'sd2' as const },
    { folder: 'sd1-clip-vit-large-patch14', preset: 'sd1' as const },
  ])('loads the $folder hub folder and matches the golden cases', async ({ folder, preset }) => {
    const dir = writeTokenizerFolder(configFiles(folder));
    const tokenizer = await CLIPTokenizer.fromPretrained(dir);
    const mode = MODES.find((m) => m.preset === preset)!.mode;
    expect(tokenizer.padTokenId).toBe(mode.pad_token_id);
    expect(tokenizer.modelMaxLength).toBe(77);
    for (const c of mode.results.slice(0, 40)) {
      expect(tokenizer.encode(c.text, { padding: 'max_length', truncation: true }).inputIds, c.text).toEqual(c.input_ids);
    }
  });

  it('reads added_tokens.json, as textual inversion embeddings ship it', async () => {
    const dir = writeTokenizerFolder({ ...configFiles('sd2-base'), 'added_tokens.json': '{"<cat-toy>": 49408}' });
    const tokenizer = await CLIPTokenizer.fromPretrained(dir);
    expect(tokenizer.encode('a <cat-toy> on a table').inputIds).toEqual([49406, 320, 49408, 525, 320, 2175, 49407]);
  });

  it('loads through any file source', async () => {
    const { vocabJson, mergesTxt } = hfTokenizerFiles();
    const files: Record<string, string> = { 'tokenizer/vocab.json': vocabJson, 'tokenizer/merges.txt': mergesTxt };
    const tokenizer = await CLIPTokenizer.fromPretrained(
      { name: 'memory', readText: async (path) => files[path] ?? null },
      { subfolder: 'tokenizer' },
    );
    expect(tokenizer.tokenize('highres')).toEqual(['high', 'res</w>']);
    expect(tokenizer.nameOrPath).toBe('memory/tokenizer');
  });

  describe('fails on broken folders with the file and the line', () => {
    const { vocabJson, mergesTxt } = hfTokenizerFiles();
    const mergeLines = mergesTxt.split('\n');
    const cases: { name: string; files: Record<string, string>; error: RegExp }[] = [
      { name: 'vocab.json is not JSON', files: { 'vocab.json': vocabJson.slice(0, 1000) }, error: /vocab\.json: not valid JSON/ },
      { name: 'vocab.json is an array', files: { 'vocab.json': '[1, 2]' }, error: /vocab\.json: expected a JSON object/ },
      { name: 'an id is not an integer', files: { 'vocab.json': vocabJson.replace('"in":512', '"in":"512"') }, error: /vocab\.json: token "in" has id "512"/ },
      { name: 'two tokens share an id', files: { 'vocab.json': vocabJson.replace('"in":512', '"in":513') }, error: /vocab\.json: id 513 is used by both/ },
      { name: 'merges.txt has no header', files: { 'merges.txt': mergeLines.slice(1).join('\n') }, error: /merges\.txt line 1: expected a "#version" header/ },
      {
        name: 'a merge line is malformed',
        files: { 'merges.txt': [...mergeLines.slice(0, 100), 'th e x', ...mergeLines.slice(101)].join('\n') },
        error: /merges\.txt line 101: expected two symbols/,
      },
      {
        name: 'a merge joins an unknown symbol',
        files: { 'merges.txt': [...mergeLines.slice(0, 7), 'q xqzxqz', ...mergeLines.slice(8)].join('\n') },
        error: /merges\.txt line 8: "xqzxqz" is not in .*vocab\.json/,
      },
      { name: 'a config is not JSON', files: { 'tokenizer_config.json': '{"pad_token": ' }, error: /tokenizer_config\.json: not valid JSON/ },
      { name: 'added_tokens.json skips ids', files: { 'added_tokens.json': '{"<x>": 49500}' }, error: /added token "<x>" has id 49500, expected 49408/ },
    ];
    it.each(cases)('$name', async ({ files, error }) => {
      const dir = writeTokenizerFolder(files);
      await expect(CLIPTokenizer.fromPretrained(dir)).rejects.toThrow(error);
    });

    it('a missing merges.txt', async () => {
      const dir = writeTokenizerFolder();
      const { rmSync } = await import('node:fs');
      rmSync(join(dir, 'merges.txt'));
      await expect(CLIPTokenizer.fromPretrained(dir)).rejects.toThrow(/merges\.txt not found/);
    });
  });
});
