import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { A1111Embeddings, ComfyEmbeddings, emptyChunk, tokenizeLine, tokenizeWithWeights, type NamedEmbedding } from '../src/index.js';
import { CONDITIONING } from './support/conditioning-fixtures.js';
import { embeddingFiles, type EmbeddingFile } from './support/embedding-files.js';

// The chunking half of embedding-names.test.ts and a1111-conditioning.test.ts, without an encoder:
// webui's tokenize_line with EmbeddingsWithFixes' fixes, its empty filler chunks, and ComfyUI's
// embedding: words, against what the originals recorded (scripts/make_embedding_references.py,
// scripts/make_conditioning_references.py).
interface Refs {
  webui: ({ name: string; model: 'sd1' | 'sd2'; texts?: string[]; chunks?: { tokens: number[]; multipliers: number[]; fixes: [number, string][] }[][] })[];
  comfy: { name: string; model: 'sd1' | 'sd2'; text: string; tokenWeights: [number | { vector: number[] }, number][][]; warnings: string[] }[];
}
const REFS = JSON.parse(fs.readFileSync(new URL('./fixtures/embedding-names.json', import.meta.url), 'utf8')) as Refs;
const tokenizers = { sd1: CLIPTokenizer.fromPreset('sd1'), sd2: CLIPTokenizer.fromPreset('sd2') };

let files: EmbeddingFile[] = [];
beforeAll(async () => {
  files = await embeddingFiles();
});

describe("webui's tokenize_line with embeddings by name (fixes at offset + 1, moved whole to the next chunk)", () => {
  for (const ref of REFS.webui.filter((r) => r.texts !== undefined)) {
    it(ref.name, () => {
      const named: NamedEmbedding[] = files.filter((f) => !f.vectors.has('text_encoder_2')).map((f) => ({ name: f.stem, vectors: f.vectors.get('text_encoder')! }));
      const embeddings = new A1111Embeddings(named, tokenizers[ref.model]);
      const rows = ref.texts!.map((text) => tokenizeLine(text, tokenizers[ref.model], { embeddings }).chunks);
      const longest = Math.max(...rows.map((r) => r.length));
      // webui's forward fills a shorter prompt of the batch with empty_chunk()s.
      const padded = rows.map((r) => [...r, ...Array.from({ length: longest - r.length }, () => emptyChunk(tokenizers[ref.model]))]);
      expect(padded.map((row) => row.map((c) => ({ tokens: c.tokens, multipliers: c.multipliers, fixes: c.fixes.map((f) => [f.offset, f.embedding.name]) })))).toEqual(ref.chunks);
    });
  }
});

describe("webui's chunks of each prompt of a batch (sd_hijack_clip process_texts)", () => {
  const tokenizer = CLIPTokenizer.fromPreset('sd1');
  for (const ref of CONDITIONING.a1111) {
    it(ref.name, () => {
      const rows = ref.texts.map((text) => tokenizeLine(text, tokenizer).chunks);
      expect(rows.map((row) => row.map((c) => c.tokens))).toEqual(ref.chunkTokens);
      expect(rows.map((row) => row.map((c) => c.multipliers))).toEqual(ref.chunkMultipliers);
    });
  }
});

describe("ComfyUI's embedding: words (load_embed's names, a trailing comma, unknown ones warned and dropped)", () => {
  for (const ref of REFS.comfy) {
    it(ref.name, () => {
      const warnings: string[] = [];
      const embeddings = new ComfyEmbeddings(files.map((f) => ({ path: f.path, vectors: f.vectors.get('text_encoder')! })));
      const chunks = tokenizeWithWeights(ref.text, tokenizers[ref.model], { padWithEnd: ref.model === 'sd1', embeddings, onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual(ref.warnings);
      expect(chunks.map((row) => row.map(([t, w]) => [typeof t === 'number' ? t : { vector: [...t.vector] }, w]))).toEqual(ref.tokenWeights);
    });
  }
});
