import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32, toNumbers, type EngineName } from '@sdtext/core';
import type { OnnxCLIPTextModel } from '@sdtext/onnx';
import { TextPipeline, maybeConvertPrompt, type LoraInput, type TextualInversionInput } from '../src/index.js';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { fixtureRepo, writeRepo, type FixtureKind } from './helpers/fixture-repos.js';
import { clipSkipReference, hiddenState, loadGolden, maxAbsDiff, sliceLastAxis, type EngineBound } from './helpers/golden.js';
import { fixturesDir, tempDir } from './helpers/paths.js';
import { writeSingleFile } from './helpers/single-file.js';

// Reference outputs: scripts/make-checkpoint-extras-fixtures.py (torch, following transformers and diffusers line by line).
const EXTRAS = join(fixturesDir, 'checkpoint-extras');
/** Per test and engine, about 3x the worst error measured there (tfjs / onnx in the comments). */
const TOL = {
  ti: { tfjs: 6.3e-6, onnx: 6.9e-6 }, // 2.1e-6 / 2.3e-6 (also the dialect prompts)
  kohya: { tfjs: 8.3e-6, onnx: 9.7e-6 }, // 2.8e-6 / 3.2e-6
  peft: { tfjs: 1.8e-5, onnx: 1.7e-5 }, // 6.0e-6 / 5.5e-6
  singleSd1: { tfjs: 1.1e-5, onnx: 5.8e-6 }, // 3.7e-6 / 1.9e-6
  singleSd2: { tfjs: 9e-6, onnx: 1.3e-5 }, // 3.0e-6 / 4.2e-6 (clip skip 1.6e-6 / 1.9e-6)
  singleSdxl: { tfjs: 6.1e-6, onnx: 7.5e-6 }, // 2.0e-6 / 2.5e-6
} satisfies Record<string, EngineBound>;
const TI: TextualInversionInput[] = [join(EXTRAS, 'ti-cat-toy.safetensors'), join(EXTRAS, 'ti-my-style.pt'), join(EXTRAS, 'ti-dog.bin')];
const TI_PROMPTS = ['a photo of <cat-toy>', 'my-style <dog>'];
const KOHYA: LoraInput = { file: join(EXTRAS, 'lora-kohya-sd1.safetensors'), scale: 0.7 };
const PEFT: LoraInput = { file: join(EXTRAS, 'lora-peft-sd2.safetensors'), scale: 1 };
// What the single files cannot tell: the tiny models' head counts (real models: hidden_size / 64).
const SD1_HEADS = { num_attention_heads: 4, num_hidden_layers: 2 };
const SD2_HEADS = { num_attention_heads: 2, num_hidden_layers: 2 };

async function reference(name: string): Promise<{ inputIds: number[][]; lastHiddenState: Float32Array }> {
  const file = await loadSafetensors(join(EXTRAS, `${name}.safetensors`));
  const ids = file.tensors.get('input_ids')!;
  const flat = toNumbers(ids.data);
  const [b, s] = ids.shape as [number, number];
  const lhs = file.tensors.get('last_hidden_state')!;
  return { inputIds: Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s)), lastHiddenState: toFloat32(lhs.dtype, lhs.data) };
}

let root: { path: string; remove: () => Promise<void> };
const single: Record<'sd1' | 'sd2' | 'sdxl', string> = { sd1: '', sd2: '', sdxl: '' };
const pipelines: TextPipeline<EngineName>[] = [];
let counter = 0;
beforeAll(async () => {
  root = await tempDir('extras');
  for (const kind of ['sd1', 'sd2', 'sdxl'] as const) single[kind] = await writeSingleFile(root.path, kind);
});
afterAll(async () => {
  for (const p of pipelines) await p.dispose();
  await root.remove();
});

const keep = <P extends TextPipeline<EngineName>>(p: P): P => (pipelines.push(p), p);

