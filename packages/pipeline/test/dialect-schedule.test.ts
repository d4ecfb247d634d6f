import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { EngineName } from '@sdtext/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextPipeline, disposeSchedule, type ArrayTensor, type PromptSchedule } from '../src/index.js';
import { fixtureRepo, writeRepo } from './helpers/fixture-repos.js';
import { maxAbsDiff } from './helpers/golden.js';
import { tempDir } from './helpers/paths.js';
import { fromBase64F32 } from '../../prompt/test/support/compare.js';

// @sdtext/prompt's scripts/make_schedule_references.py: webui's conditioning at every sampling step
// (processing.py's get_conds + CFGDenoiser's reconstruct/pad) and ComfyUI's CLIPSetLastLayer, on the
// fixture repos (sd1, sd2 with "!" padding, and the sdxl pair), reached through encodePrompt.
interface Stored {
  dims: number[];
  base64: string;
}
interface WebuiCase {
  name: string;
  model: 'sd1' | 'sd2' | 'sdxl';
  prompts: string[];
  negativePrompts: string[];
  steps: number;
  hiresSteps: number | null;
  clipSkip: number;
  padCondUncond: boolean;
  perStep: { condsList: [number, number][][]; cond: number; uncond: number; condPooled?: number; uncondPooled?: number }[];
  tensors: Stored[];
}
interface ComfyCase {
  name: string;
  model: 'sd1' | 'sd2';
  text: string;
  clipSetLastLayer: number | null;
  z: Stored;
}
const REFS = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/schedules.json', import.meta.url), 'utf8')) as { webui: WebuiCase[]; comfy: ComfyCase[] };
const webuiCase = (name: string): WebuiCase => REFS.webui.find((c) => c.name === name)!;

let root: { path: string; remove: () => Promise<void> };
const pipes = new Map<string, TextPipeline<EngineName>>();
beforeAll(async () => {
  root = await tempDir('dialect-schedule');
});
afterAll(async () => {
  for (const p of pipes.values()) await p.dispose();
  await root.remove();
});

async function pipeline(engine: EngineName, kind: 'sd1' | 'sd2' | 'sdxl'): Promise<TextPipeline<EngineName>> {
  const key = `${engine}-${kind}`;
  if (!pipes.has(key)) pipes.set(key, await TextPipeline.fromPretrained(await writeRepo(`${root.path}/${key}`, await fixtureRepo(kind)), { engine, backend: 'cpu' }));
  return pipes.get(key)!;
}

/** The pipeline's parts of an entry stacked as webui stacks them ([P, T, H]), and its negatives. */
function stackParts(t: readonly ArrayTensor[]): Float32Array {
  const out = new Float32Array(t.reduce((n, x) => n + x.data.length, 0));
  t.reduce((at, x) => (out.set(x.data, at), at + x.data.length), 0);
  return out;
}

function compare(schedule: PromptSchedule<ArrayTensor>, ref: WebuiCase): number {
  let err = 0;
  const tensor = (i: number): Float32Array => fromBase64F32(ref.tensors[i]!.base64);
  ref.perStep.forEach((want, step) => {
    const entry = schedule.schedule.find((e) => step <= e.untilStep)!;
    expect(entry.parts.map((p) => [p.prompt, p.weight])).toEqual(want.condsList.flatMap((parts, prompt) => parts.map(([, w]) => [prompt, w])));
    const [, T, H] = ref.tensors[want.cond]!.dims as [number, number, number];
    for (const p of entry.parts) expect(p.embeds.shape).toEqual([1, T, H]);
    err = Math.max(err, maxAbsDiff(stackParts(entry.parts.map((p) => p.embeds)), tensor(want.cond)));
    expect(entry.negativePromptEmbeds!.shape).toEqual(ref.tensors[want.uncond]!.dims);
    err = Math.max(err, maxAbsDiff(entry.negativePromptEmbeds!.data, tensor(want.uncond)));
    if (want.condPooled !== undefined) {
      err = Math.max(err, maxAbsDiff(stackParts(entry.parts.map((p) => p.pooledEmbeds!)), tensor(want.condPooled)));
      err = Math.max(err, maxAbsDiff(entry.negativePooledPromptEmbeds!.data, tensor(want.uncondPooled!)));
    }
  });
  return err;
}

