import { readFileSync } from 'node:fs';
import type { EngineName } from '@sdtext/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TextPipeline } from '../src/index.js';
import { fixtureRepo, writeRepo } from './helpers/fixture-repos.js';
import { maxAbsDiff } from './helpers/golden.js';
import { tempDir } from './helpers/paths.js';
import { fromBase64F32 } from '../../prompt/test/support/compare.js';

// The reference outputs of each front end's own code (webui, ComfyUI) on the tiny models, made by
// @sdtext/prompt's scripts; here they are reached through TextPipeline.encodePrompt({ dialect }).
interface Ref {
  name: string;
  model: 'sd1-tiny' | 'sd2-tiny';
  z: { dims: number[]; base64: string };
}
interface A1111Ref extends Ref {
  texts: string[];
  clipSkip: number;
  padTokenId?: number | null;
}
interface ComfyRef extends Ref {
  text: string;
  layerIdx: number | null;
  padWithEnd: boolean;
}
interface CompelRef {
  name: string;
  model: 'sd1-tiny' | 'sd2-tiny';
  prompts: string[];
  padTokenId: number;
  truncate: boolean;
  split: string;
  clipSkip: number;
  z: { dims: number[]; base64: string };
}
const compel = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/compel.json', import.meta.url), 'utf8')) as { conditioning: CompelRef[] };
const fixtures = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/conditioning.json', import.meta.url), 'utf8')) as {
  a1111: A1111Ref[];
  comfy: ComfyRef[];
};
const f32 = fromBase64F32;

// A repo's tokenizer decides the pad id: SD1's is EOS, SD2's "!" (0). References made with the
// other pad id for a model are not comparable through a pipeline, so they are left to the package.
const a1111Refs = fixtures.a1111.filter((r) => (r.model === 'sd1-tiny' ? (r.padTokenId ?? null) === null : r.padTokenId === 0));
const comfyRefs = fixtures.comfy.filter((r) => r.padWithEnd === (r.model === 'sd1-tiny'));
// The pipeline runs compel as diffusers users do for long prompts: truncate_long_prompts=False,
// the default sentence split, no CLS merging; references made that way, or short enough to agree.
const compelRefs = compel.conditioning.filter(
  (r) => r.padTokenId === (r.model === 'sd1-tiny' ? 49407 : 0) && r.split === 'SENTENCES' && !/cls|truncated/.test(r.name) && (!r.truncate || r.z.dims[1] === 77),
);

let root: { path: string; remove: () => Promise<void> };
const pipes = new Map<string, TextPipeline<EngineName>>();
beforeAll(async () => {
  root = await tempDir('dialect');
});
afterAll(async () => {
  for (const p of pipes.values()) await p.dispose();
  await root.remove();
});

async function pipeline(engine: EngineName, model: 'sd1-tiny' | 'sd2-tiny'): Promise<TextPipeline<EngineName>> {
  const key = `${engine}-${model}`;
  if (!pipes.has(key)) {
    const dir = await writeRepo(`${root.path}/${key}`, await fixtureRepo(model === 'sd1-tiny' ? 'sd1' : 'sd2'));
    pipes.set(key, await TextPipeline.fromPretrained(dir, { engine, backend: 'cpu' }));
  }
  return pipes.get(key)!;
}

/** Per dialect and engine, about 3x the worst case measured (tfjs / onnx in the comments). */
const BOUND = {
  a1111: { tfjs: 3.5e-5, onnx: 2.8e-5 }, // 1.14e-5 / 9.3e-6 (long_emphasis)
  comfy: { tfjs: 7.9e-6, onnx: 9.3e-6 }, // 2.6e-6 / 3.1e-6
  compel: { tfjs: 1.3e-5, onnx: 1.2e-5 }, // 4.2e-6 / 3.9e-6
  sdxl: { tfjs: 1.1e-5, onnx: 8.6e-6 }, // 3.5e-6 / 2.9e-6 (every dialect, embeds and pooled)
};

