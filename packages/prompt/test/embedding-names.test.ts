import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import {
  A1111Embeddings,
  ComfyEmbeddings,
  EncoderCache,
  a1111BatchEncoder,
  encodeA1111,
  encodeA1111Schedule,
  encodeComfy,
  tokenizeWithWeights,
  type NamedEmbedding,
} from '../src/index.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';
import type { StoredTensor } from './support/conditioning-fixtures.js';
import { embeddingFiles, type EmbeddingFile } from './support/embedding-files.js';
import { ENGINES, loadEncoder, type EngineBound, type EngineName } from './support/engines.js';

// scripts/make_embedding_references.py: webui's EmbeddingDatabase + EmbeddingsWithFixes and ComfyUI's
// embedding: words (load_embed, set_up_textual_embeddings) on test/fixtures/embeddings.
interface Refs {
  webuiDatabase: Record<'sd1' | 'sd2', { loaded: string[]; skipped: string[] }>;
  webui: (
    | { name: string; model: 'sd1' | 'sd2'; texts: string[]; chunks: { tokens: number[]; multipliers: number[]; fixes: [number, string][] }[][]; z: StoredTensor }
    | { name: string; model: 'sd1' | 'sd2'; prompt: string; steps: number; parts: { weight: number; schedule: { endAtStep: number; cond: StoredTensor }[] }[] }
  )[];
  comfy: { name: string; model: 'sd1' | 'sd2'; text: string; tokenWeights: [number | { vector: number[] }, number][][]; warnings: string[]; z: StoredTensor }[];
}
const REFS = JSON.parse(fs.readFileSync(new URL('./fixtures/embedding-names.json', import.meta.url), 'utf8')) as Refs;
const tokenizers = { sd1: CLIPTokenizer.fromPreset('sd1'), sd2: CLIPTokenizer.fromPreset('sd2') };
const MODEL = { sd1: 'sd1-tiny', sd2: 'sd2-tiny' } as const;
const report: Record<string, number> = {};
// About 3x the worst case per engine: webui 3.6e-6 tfjs / 4.3e-6 onnx (sd1_chunk_boundary), ComfyUI 3.3e-6 / 2.6e-6 (sd1_trailing_comma).
const WEBUI: EngineBound = { tfjs: 1.1e-5, onnx: 1.3e-5 };
const COMFY: EngineBound = { tfjs: 1e-5, onnx: 7.9e-6 };
afterAll(() => console.log('textual inversion by name, parity (max abs err):', JSON.stringify(report)));

let files: EmbeddingFile[] = [];
beforeAll(async () => {
  files = await embeddingFiles();
});

/** webui's loading: every file by its stem; one whose width is not the model's (an SDXL file here) is skipped. */
function webuiEmbeddings(kind: 'sd1' | 'sd2'): A1111Embeddings {
  const named: NamedEmbedding[] = files.filter((f) => !f.vectors.has('text_encoder_2')).map((f) => ({ name: f.stem, vectors: f.vectors.get('text_encoder')! }));
  return new A1111Embeddings(named, tokenizers[kind]);
}

/** ComfyUI's view for CLIP-L/H (embedding_key 'clip_l'): the file's clip_l, else its only tensor. */
const comfyEmbeddings = (): ComfyEmbeddings => new ComfyEmbeddings(files.map((f) => ({ path: f.path, vectors: f.vectors.get('text_encoder')! })));

describe('webui finds embeddings by file stem, longest name first', () => {
  it('registers what webui registers', () => {
    for (const kind of ['sd1', 'sd2'] as const) expect([...webuiEmbeddings(kind).names].sort()).toEqual(REFS.webuiDatabase[kind].loaded);
  });
});

