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

/**
 * vocab.json and merges.txt byte for byte as the Hugging Face hub has them (openai/clip-vit-large-patch14,
 * every SD tokenizer folder): Python's `json.dumps(vocab, ensure_ascii=False)` in id order, and the
 * merges after a "#version: 0.2" line, each line ending in "\n".
 */
export function hubTokenizerFiles(): { vocabJson: string; mergesTxt: string } {
  const { tokens, merges } = bundledClipVocabulary();
  const vocabJson = '{' + tokens.map((t, i) => `${JSON.stringify(t)}: ${i}`).join(', ') + '}';
  const lines = ['#version: 0.2'];
  for (let r = 0; r < merges.length / 3; r++) lines.push(`${tokens[merges[r * 3]!]} ${tokens[merges[r * 3 + 1]!]}`);
  return { vocabJson, mergesTxt: lines.join('\n') + '\n' };
}

/** A temporary Hugging Face tokenizer folder; `files` override or add files. */
export function writeTokenizerFolder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdtext-tokenizer-'));
  const { vocabJson, mergesTxt } = hfTokenizerFiles();
  const all: Record<string, string> = { 'vocab.json': vocabJson, 'merges.txt': mergesTxt, ...files };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(dir, name), text);
  return dir;
}
