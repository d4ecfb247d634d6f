import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledClipVocabulary } from '../src/index.js';

/** vocab.json and merges.txt in Hugging Face's format, written from the bundled vocabulary. */
export function hfTokenizerFiles(): { vocabJson: string; mergesTxt: string } {
  const { tokens, merges } = bundledClipVocabulary();
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const lines = ['#version: 0.2'];
  for (let r = 0; r < merges.length / 3; r++) lines.push(`${tokens[merges[r * 3]!]} ${tokens[merges[r * 3 + 1]!]}`);
  return { vocabJson: JSON.stringify(vocab), mergesTxt: lines.join('\n') + '\n' };
}

/** A temporary Hugging Face tokenizer folder; `files` override or add files. */
export function writeTokenizerFolder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdtext-tokenizer-'));
  const { vocabJson, mergesTxt } = hfTokenizerFiles();
  const all: Record<string, string> = { 'vocab.json': vocabJson, 'merges.txt': mergesTxt, ...files };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(dir, name), text);
  return dir;
}