describe.each(ENGINES)('textual inversion by name on %s', (engine: EngineName) => {
  for (const ref of REFS.webui) {
    it(`webui: ${ref.name}`, async () => {
      const embeddings = webuiEmbeddings(ref.model);
      const tokenizer = tokenizers[ref.model];
      const cache = new EncoderCache(await loadEncoder(MODEL[ref.model], engine));
      let err = 0;
      if ('texts' in ref) {
        const out = await encodeA1111(ref.texts, tokenizer, cache, { embeddings });
        expect(out.chunks.map((row) => row.map((c) => ({ tokens: c.tokens, multipliers: c.multipliers, fixes: c.fixes.map((f) => [f.offset, f.embedding.name]) })))).toEqual(ref.chunks);
        expect(out.embeds.dims).toEqual(ref.z.dims);
        err = maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64));
      } else {
        const schedule = await encodeA1111Schedule([ref.prompt], null, a1111BatchEncoder(tokenizer, cache, { embeddings }), { steps: ref.steps });
        ref.parts.forEach((part, p) =>
          part.schedule.forEach(({ endAtStep, cond }) => {
            const entry = schedule.find((e) => e.untilStep === endAtStep)!;
            expect(entry.parts[p]!.weight).toBe(part.weight);
            err = Math.max(err, maxAbsDiff(entry.parts[p]!.embeds.data, fromBase64F32(cond.base64)));
          }),
        );
      }
      report[`webui ${ref.name} ${engine}`] = err;
      expect(err).toBeLessThan(WEBUI[engine]);
    });
  }

  for (const ref of REFS.comfy) {
    it(`ComfyUI: ${ref.name}`, async () => {
      const tokenizer = tokenizers[ref.model];
      const padWithEnd = ref.model === 'sd1';
      const warnings: string[] = [];
      const chunks = tokenizeWithWeights(ref.text, tokenizer, { padWithEnd, embeddings: comfyEmbeddings(), onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual(ref.warnings);
      expect(chunks.map((row) => row.map(([t, w]) => [typeof t === 'number' ? t : { vector: [...t.vector] }, w]))).toEqual(ref.tokenWeights);
      const cache = new EncoderCache(await loadEncoder(MODEL[ref.model], engine));
      // SD1 takes the last layer; SD2's default is OpenCLIP's penultimate, the diffusers layout's last.
      const out = await encodeComfy(chunks, cache, { padTokenId: padWithEnd ? tokenizer.eosTokenId : 0, bosTokenId: tokenizer.bosTokenId, eosTokenId: tokenizer.eosTokenId, hiddenSize: 32 });
      expect(out.embeds.dims).toEqual(ref.z.dims);
      const err = maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64));
      report[`comfy ${ref.name} ${engine}`] = err;
      expect(err).toBeLessThan(COMFY[engine]);
    });
  }
});

describe("ComfyUI's load_embed rules", () => {
  it('tries the name as given, then with an extension, in the folder then its subfolders; refuses names leading out', () => {
    const v = [new Float32Array(2)];
    const folder = new ComfyEmbeddings([
      { path: 'a.safetensors', vectors: v },
      { path: 'sub/b.pt', vectors: v },
      { path: 'sub/deep/c.bin', vectors: v },
      { path: 'sub/a', vectors: v },
    ]);
    expect(folder.find('a')?.path).toBe('a.safetensors'); // the folder first: "a", then "a.safetensors" there
    expect(folder.find('b')?.path).toBe('sub/b.pt');
    expect(folder.find('deep/c')?.path).toBe('sub/deep/c.bin');
    expect(folder.find('sub/b.pt')?.path).toBe('sub/b.pt');
    expect(folder.find('sub/../a.safetensors')?.path).toBe('a.safetensors');
    expect(folder.find('../a')).toBeNull(); // out of the folder, and of each subfolder it is tried in
    expect(folder.find('../sub/a')?.path).toBe('sub/a'); // out of the folder, but inside sub/ when tried from there
    expect(folder.find('/a.safetensors')).toBeNull();
    expect(folder.find('missing')).toBeNull();
    expect(() => new ComfyEmbeddings([{ path: '../x.pt', vectors: v }])).toThrow(/not inside the folder/);
  });
});