describe.each(['tfjs', 'onnx'] as const)('encodePrompt({ dialect }) on %s', (engine) => {
  it('has references to compare with', () => {
    expect(a1111Refs.length).toBeGreaterThanOrEqual(6);
    expect(comfyRefs.length).toBeGreaterThanOrEqual(6);
    expect(compelRefs.length).toBeGreaterThanOrEqual(10);
  });

  for (const ref of a1111Refs) {
    it(`a1111: ${ref.name} equals webui`, async () => {
      const pipe = await pipeline(engine, ref.model);
      // webui's own numbering: "Clip skip: 2" is clipSkip 2.
      const out = await pipe.encodePrompt({ prompt: ref.texts, dialect: 'a1111', guidance: false, output: 'array', clipSkip: ref.clipSkip });
      expect(out.promptEmbeds.shape).toEqual(ref.z.dims);
      expect(maxAbsDiff(out.promptEmbeds.data, f32(ref.z.base64))).toBeLessThan(BOUND.a1111[engine]);
    });
  }

  for (const ref of comfyRefs) {
    it(`comfy: ${ref.name} equals ComfyUI`, async () => {
      const pipe = await pipeline(engine, ref.model);
      // ComfyUI's own numbering: CLIPSetLastLayer(-2) is clipSkip -2.
      const clipSkip = ref.layerIdx !== null ? { clipSkip: ref.layerIdx } : {};
      const out = await pipe.encodePrompt({ prompt: ref.text, dialect: 'comfy', guidance: false, output: 'array', ...clipSkip });
      expect(out.promptEmbeds.shape).toEqual(ref.z.dims);
      expect(maxAbsDiff(out.promptEmbeds.data, f32(ref.z.base64))).toBeLessThan(BOUND.comfy[engine]);
    });
  }

  for (const ref of compelRefs) {
    it(`compel: ${ref.name} equals compel`, async () => {
      const pipe = await pipeline(engine, ref.model);
      const clipSkip = ref.clipSkip > 1 ? { clipSkip: ref.clipSkip - 1 } : {};
      const out = await pipe.encodePrompt({ prompt: ref.prompts, dialect: 'compel', guidance: false, output: 'array', ...clipSkip });
      expect(out.promptEmbeds.shape).toEqual(ref.z.dims);
      expect(maxAbsDiff(out.promptEmbeds.data, f32(ref.z.base64))).toBeLessThan(BOUND.compel[engine]);
    });
  }

  it('compel pads the prompt and the negative prompt alike', async () => {
    const pipe = await pipeline(engine, 'sd1-tiny');
    const out = await pipe.encodePrompt({ prompt: '("a cat", "a dog").and()', negativePrompt: 'blurry', dialect: 'compel', output: 'array' });
    expect(out.promptEmbeds.shape).toEqual([1, 154, 32]);
    expect(out.negativePromptEmbeds!.shape).toEqual([1, 154, 32]);
  });

  it('brings the negative prompt to the prompt length as each front end does', async () => {
    const pipe = await pipeline(engine, 'sd1-tiny');
    const prompt = 'a (red:1.3) cat BREAK masterpiece';
    // webui's default: each at its own length; "Pad prompt/negative prompt" (padCondUncond) pads.
    const own = await pipe.encodePrompt({ prompt, negativePrompt: 'blurry', dialect: 'a1111', output: 'array' });
    expect(own.promptEmbeds.shape).toEqual([1, 154, 32]);
    expect(own.negativePromptEmbeds!.shape).toEqual([1, 77, 32]);
    const a = await pipe.encodePrompt({ prompt, negativePrompt: 'blurry', dialect: 'a1111', padCondUncond: true, output: 'array' });
    const empty = await pipe.encodePrompt({ prompt: '', dialect: 'a1111', guidance: false, output: 'array' });
    expect(a.negativePromptEmbeds!.shape).toEqual([1, 154, 32]);
    expect(maxAbsDiff(a.negativePromptEmbeds!.data.subarray(0, 77 * 32), own.negativePromptEmbeds!.data)).toBe(0);
    // A1111's pad_cond: the negative's second chunk is the encoded empty prompt.
    expect(maxAbsDiff(a.negativePromptEmbeds!.data.subarray(77 * 32), empty.promptEmbeds.data)).toBe(0);
    // ComfyUI repeats the shorter conditioning to the common length.
    const c = await pipe.encodePrompt({ prompt: 'word '.repeat(100), negativePrompt: 'blurry', dialect: 'comfy', output: 'array' });
    expect(c.negativePromptEmbeds!.shape).toEqual([1, 154, 32]);
    expect(maxAbsDiff(c.negativePromptEmbeds!.data.subarray(0, 77 * 32), c.negativePromptEmbeds!.data.subarray(77 * 32))).toBe(0);
  });

  it('re-encodes after a weight-only edit without running the encoder', async () => {
    const pipe = await pipeline(engine, 'sd1-tiny');
    await pipe.encodePrompt({ prompt: 'a (red:1.3) cat, [blurry] BREAK masterpiece', negativePrompt: 'ugly', dialect: 'a1111', output: 'array' });
    const encode = vi.spyOn(pipe.encoder, 'encode');
    const edited = await pipe.encodePrompt({ prompt: 'a (red:0.7) cat, [[blurry]] BREAK masterpiece', negativePrompt: '(ugly:1.2)', dialect: 'a1111', output: 'array' });
    expect(encode).not.toHaveBeenCalled();
    expect(edited.promptEmbeds.shape).toEqual([1, 154, 32]);
    encode.mockRestore();
  });

  it('says what it does not do', async () => {
    const pipe = await pipeline(engine, 'sd1-tiny');
    await expect(pipe.encodePrompt({ prompt: 'x', dialect: 'novelai' as 'a1111' })).rejects.toThrow(/dialect must be one of "a1111", "comfy", "compel"/);
  });
});

