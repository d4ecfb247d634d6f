import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, toFloat32, toNumbers, type EngineName } from '@sdtext/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A1111Embeddings, ComfyEmbeddings, EncoderCache, encodeA1111Sdxl, encodeComfySdxl, engineEncoder } from '@sdtext/prompt';
import { TextPipeline, readEmbeddingFile, type TextualInversionInput } from '../src/index.js';
import { fixtureRepo, writeRepo } from './helpers/fixture-repos.js';
import { maxAbsDiff } from './helpers/golden.js';
import { fixturesDir, tempDir } from './helpers/paths.js';
import { fromBase64F32 } from '../../prompt/test/support/compare.js';

// @sdtext/prompt's scripts/make_embedding_references.py ran webui's EmbeddingDatabase and ComfyUI's
// embedding: words on the folder @sdtext/prompt/test/fixtures/embeddings; here the pipeline loads
// that folder (textualInversion: [{ folder }] or loadTextualInversion) and each dialect finds the
// files by its own rule.
const FOLDER = fileURLToPath(new URL('../../prompt/test/fixtures/embeddings', import.meta.url));
const EXTRAS = join(fixturesDir, 'checkpoint-extras');
interface Stored {
  dims: number[];
  base64: string;
}
const REFS = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/embedding-names.json', import.meta.url), 'utf8')) as {
  webui: ({ name: string; model: 'sd1' | 'sd2'; texts: string[]; z: Stored } | { name: string; model: 'sd1' | 'sd2'; prompt: string; steps: number; parts: { weight: number; schedule: { endAtStep: number; cond: Stored }[] }[] })[];
  comfy: { name: string; model: 'sd1' | 'sd2'; text: string; warnings: string[]; z: Stored }[];
};

let root: { path: string; remove: () => Promise<void> };
const opened: TextPipeline<EngineName>[] = [];
let counter = 0;
beforeAll(async () => {
  root = await tempDir('names');
});
afterAll(async () => {
  for (const p of opened) await p.dispose();
  await root.remove();
});

async function pipeline(engine: EngineName, kind: 'sd1' | 'sd2', textualInversion?: TextualInversionInput[]): Promise<TextPipeline<EngineName>> {
  const dir = await writeRepo(`${root.path}/${kind}-${engine}-${counter++}`, await fixtureRepo(kind));
  const pipe = await TextPipeline.fromPretrained(dir, { engine, backend: 'cpu', ...(textualInversion ? { textualInversion } : {}) });
  opened.push(pipe);
  return pipe;
}

const report: Record<string, number> = {};
afterAll(() => console.log('textual inversion by name through the pipeline (max abs err):', JSON.stringify(report)));

