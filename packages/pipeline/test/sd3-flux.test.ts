import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineName } from '@sdtext/core';
import { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { TextPipeline, type ArrayTensor, type EncodePromptOptions, type PromptEmbeddings } from '../src/index.js';
import { writeRepo } from './helpers/fixture-repos.js';
import { maxAbsDiff } from './helpers/golden.js';
import { fixturesDir, tempDir, tinyModelDir } from './helpers/paths.js';
import { fluxRepo, rawSafetensors, sd3Repo, stackReferences, storedTensors, type DiffusersCase, type StackReferences } from './helpers/t5-repos.js';

/**
 * About 3x the worst max abs error per output and engine (tfjs / onnx) over this file, measured:
 * SD3 7.5e-6 / 4.4e-6, pooled 1.2e-6 / 2.0e-6; Flux 1.25e-5 / 1.2e-5, pooled 1.2e-6 / 1.2e-6,
 * text_ids exact; ComfyUI SD3 3.6e-6 / 2.6e-6, pooled 1.6e-6 / 1.3e-6; ComfyUI Flux 7.5e-6 /
 * 5.1e-6, pooled 1.1e-6 / 1.5e-6 (docs/sd3-flux.md).
 */
const BOUND: Record<string, Record<EngineName, number>> = {
  sd3: { tfjs: 2.3e-5, onnx: 1.4e-5 },
  'sd3 pooled': { tfjs: 3.6e-6, onnx: 6e-6 },
  flux: { tfjs: 3.8e-5, onnx: 3.6e-5 },
  'flux pooled': { tfjs: 3.6e-6, onnx: 3.6e-6 },
  'flux text_ids': { tfjs: 0, onnx: 0 },
  'sd3 comfy': { tfjs: 1.1e-5, onnx: 8e-6 },
  'sd3 comfy pooled': { tfjs: 4.8e-6, onnx: 4e-6 },
  'flux comfy': { tfjs: 2.3e-5, onnx: 1.6e-5 },
  'flux comfy pooled': { tfjs: 3.3e-6, onnx: 4.6e-6 },
};
const report: Record<string, number> = {};
let root: { path: string; remove: () => Promise<void> };
let sd3: StackReferences;
let flux: StackReferences;
const pipelines: TextPipeline<EngineName>[] = [];

beforeAll(async () => {
  root = await tempDir('sd3-flux');
  [sd3, flux] = await Promise.all([stackReferences('sd3'), stackReferences('flux')]);
});
afterAll(async () => {
  console.log('SD3 / Flux parity (max abs err):', JSON.stringify(report));
  for (const p of pipelines) await p.dispose();
  await root.remove();
});

/** diffusers' encode_prompt keyword arguments as encodePrompt options (None left out). */
function optionsOf(o: Record<string, unknown>): EncodePromptOptions {
  const names: Record<string, keyof EncodePromptOptions> = {
    prompt: 'prompt',
    prompt_2: 'prompt2',
    prompt_3: 'prompt3',
    negative_prompt: 'negativePrompt',
    negative_prompt_2: 'negativePrompt2',
    negative_prompt_3: 'negativePrompt3',
    num_images_per_prompt: 'numImagesPerPrompt',
    clip_skip: 'clipSkip',
    max_sequence_length: 'maxSequenceLength',
    do_classifier_free_guidance: 'guidance',
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (!(key in names)) throw new Error(`unmapped option ${key}`);
    if (value !== null) out[names[key]!] = value;
  }
  return out as EncodePromptOptions;
}

function close(refs: StackReferences, key: string, actual: ArrayTensor | null | undefined, engine: EngineName, what: string): void {
  const expected = refs.tensors.get(key);
  if (!expected) throw new Error(`no reference ${key}`);
  expect(actual, key).not.toBeNull();
  expect(actual!.shape, key).toEqual(expected.shape);
  const err = maxAbsDiff(actual!.data, expected.data);
  report[`${what} ${engine}`] = Math.max(report[`${what} ${engine}`] ?? 0, err);
  expect(err, key).toBeLessThanOrEqual(BOUND[what]![engine]);
}

function checkDiffusers(refs: StackReferences, c: DiffusersCase, out: PromptEmbeddings<ArrayTensor>, engine: EngineName, what: string): void {
  close(refs, c.promptEmbeds, out.promptEmbeds, engine, what);
  close(refs, c.pooledPromptEmbeds, out.pooledPromptEmbeds, engine, `${what} pooled`);
  if (c.negativePromptEmbeds) {
    close(refs, c.negativePromptEmbeds, out.negativePromptEmbeds, engine, what);
    close(refs, c.negativePooledPromptEmbeds!, out.negativePooledPromptEmbeds, engine, `${what} pooled`);
  } else {
    expect(out.negativePromptEmbeds).toBeNull();
  }
  if (c.textIds) close(refs, c.textIds, out.textIds, engine, `${what} text_ids`);
}

async function encodeWithWarnings(pipe: TextPipeline<EngineName>, options: EncodePromptOptions): Promise<{ out: PromptEmbeddings<ArrayTensor>; warnings: string[] }> {
  const warnings: string[] = [];
  const out = await pipe.encodePrompt({ ...options, onWarning: (m) => warnings.push(m), output: 'array' });
  return { out, warnings };
}

/** diffusers' T5 warning word for word; the CLIP ones (our tokenizer's decode of the cut text) as many and as begun. */
function checkWarnings(c: DiffusersCase, warnings: string[]): void {
  const t5 = (w: string): boolean => w.includes('`max_sequence_length`');
  expect(warnings.filter(t5)).toEqual(c.warnings.filter(t5));
  const clip = (ws: string[]): string[] => ws.filter((w) => !t5(w)).map((w) => w.slice(0, w.indexOf(':')));
  expect(clip(warnings)).toEqual(clip(c.warnings));
}

let counter = 0;
async function repo(files: Promise<Record<string, Uint8Array | string>>): Promise<string> {
  return writeRepo(join(root.path, `repo-${counter++}`), await files);
}
function keep<P extends TextPipeline<EngineName>>(pipe: P): P {
  pipelines.push(pipe);
  return pipe;
}

for (const engine of ['tfjs', 'onnx'] as const) {
  describe(`SD3 and Flux on the ${engine} engine`, () => {
    it('SD3 from a diffusers folder equals StableDiffusion3Pipeline.encode_prompt (prompt 2/3, negatives, clip skip, n, truncation, no guidance)', async () => {
      const pipe = keep(await TextPipeline.fromPretrained(await repo(sd3Repo()), { engine, backend: 'cpu' }));
      expect(pipe.kind).toBe('sd3');
      expect(pipe.engine).toBe(engine);
      expect(pipe.t5Encoder!.engine).toBe(engine);
      expect(pipe.jointAttentionDim).toBe(80);
      for (const c of sd3.diffusers.filter((x) => x.t5 && x.clipL === 'stored projection')) {
        const { out, warnings } = await encodeWithWarnings(pipe, optionsOf(c.options));
        checkDiffusers(sd3, c, out, engine, 'sd3');
        checkWarnings(c, warnings);
      }
    });

    it('SD3 saved without T5 (text_encoder_3 = None): T5 zeros of joint_attention_dim, as diffusers; and textEncoder3: null', async () => {
      const c = sd3.diffusers.find((x) => x.name === 'no_t5')!;
      const saved = keep(await TextPipeline.fromPretrained(await repo(sd3Repo({ t5: false })), { engine, backend: 'cpu' }));
      expect(saved.t5Encoder).toBeNull();
      checkDiffusers(sd3, c, (await encodeWithWarnings(saved, optionsOf(c.options))).out, engine, 'sd3');
      const dropped = keep(await TextPipeline.fromPretrained(await repo(sd3Repo()), { engine, backend: 'cpu', textEncoder3: null }));
      expect(dropped.t5Tokenizer).toBeNull();
      checkDiffusers(sd3, c, (await encodeWithWarnings(dropped, optionsOf(c.options))).out, engine, 'sd3');
    });

    it('SD3 from ComfyUI separate files and from an SD3 single file: CLIP-L pooled as diffusers single files make it (identity projection)', async () => {
      const c = sd3.diffusers.find((x) => x.name === 'single_file_clip_l')!;
      const dir = join(root.path, `files-${engine}`);
      await mkdir(dir, { recursive: true });
      const t5Tokenizer = await T5Tokenizer.fromPretrained(join(fixturesDir, 't5-tokenizer', 't5-nobf'));
      // ComfyUI's clip_l.safetensors carries a text_projection it never uses.
      const clipL = join(dir, 'clip_l.safetensors');
      await writeFile(clipL, rawSafetensors(await storedTensors(join(tinyModelDir('sd1-tiny'), 'text_model_with_projection', 'model.safetensors'))));
      const clipG = join(tinyModelDir('sd2-tiny'), 'text_model_with_projection', 'model.safetensors');
      const t5 = join(fixturesDir, 'sd3', 'text_encoder_3', 'model.safetensors');
      const configs = { clipLConfig: { num_attention_heads: 4 }, clipGConfig: { num_attention_heads: 2 }, jointAttentionDim: 80 };
      const fromFiles = keep(await TextPipeline.fromFiles({ clipL, clipG, t5 }, { engine, backend: 'cpu', t5Tokenizer, ...configs }));
      expect(fromFiles.kind).toBe('sd3');
      checkDiffusers(sd3, c, (await encodeWithWarnings(fromFiles, optionsOf(c.options))).out, engine, 'sd3');

      const single = join(dir, 'sd3_medium_incl_clips_t5xxlfp16.safetensors');
      const prefixed = async (prefix: string, file: string) => (await storedTensors(file)).map((t) => ({ ...t, name: prefix + t.name }));
      await writeFile(
        single,
        rawSafetensors([
          { name: 'model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight', dtype: 'F16', shape: [4, 2], bytes: new Uint8Array(16) },
          ...(await prefixed('text_encoders.clip_g.transformer.', clipG)),
          ...(await prefixed('text_encoders.clip_l.transformer.', join(tinyModelDir('sd1-tiny'), 'text_model', 'model.safetensors'))),
          ...(await prefixed('text_encoders.t5xxl.transformer.', t5)),
          { name: 'first_stage_model.decoder.conv_in.weight', dtype: 'F32', shape: [2], bytes: new Uint8Array(8) },
        ]),
      );
      const fromSingle = keep(await TextPipeline.fromSingleFile(single, { engine, backend: 'cpu', t5Tokenizer: join(fixturesDir, 't5-tokenizer', 't5-nobf'), ...configs }));
      expect(fromSingle.kind).toBe('sd3');
      checkDiffusers(sd3, c, (await encodeWithWarnings(fromSingle, optionsOf(c.options))).out, engine, 'sd3');
    });

    it('Flux from a diffusers folder equals FluxPipeline.encode_prompt (prompt 2, n, 512 and shorter, truncation, text_ids)', async () => {
      const pipe = keep(await TextPipeline.fromPretrained(await repo(fluxRepo()), { engine, backend: 'cpu' }));
      expect(pipe.kind).toBe('flux');
      expect(pipe.tokenizer2).toBeNull();
      for (const c of flux.diffusers) {
        const { out, warnings } = await encodeWithWarnings(pipe, optionsOf(c.options));
        checkDiffusers(flux, c, out, engine, 'flux');
        checkWarnings(c, warnings);
      }
    });

    it("dialect 'comfy' equals ComfyUI's SD3ClipModel and FluxClipModel", async () => {
      const sd3Pipe = keep(await TextPipeline.fromPretrained(await repo(sd3Repo()), { engine, backend: 'cpu' }));
      const sd3NoT5 = keep(await TextPipeline.fromPretrained(await repo(sd3Repo()), { engine, backend: 'cpu', textEncoder3: null }));
      for (const c of sd3.comfy) {
        const out = await (c.t5 ? sd3Pipe : sd3NoT5).encodePrompt({ prompt: c.text, dialect: 'comfy', guidance: false, output: 'array' });
        close(sd3, `comfy.${c.name}.cond`, out.promptEmbeds, engine, 'sd3 comfy');
        close(sd3, `comfy.${c.name}.pooled`, out.pooledPromptEmbeds, engine, 'sd3 comfy pooled');
      }
      // The negative prompt ("" by default) is ComfyUI's empty prompt.
      const withNegative = await sd3Pipe.encodePrompt({ prompt: 'a photo of a cat', dialect: 'comfy', output: 'array' });
      close(sd3, 'comfy.empty.cond', withNegative.negativePromptEmbeds, engine, 'sd3 comfy');
      const fluxPipe = keep(await TextPipeline.fromPretrained(await repo(fluxRepo()), { engine, backend: 'cpu' }));
      for (const c of flux.comfy) {
        const out = await fluxPipe.encodePrompt({ prompt: c.text, dialect: 'comfy', output: 'array' });
        close(flux, `comfy.${c.name}.cond`, out.promptEmbeds, engine, 'flux comfy');
        close(flux, `comfy.${c.name}.pooled`, out.pooledPromptEmbeds, engine, 'flux comfy pooled');
        expect(out.negativePromptEmbeds).toBeNull();
        expect(out.textIds!.shape).toEqual([out.promptEmbeds.shape[1], 3]);
      }
    });
  });
}