for (const engine of ['tfjs', 'onnx'] as const) {
  describe(`on the ${engine} engine`, () => {
    const repo = async (kind: FixtureKind, options: { textualInversion?: TextualInversionInput[]; lora?: LoraInput[] }) =>
      keep(await TextPipeline.fromPretrained(await writeRepo(join(root.path, `${kind}-${engine}-${counter++}`), await fixtureRepo(kind)), { engine, backend: 'cpu', ...options }));
    const readsInJs = (pipe: TextPipeline<EngineName>): void => {
      if (engine === 'onnx') expect((pipe.encoder as OnnxCLIPTextModel).weightTransfer).toBe('temp-folder'); // never mapped as stored
    };

    it('textual inversion (diffusers .safetensors, A1111 .pt, diffusers .bin): tokens, ids and embeddings as diffusers', async () => {
      const pipe = await repo('sd1', { textualInversion: TI });
      readsInJs(pipe);
      expect(pipe.tokenizer.length).toBe(49414);
      expect(pipe.encoder.config.vocab_size).toBe(49414);
      const ref = await reference('sd1_ti');
      const out = await pipe.encodePrompt({ prompt: TI_PROMPTS, guidance: false, returnEncoderOutputs: true, output: 'array' });
      expect(out.encoderOutputs!.inputIds).toEqual(ref.inputIds);
      expect(maxAbsDiff(out.promptEmbeds.data, ref.lastHiddenState)).toBeLessThan(TOL.ti[engine]);
    });

    it('textual inversion tokens inside dialect prompts: expanded first, weighted like any word', async () => {
      const pipe = await repo('sd1', { textualInversion: TI });
      const ref = await reference('sd1_ti');
      // Unweighted and under 75 tokens, an A1111 chunk is diffusers' padded row (SD1 pads with EOS).
      const plain = await pipe.encodePrompt({ prompt: TI_PROMPTS, dialect: 'a1111', guidance: false, output: 'array' });
      expect(plain.promptEmbeds.shape).toEqual([2, 77, 32]);
      expect(maxAbsDiff(plain.promptEmbeds.data, ref.lastHiddenState)).toBeLessThan(TOL.ti[engine]);
      const weighted = await pipe.encodePrompt({ prompt: ['a photo of (<cat-toy>:1.4)', 'my-style <dog>'], dialect: 'a1111', guidance: false, output: 'array' });
      expect(maxAbsDiff(weighted.promptEmbeds.data, plain.promptEmbeds.data)).toBeGreaterThan(1e-3);
    });

    it('kohya LoRA at scale 0.7 merged into SD1', async () => {
      const pipe = await repo('sd1', { lora: [KOHYA] });
      readsInJs(pipe);
      const golden = await loadGolden('sd1-tiny', 'pad77');
      const out = await pipe.encodePrompt({ prompt: golden.texts, guidance: false, output: 'array' });
      expect(maxAbsDiff(out.promptEmbeds.data, (await reference('sd1_lora_kohya')).lastHiddenState)).toBeLessThan(TOL.kohya[engine]);
      expect(maxAbsDiff(out.promptEmbeds.data, golden.lastHiddenState)).toBeGreaterThan(0.01); // it did change something
    });

    it('peft LoRA merged into SD2', async () => {
      const pipe = await repo('sd2', { lora: [PEFT] });
      const golden = await loadGolden('sd2-tiny', 'pad77');
      const out = await pipe.encodePrompt({ prompt: golden.texts, guidance: false, output: 'array' });
      expect(maxAbsDiff(out.promptEmbeds.data, (await reference('sd2_lora_peft')).lastHiddenState)).toBeLessThan(TOL.peft[engine]);
    });

    it('single-file SD1 (cond_stage_model.transformer.*) with textual inversion and a LoRA; the 3 GB UNet is never read', async () => {
      const pipe = keep(
        await TextPipeline.fromSingleFile(single.sd1, { engine, backend: 'cpu', textEncoderConfig: SD1_HEADS, textualInversion: TI, lora: [KOHYA] }),
      );
      expect(pipe.kind).toBe('sd');
      readsInJs(pipe);
      const ref = await reference('sd1_ti_lora');
      const out = await pipe.encodePrompt({ prompt: TI_PROMPTS, guidance: false, returnEncoderOutputs: true, output: 'array' });
      expect(out.encoderOutputs!.inputIds).toEqual(ref.inputIds);
      expect(maxAbsDiff(out.promptEmbeds.data, ref.lastHiddenState)).toBeLessThan(TOL.singleSd1[engine]);
    });

    it('single-file SD2 (OpenCLIP: in_proj split, last block dropped), clip skip included', async () => {
      const pipe = keep(await TextPipeline.fromSingleFile(single.sd2, { engine, backend: 'cpu', textEncoderConfig: SD2_HEADS }));
      expect(pipe.encoder.config).toMatchObject({ num_hidden_layers: 2, hidden_act: 'gelu', vocab_size: 49408 });
      expect(pipe.tokenizer.padToken).toBe('!');
      const golden = await loadGolden('sd2-tiny', 'pad77');
      const out = await pipe.encodePrompt({ prompt: golden.texts, guidance: false, output: 'array' });
      expect(maxAbsDiff(out.promptEmbeds.data, golden.lastHiddenState)).toBeLessThan(TOL.singleSd2[engine]);
      const skipped = await pipe.encodePrompt({ prompt: golden.texts, guidance: false, clipSkip: 1, output: 'array' });
      expect(maxAbsDiff(skipped.promptEmbeds.data, await clipSkipReference('sd2-tiny', 1))).toBeLessThan(TOL.singleSd2[engine]);
    });

    it('single-file SDXL (conditioner.embedders.0/1): both encoders, text_projection transposed', async () => {
      const pipe = keep(
        await TextPipeline.fromSingleFile(single.sdxl, { engine, backend: 'cpu', textEncoderConfig: SD1_HEADS, textEncoder2Config: SD2_HEADS }),
      );
      expect(pipe.kind).toBe('sdxl');
      const g1 = await loadGolden('sd1-tiny', 'pad77');
      const g2 = await loadGolden('sd2-tiny', 'pad77');
      const g2proj = await loadSafetensors(join(fixturesDir, 'models', 'sd2-tiny', 'outputs', 'pad77.safetensors'));
      const out = await pipe.encodePrompt({ prompt: g1.texts, guidance: false, output: 'array' });
      const h1 = g1.shape.hidden;
      expect(maxAbsDiff(sliceLastAxis(out.promptEmbeds.data, h1 + g2.shape.hidden, 0, h1), hiddenState(g1, -2))).toBeLessThan(TOL.singleSdxl[engine]);
      expect(maxAbsDiff(sliceLastAxis(out.promptEmbeds.data, h1 + g2.shape.hidden, h1, h1 + g2.shape.hidden), hiddenState(g2, -2))).toBeLessThan(TOL.singleSdxl[engine]);
      const te = g2proj.tensors.get('text_embeds')!;
      expect(maxAbsDiff(out.pooledPromptEmbeds!.data, toFloat32(te.dtype, te.data))).toBeLessThan(TOL.singleSdxl[engine]);
    });
  });
}