const report: Record<string, number> = {};
afterAll(() => console.log('pipeline schedule / clip skip / padding parity:', JSON.stringify(report)));

describe.each(['tfjs', 'onnx'] as const)('encodePrompt({ dialect, steps }) on %s', (engine) => {
  for (const name of ['issue', 'hires', 'and_lengths_pad', 'batch', 'clip_skip2', 'sd2_clip_skip_ignored', 'sdxl_schedule', 'sdxl_zero_negative']) {
    const ref = webuiCase(name);
    it(`${name}: webui's conditioning at every step`, async () => {
      const pipe = await pipeline(engine, ref.model);
      const warnings: string[] = [];
      const schedule = await pipe.encodePrompt({
        prompt: ref.prompts,
        negativePrompt: ref.negativePrompts,
        dialect: 'a1111',
        steps: ref.steps,
        ...(ref.hiresSteps ? { hiresSteps: ref.hiresSteps } : {}),
        padCondUncond: ref.padCondUncond,
        clipSkip: ref.clipSkip,
        onWarning: (m) => warnings.push(m),
        output: 'array',
      });
      const err = compare(schedule, ref);
      report[`${name} ${engine}`] = err;
      expect(err).toBeLessThan({ tfjs: 1.2e-5, onnx: 1.1e-5 }[engine]); // measured 3.8e-6 / 3.7e-6
      // webui's SD2 embedder ignores Clip skip; the pipeline says so.
      expect(warnings).toEqual(ref.model === 'sd2' && ref.clipSkip > 1 ? [expect.stringMatching(/webui ignores Clip skip 2 on SD 2\.x/)] : []);
    });
  }

  it('a prompt with editing or AND needs steps, and says so', async () => {
    const pipe = await pipeline(engine, 'sd1');
    await expect(pipe.encodePrompt({ prompt: 'a [cat:dog:0.5] AND a tree:0.5', dialect: 'a1111', output: 'array' })).rejects.toThrow(
      /has prompt editing, alternation or AND: webui conditions it step by step; pass `steps`/,
    );
    await expect(pipe.encodePrompt({ prompt: 'a cat', negativePrompt: '[blurry|ugly]', dialect: 'a1111', output: 'array' })).rejects.toThrow(/pass `steps`/);
    // webui reads AND in a negative prompt as text, and [a:b:] is no schedule.
    const plain = await pipe.encodePrompt({ prompt: 'a [cat:dog:] cat', negativePrompt: 'blurry AND ugly', dialect: 'a1111', output: 'array' });
    expect(plain.promptEmbeds.shape).toEqual([1, 77, 32]);
  });

  it('gives one entry for other dialects and plain prompts, and tensors that share storage per text', async () => {
    const pipe = await pipeline(engine, 'sd1');
    const comfy = await pipe.encodePrompt({ prompt: ['a (cat:1.2)', 'a dog'], dialect: 'comfy', steps: 20, output: 'array' });
    const direct = await pipe.encodePrompt({ prompt: ['a (cat:1.2)', 'a dog'], dialect: 'comfy', output: 'array' });
    expect(comfy.schedule).toHaveLength(1);
    expect(comfy.schedule[0]!.untilStep).toBe(20);
    expect(comfy.schedule[0]!.parts.map((p) => [p.prompt, p.weight, p.text])).toEqual([[0, 1, 'a (cat:1.2)'], [1, 1, 'a dog']]);
    expect(maxAbsDiff(stackParts(comfy.schedule[0]!.parts.map((p) => p.embeds)), direct.promptEmbeds.data)).toBe(0);
    const tensors = await pipe.encodePrompt({ prompt: '[cat|dog] AND a tree', dialect: 'a1111', steps: 4, numImagesPerPrompt: 2 });
    expect(tensors.schedule.map((e) => e.untilStep)).toEqual([1, 2, 3, 4]);
    const [s1, s2, s3] = tensors.schedule;
    expect(s1!.parts[0]!.embeds.shape).toEqual([2, 77, 32]);
    expect(s1!.parts[0]!.embeds).toBe(s3!.parts[0]!.embeds); // "cat" at 1 and 3: one tensor
    expect(s1!.parts[1]!.embeds).toBe(s2!.parts[1]!.embeds); // the tree all along
    const before = tf.memory().numTensors;
    disposeSchedule(tensors);
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it("keeps webui's default of no padding, and pads with padCondUncond, equal to webui either way", async () => {
    for (const name of ['plain_long_prompt', 'plain_long_prompt_pad', 'negative_longer', 'negative_longer_pad']) {
      const ref = webuiCase(name);
      const pipe = await pipeline(engine, ref.model);
      const out = await pipe.encodePrompt({ prompt: ref.prompts, negativePrompt: ref.negativePrompts, dialect: 'a1111', padCondUncond: ref.padCondUncond, output: 'array' });
      const step = ref.perStep[0]!;
      expect(out.promptEmbeds.shape).toEqual(ref.tensors[step.cond]!.dims);
      expect(out.negativePromptEmbeds!.shape).toEqual(ref.tensors[step.uncond]!.dims);
      const err = Math.max(maxAbsDiff(out.promptEmbeds.data, fromBase64F32(ref.tensors[step.cond]!.base64)), maxAbsDiff(out.negativePromptEmbeds!.data, fromBase64F32(ref.tensors[step.uncond]!.base64)));
      report[`${name} ${engine}`] = err;
      expect(err).toBeLessThan(1.5e-5); // measured 4.8e-6 on both engines
    }
  });

  it('reads clip skip as each front end numbers it (ComfyUI: CLIPSetLastLayer, SD 2.x counted on the whole OpenCLIP tower)', async () => {
    for (const ref of REFS.comfy) {
      const pipe = await pipeline(engine, ref.model);
      const out = await pipe.encodePrompt({
        prompt: ref.text,
        dialect: 'comfy',
        guidance: false,
        output: 'array',
        ...(ref.clipSetLastLayer !== null ? { clipSkip: ref.clipSetLastLayer } : {}),
      });
      const err = maxAbsDiff(out.promptEmbeds.data, fromBase64F32(ref.z.base64));
      report[`comfy ${ref.name} ${engine}`] = err;
      expect(err).toBeLessThan({ tfjs: 7.9e-6, onnx: 1.2e-5 }[engine]); // measured 2.6e-6 / 3.8e-6
    }
    const sd2 = await pipeline(engine, 'sd2');
    await expect(sd2.encodePrompt({ prompt: 'a cat', dialect: 'comfy', clipSkip: -1, output: 'array' })).rejects.toThrow(/CLIPSetLastLayer\(-1\) on SD 2\.x needs OpenCLIP's last block/);
    const sd1 = await pipeline(engine, 'sd1');
    await expect(sd1.encodePrompt({ prompt: 'a cat', dialect: 'comfy', clipSkip: 2, output: 'array' })).rejects.toThrow(/CLIPSetLastLayer's stop_at_clip_layer \(-1 = last layer/);
    // webui's Clip skip 2 = diffusers' clip_skip 1: the same layer through each numbering.
    const a1111 = await sd1.encodePrompt({ prompt: 'a photo of a cat', dialect: 'a1111', clipSkip: 2, guidance: false, output: 'array' });
    const diffusers = await sd1.encodePrompt({ prompt: 'a photo of a cat', clipSkip: 1, guidance: false, output: 'array' });
    // The same layer of the same forward: equal (0); 1e-6 is a few float32 ulps of these outputs.
    expect(maxAbsDiff(a1111.promptEmbeds.data, diffusers.promptEmbeds.data)).toBeLessThan(1e-6);
  });
});