describe.each(['tfjs', 'onnx'] as const)('embeddings by name on %s', (engine) => {
  const pipes: Partial<Record<'sd1' | 'sd2', TextPipeline<EngineName>>> = {};
  const withFolder = async (kind: 'sd1' | 'sd2'): Promise<TextPipeline<EngineName>> => (pipes[kind] ??= await pipeline(engine, kind, [{ folder: FOLDER }]));

  it('a folder adds no diffusers tokens (civitai files would all be emb_params)', async () => {
    expect((await withFolder('sd1')).tokenizer.length).toBe(49408);
  });

  for (const ref of REFS.webui) {
    it(`a1111 (webui's file stems): ${ref.name}`, async () => {
      const pipe = await withFolder(ref.model);
      let err = 0;
      if ('texts' in ref) {
        const out = await pipe.encodePrompt({ prompt: ref.texts, dialect: 'a1111', guidance: false, output: 'array' });
        expect(out.promptEmbeds.shape).toEqual(ref.z.dims);
        err = maxAbsDiff(out.promptEmbeds.data, fromBase64F32(ref.z.base64));
      } else {
        const { schedule } = await pipe.encodePrompt({ prompt: ref.prompt, dialect: 'a1111', steps: ref.steps, guidance: false, output: 'array' });
        ref.parts.forEach((part, p) =>
          part.schedule.forEach(({ endAtStep, cond }) => {
            const entry = schedule.find((e) => e.untilStep === endAtStep)!;
            err = Math.max(err, maxAbsDiff(entry.parts[p]!.embeds.data, fromBase64F32(cond.base64)));
          }),
        );
      }
      report[`a1111 ${ref.name} ${engine}`] = err;
      expect(err).toBeLessThan({ tfjs: 1.1e-5, onnx: 1.3e-5 }[engine]); // measured 3.6e-6 / 4.3e-6 (sd1_chunk_boundary)
    });
  }

  for (const ref of REFS.comfy) {
    it(`comfy (embedding:name): ${ref.name}`, async () => {
      const warnings: string[] = [];
      const out = await (await withFolder(ref.model)).encodePrompt({ prompt: ref.text, dialect: 'comfy', guidance: false, onWarning: (m) => warnings.push(m), output: 'array' });
      expect(warnings).toEqual(ref.warnings);
      const err = maxAbsDiff(out.promptEmbeds.data, fromBase64F32(ref.z.base64));
      report[`comfy ${ref.name} ${engine}`] = err;
      expect(err).toBeLessThan({ tfjs: 1e-5, onnx: 7.9e-6 }[engine]); // measured 3.3e-6 / 2.6e-6 (sd1_trailing_comma)
    });
  }

  it("a file given alone: diffusers' token in plain prompts, its name in the dialects", async () => {
    const file = join(FOLDER, 'easynegative.safetensors');
    const pipe = await pipeline(engine, 'sd1', [file]);
    expect(pipe.tokenizer.convertTokensToIds(['emb_params', 'emb_params_1', 'emb_params_2'])).toEqual([49408, 49409, 49410]);
    const webui = await pipe.encodePrompt({ prompt: 'a photo, easynegative', dialect: 'a1111', guidance: false, output: 'array' });
    const comfy = await pipe.encodePrompt({ prompt: 'a photo, embedding:easynegative', dialect: 'comfy', guidance: false, output: 'array' });
    const diffusers = await pipe.encodePrompt({ prompt: 'a photo, emb_params', guidance: false, output: 'array' });
    // The three vectors at the same positions, unweighted: the same rows however they were named
    // (equal here, 0; 1e-6 is a few float32 ulps of these outputs).
    expect(maxAbsDiff(webui.promptEmbeds.data, diffusers.promptEmbeds.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(comfy.promptEmbeds.data, diffusers.promptEmbeds.data)).toBeLessThan(1e-6);
    // The README's example: a file given its token is that word in plain prompts too.
    const named = await pipeline(engine, 'sd1', [{ file, token: 'easynegative' }]);
    const readme = await named.encodePrompt({ prompt: 'a photo, easynegative', guidance: false, output: 'array' });
    expect(maxAbsDiff(readme.promptEmbeds.data, diffusers.promptEmbeds.data)).toBeLessThan(1e-6);
  });

  it("loadTextualInversion after loading: diffusers' tokens equal the torch reference, names found, caches dropped", async () => {
    const pipe = await pipeline(engine, 'sd1');
    const warnings: string[] = [];
    const before = await pipe.encodePrompt({ prompt: 'a cat embedding:easynegative', dialect: 'comfy', guidance: false, onWarning: (m) => warnings.push(m), output: 'array' });
    expect(warnings).toEqual(['warning, embedding:easynegative does not exist, ignoring']);
    await pipe.loadTextualInversion([join(EXTRAS, 'ti-cat-toy.safetensors'), join(EXTRAS, 'ti-my-style.pt'), join(EXTRAS, 'ti-dog.bin'), { folder: FOLDER }]);
    expect(pipe.encoder.config.vocab_size).toBe(49408); // the weights stay as loaded
    const file = await loadSafetensors(join(EXTRAS, 'sd1_ti.safetensors'));
    const ids = toNumbers(file.tensors.get('input_ids')!.data);
    const out = await pipe.encodePrompt({ prompt: ['a photo of <cat-toy>', 'my-style <dog>'], guidance: false, returnEncoderOutputs: true, output: 'array' });
    expect(out.encoderOutputs!.inputIds.flat()).toEqual(ids);
    const lhs = file.tensors.get('last_hidden_state')!;
    const pooled = file.tensors.get('pooler_output')!;
    const err = maxAbsDiff(out.promptEmbeds.data, toFloat32(lhs.dtype, lhs.data));
    report[`loadTextualInversion sd1_ti ${engine}`] = err;
    expect(err).toBeLessThan(7e-6); // measured 2.3e-6
    expect(maxAbsDiff(out.encoderOutputs!.outputs.poolerOutput.data, toFloat32(pooled.dtype, pooled.data))).toBeLessThan(3.5e-6);
    const after = await pipe.encodePrompt({ prompt: 'a cat embedding:easynegative', dialect: 'comfy', guidance: false, output: 'array' });
    expect(maxAbsDiff(after.promptEmbeds.data, before.promptEmbeds.data)).toBeGreaterThan(1e-2);
  });
});

describe('embeddings by name on SDXL: each encoder gets its own vectors (clip_l, clip_g)', () => {
  it("a1111 'xl-style' and comfy 'embedding:sdxl/xl-style' put the file's clip_l into CLIP-L and clip_g into CLIP-G", async () => {
    const dir = await writeRepo(`${root.path}/sdxl-${counter++}`, await fixtureRepo('sdxl'));
    const pipe = await TextPipeline.fromPretrained(dir, { engine: 'tfjs', backend: 'cpu', textualInversion: [{ folder: FOLDER }] });
    const plain = await TextPipeline.fromPretrained(dir, { engine: 'tfjs', backend: 'cpu' });
    opened.push(pipe, plain);
    const file = await readEmbeddingFile(join(FOLDER, 'sdxl', 'xl-style.safetensors'), 'sdxl/xl-style.safetensors');
    const [clipL, clipG] = [file.vectors.get('text_encoder')!, file.vectors.get('text_encoder_2')!];
    const l = { tokenizer: pipe.tokenizer, cache: new EncoderCache(engineEncoder(pipe.encoder)) };
    const g = { tokenizer: pipe.tokenizer2!, cache: new EncoderCache(engineEncoder(pipe.encoder2!)) };

    const a1111 = await pipe.encodePrompt({ prompt: 'a cat, xl-style', dialect: 'a1111', guidance: false, output: 'array' });
    const byHand = await encodeA1111Sdxl(['a cat, xl-style'], l, g, {
      embeddingsL: new A1111Embeddings([{ name: 'xl-style', vectors: clipL }], pipe.tokenizer),
      embeddingsG: new A1111Embeddings([{ name: 'xl-style', vectors: clipG }], pipe.tokenizer2!),
    });
    expect(maxAbsDiff(a1111.promptEmbeds.data, byHand.embeds.data)).toBeLessThan(1e-6);
    const without = await plain.encodePrompt({ prompt: 'a cat, xl-style', dialect: 'a1111', guidance: false, output: 'array' });
    expect(maxAbsDiff(a1111.promptEmbeds.data, without.promptEmbeds.data)).toBeGreaterThan(1e-2);

    const comfy = await pipe.encodePrompt({ prompt: 'embedding:sdxl/xl-style cat', dialect: 'comfy', guidance: false, output: 'array' });
    const comfyByHand = await encodeComfySdxl('embedding:sdxl/xl-style cat', l, g, {
      embeddings: { l: new ComfyEmbeddings([{ path: 'sdxl/xl-style.safetensors', vectors: clipL }]), g: new ComfyEmbeddings([{ path: 'sdxl/xl-style.safetensors', vectors: clipG }]) },
    });
    expect(maxAbsDiff(comfy.promptEmbeds.data, comfyByHand.embeds.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(comfy.pooledPromptEmbeds!.data, comfyByHand.pooled.data)).toBeLessThan(1e-6);
  });
});