// SDXL: @sdtext/prompt's scripts/make_sdxl_references.py ran webui, ComfyUI and compel's SDXL code on
// this 'sdxl' fixture repo's pair (sd1-tiny as text_encoder, sd2-tiny with projection as text_encoder_2).
interface SdxlRef {
  name: string;
  z: { dims: number[]; base64: string };
  pooled: { dims: number[]; base64: string };
}
const sdxl = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/sdxl.json', import.meta.url), 'utf8')) as {
  a1111: (SdxlRef & { texts: string[]; clipSkip: number; sdxlClipLSkip: boolean })[];
  comfy: (SdxlRef & { text: string; clipSkip: number | null })[];
  compel: (SdxlRef & { prompts: string[]; negativePrompts: string[] | null; negativeZ?: SdxlRef['z']; negativePooled?: SdxlRef['z'] })[];
};

describe.each(['tfjs', 'onnx'] as const)('encodePrompt({ dialect }) on SDXL, %s', (engine) => {
  async function sdxlPipeline(): Promise<TextPipeline<EngineName>> {
    const key = `${engine}-sdxl`;
    if (!pipes.has(key)) {
      const dir = await writeRepo(`${root.path}/${key}`, await fixtureRepo('sdxl'));
      pipes.set(key, await TextPipeline.fromPretrained(dir, { engine, backend: 'cpu' }));
    }
    return pipes.get(key)!;
  }
  const close = (actual: { data: Float32Array; shape: number[] }, expected: { dims: number[]; base64: string }): void => {
    expect(actual.shape).toEqual(expected.dims);
    expect(maxAbsDiff(actual.data, f32(expected.base64))).toBeLessThan(BOUND.sdxl[engine]);
  };

  // webui's defaults (clip skip ignored for SDXL) and ComfyUI's own layers are the pipeline's clipSkip undefined.
  for (const ref of sdxl.a1111.filter((r) => !r.sdxlClipLSkip)) {
    it(`a1111: ${ref.name} equals webui's SDXL conditioning`, async () => {
      const out = await (await sdxlPipeline()).encodePrompt({ prompt: ref.texts, dialect: 'a1111', guidance: false, output: 'array' });
      close(out.promptEmbeds, ref.z);
      close(out.pooledPromptEmbeds!, ref.pooled);
    });
  }
  for (const ref of sdxl.comfy.filter((r) => r.clipSkip === null)) {
    it(`comfy: ${ref.name} equals ComfyUI's SDXLClipModel`, async () => {
      const out = await (await sdxlPipeline()).encodePrompt({ prompt: ref.text, dialect: 'comfy', guidance: false, output: 'array' });
      close(out.promptEmbeds, ref.z);
      close(out.pooledPromptEmbeds!, ref.pooled);
    });
  }
  for (const ref of sdxl.compel) {
    it(`compel: ${ref.name} equals CompelForSDXL`, async () => {
      const negative = ref.negativePrompts ? { negativePrompt: ref.negativePrompts } : { guidance: false };
      const out = await (await sdxlPipeline()).encodePrompt({ prompt: ref.prompts, dialect: 'compel', output: 'array', ...negative });
      close(out.promptEmbeds, ref.z);
      close(out.pooledPromptEmbeds!, ref.pooled);
      if (ref.negativeZ) {
        close(out.negativePromptEmbeds!, ref.negativeZ);
        close(out.negativePooledPromptEmbeds!, ref.negativePooled!);
      }
    });
  }

  it('zeroes an all-empty A1111 negative prompt, as webui does for SDXL', async () => {
    const out = await (await sdxlPipeline()).encodePrompt({ prompt: 'a (red:1.3) cat', negativePrompt: '', dialect: 'a1111', output: 'array' });
    expect(out.negativePromptEmbeds!.shape).toEqual([1, 77, 64]);
    expect(out.negativePromptEmbeds!.data.every((v) => v === 0)).toBe(true);
  });
});