describe('checks', () => {
  it('maybe_convert_prompt expands multi-vector tokens', () => {
    const tok = CLIPTokenizer.fromPreset('sd1');
    tok.addTokens(['<x>', '<x>_1', '<x>_2']);
    expect(maybeConvertPrompt('a <x> and <x>', tok, new Set(['<x>', '<x>_1', '<x>_2']))).toBe('a <x> <x>_1 <x>_2 and <x> <x>_1 <x>_2');
  });

  it('refuses a token already in the vocabulary, a LoRA for an encoder the pipeline lacks, and SDXL-only embeddings on SD1', async () => {
    const dir = await writeRepo(join(root.path, 'checks'), await fixtureRepo('sd1'));
    await expect(TextPipeline.fromPretrained(dir, { textualInversion: [{ file: join(EXTRAS, 'ti-dog.bin'), token: 'cat' }] })).rejects.toThrow(
      /Token cat already in tokenizer vocabulary/,
    );
    await expect(TextPipeline.fromPretrained(dir, { textualInversion: [{ file: join(EXTRAS, 'ti-sdxl.safetensors'), token: '<xl>' }] })).rejects.toThrow(
      /embeddings for text_encoder_2, which this pipeline does not have/,
    );
    await expect(TextPipeline.fromPretrained(dir, { textualInversion: [join(EXTRAS, 'ti-dog.bin'), join(EXTRAS, 'ti-dog.bin')] })).rejects.toThrow(
      /Token <dog> already in tokenizer vocabulary/,
    );
  });
});
