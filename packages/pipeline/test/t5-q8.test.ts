import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextPipeline, type EngineChoice } from '../src/index.js';
import { loadT5Encoder } from '../src/t5/index.js';
import { writeRepo } from './helpers/fixture-repos.js';
import { maxAbsDiff } from './helpers/golden.js';
import { fixturesDir, tempDir, tinyModelDir } from './helpers/paths.js';
import { rawSafetensors, sd3Repo, storedTensors } from './helpers/t5-repos.js';

// dtype 'q8' reaches SD3's / Flux's T5 as it reaches the CLIP encoders: engineOptions' dtype
// quantizes both (t5EngineOptions' sets T5's alone), only on the onnx engine. How close q8 stays
// to fp32 is bounded in @sdtext/onnx's test/t5/q8.test.ts; here, who gets it.

const T5 = join(fixturesDir, 'sd3', 'text_encoder_3');
const dtypeOf = (engine: object | null): unknown => (engine !== null && 'dtype' in engine ? engine.dtype : undefined);

let root: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  root = await tempDir('t5-q8');
});
afterAll(async () => {
  await root.remove();
});

describe("loadT5Encoder dtype 'q8'", () => {
  it('runs on onnx only: refused on tfjs rather than quietly exact; auto takes onnx', async () => {
    await expect(loadT5Encoder(T5, { engine: 'tfjs', dtype: 'q8' })).rejects.toThrow(/dtype "q8" runs on the onnx engine only/);
    const q8 = await loadT5Encoder(T5, { engine: 'auto', dtype: 'q8', cache: false });
    try {
      expect(q8.engine).toBe('onnx');
      expect(dtypeOf(q8)).toBe('q8');
    } finally {
      await q8.dispose();
    }
  });

  it('an unknown dtype is a TypeError from the onnx engine', async () => {
    await expect(loadT5Encoder(T5, { engine: 'onnx', dtype: 'int4' as 'q8' })).rejects.toThrow(/dtype must be 'fp32' or 'q8', got "int4"/);
  });
});

describe("TextPipeline: engineOptions' dtype reaches T5", () => {
  it("SD3 from a diffusers folder: 'q8' quantizes the CLIPs and T5; t5EngineOptions keeps T5 fp32; the prompt embeddings stay close", async () => {
    const repo = await writeRepo(join(root.path, 'sd3'), await sd3Repo());
    const engine: EngineChoice = 'onnx';
    const fp32 = await TextPipeline.fromPretrained(repo, { engine });
    const q8 = await TextPipeline.fromPretrained(repo, { engine, engineOptions: { dtype: 'q8' } });
    const mixed = await TextPipeline.fromPretrained(repo, { engine, engineOptions: { dtype: 'q8' }, t5EngineOptions: { dtype: 'fp32' } });
    try {
      expect(dtypeOf(fp32.t5Encoder)).toBe('fp32');
      expect([dtypeOf(q8.encoder), dtypeOf(q8.encoder2), dtypeOf(q8.t5Encoder)]).toEqual(['q8', 'q8', 'q8']);
      expect([dtypeOf(mixed.encoder), dtypeOf(mixed.t5Encoder)]).toEqual(['q8', 'fp32']);
      const prompt = 'a photo of a cat on a red sofa, oil painting';
      const [a, b, c] = await Promise.all([fp32, q8, mixed].map((p) => p.encodePrompt({ prompt, output: 'array' })));
      expect(b!.promptEmbeds.shape).toEqual(a!.promptEmbeds.shape);
      // prompt_embeds [1, 77 + 256, 80]: the CLIPs' 77 rows, then T5's 256.
      const width = a!.promptEmbeds.shape[2]!;
      const clipRows = (e: typeof a): Float32Array => e!.promptEmbeds.data.slice(0, 77 * width);
      const t5Rows = (e: typeof a): Float32Array => e!.promptEmbeds.data.slice(77 * width);
      // Measured max |diff| to fp32: CLIP rows 0.092, T5 rows 0.079; T5's bound about 3x.
      expect(maxAbsDiff(t5Rows(a), t5Rows(b))).toBeGreaterThan(0); // T5 is another model too
      expect(maxAbsDiff(t5Rows(a), t5Rows(b))).toBeLessThan(0.24);
      expect(maxAbsDiff(clipRows(a), clipRows(b))).toBeGreaterThan(0);
      expect(Array.from(t5Rows(c))).toEqual(Array.from(t5Rows(a))); // T5 kept fp32: its rows are fp32's
      expect(maxAbsDiff(clipRows(c), clipRows(b))).toBe(0); // the CLIPs are q8 in both
    } finally {
      await Promise.all([fp32.dispose(), q8.dispose(), mixed.dispose()]);
    }
  });

  it("SD3 from ComfyUI's separate files: 'q8' reaches T5; tfjs refuses it", async () => {
    const dir = join(root.path, 'files');
    await mkdir(dir, { recursive: true });
    const clipL = join(dir, 'clip_l.safetensors');
    await writeFile(clipL, rawSafetensors(await storedTensors(join(tinyModelDir('sd1-tiny'), 'text_model_with_projection', 'model.safetensors'))));
    const files = { clipL, clipG: join(tinyModelDir('sd2-tiny'), 'text_model_with_projection', 'model.safetensors'), t5: join(T5, 'model.safetensors') };
    const options = { t5Tokenizer: join(fixturesDir, 't5-tokenizer', 't5-nobf'), clipLConfig: { num_attention_heads: 4 }, clipGConfig: { num_attention_heads: 2 }, jointAttentionDim: 80 };
    const pipe = await TextPipeline.fromFiles(files, { ...options, engine: 'onnx', engineOptions: { dtype: 'q8' } });
    try {
      expect(dtypeOf(pipe.t5Encoder)).toBe('q8');
    } finally {
      await pipe.dispose();
    }
    await expect(TextPipeline.fromFiles(files, { ...options, engine: 'tfjs', t5EngineOptions: { dtype: 'q8' } })).rejects.toThrow(/dtype "q8" runs on the onnx engine only/);
  });
});
