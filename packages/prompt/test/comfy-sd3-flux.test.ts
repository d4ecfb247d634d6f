import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import type { T5EncoderEngine } from '@sdtext/core/t5';
import { OnnxT5EncoderModel } from '@sdtext/onnx/t5';
import { T5EncoderModel } from '@sdtext/text-encoder/t5';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { EncoderCache, encodeComfyFlux, encodeComfySd3, t5EngineEncoder, type ComfyT5Encoder, type SdxlEncoder, type TokenWeight } from '../src/index.js';
import { maxAbsDiff } from './support/compare.js';
import { ENGINES, loadEncoder, type EngineBound, type EngineName } from './support/engines.js';

/**
 * Made by scripts/sd3/make-sd3-flux-references.py: ComfyUI a220d11's SD3ClipModel / FluxClipModel
 * (sd3_clip.py, flux.py over sd1_clip.py and sdxl_clip.py) on the tiny SD3 and Flux stacks.
 */
const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/', import.meta.url));

interface ComfyCase {
  name: string;
  text: string;
  t5?: boolean;
  tokenWeights: Record<string, [number, number][][]>;
  cond: string;
  pooled: string;
}

function manifest(stack: 'sd3' | 'flux'): { comfy: ComfyCase[]; comfyWidthLiterals: Record<string, number> | null } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, stack, 'references.json'), 'utf8')) as { comfy: ComfyCase[]; comfyWidthLiterals: Record<string, number> | null };
}

const tensors = new Map<string, { data: Float32Array; dims: number[] }>();
const report: Record<string, number> = {};
const loaded: T5EncoderEngine[] = [];

beforeAll(async () => {
  for (const stack of ['sd3', 'flux'] as const) {
    const file = await loadSafetensors(path.join(FIXTURES, stack, 'references.safetensors'));
    for (const [name, t] of file.tensors) tensors.set(`${stack}/${name}`, { data: Float32Array.from(toFloat32(t.dtype, t.data)), dims: [...t.shape] });
  }
});
afterAll(async () => {
  console.log('ComfyUI SD3/Flux parity (max abs err):', JSON.stringify(report));
  await Promise.all(loaded.splice(0).map((e) => e.dispose()));
});

/**
 * About 3x the worst error per output and engine (tfjs / onnx) measured here: SD3 cond 3.6e-6 /
 * 2.6e-6, pooled 1.6e-6 / 1.3e-6; Flux cond 7.5e-6 / 5.1e-6, pooled 1.1e-6 / 1.5e-6.
 */
const BOUND: Record<string, EngineBound> = {
  'sd3 cond': { tfjs: 1.1e-5, onnx: 8e-6 },
  'sd3 pooled': { tfjs: 4.8e-6, onnx: 4e-6 },
  'flux cond': { tfjs: 2.3e-5, onnx: 1.6e-5 },
  'flux pooled': { tfjs: 3.3e-6, onnx: 4.6e-6 },
};

function check(stack: string, output: string, engine: EngineName, actual: { data: Float32Array; dims: number[] }, key: string): void {
  const expected = tensors.get(`${stack}/${key}`)!;
  expect(actual.dims).toEqual(expected.dims);
  const err = maxAbsDiff(actual.data, expected.data);
  const name = `${stack} ${output}`;
  report[`${name} ${engine}`] = Math.max(report[`${name} ${engine}`] ?? 0, err);
  expect(err).toBeLessThanOrEqual(BOUND[name]![engine]);
}

async function t5Encoder(folder: string, engine: EngineName, tokenizer: T5Tokenizer): Promise<ComfyT5Encoder> {
  const model = engine === 'tfjs' ? await T5EncoderModel.fromPretrained(folder, { backend: 'cpu' }) : await OnnxT5EncoderModel.fromPretrained(folder);
  loaded.push(model);
  return { tokenizer, cache: new EncoderCache(t5EngineEncoder(model)) };
}

const plain = (rows: TokenWeight[][]): [number, number][][] => rows.map((r) => r.map(([t, w]) => [t as number, w]));

describe.each(ENGINES)('ComfyUI SD3 / Flux prompts on %s', (engine) => {
  let t5Tokenizer: T5Tokenizer;
  beforeAll(async () => {
    t5Tokenizer = await T5Tokenizer.fromPretrained(path.join(FIXTURES, 't5-tokenizer', 't5-nobf'));
  });

  it('SD3ClipModel: CLIP-L and CLIP-G weighted, padded to the T5 width, then T5', async () => {
    const { comfy, comfyWidthLiterals } = manifest('sd3');
    expect(comfyWidthLiterals).toEqual({ '768': 32, '1280': 32, '4096': 80 });
    // ComfyUI's CLIP-L pooled output is unprojected: sd1-tiny's text_model is the same model without the projection.
    const l: SdxlEncoder = { tokenizer: CLIPTokenizer.fromPreset('sd1'), cache: new EncoderCache(await loadEncoder('sd1-tiny', engine)) };
    const g: SdxlEncoder = { tokenizer: CLIPTokenizer.fromPreset('sd2'), cache: new EncoderCache(await loadEncoder('sd2-tiny', engine, 'text_model_with_projection')) };
    const t5 = await t5Encoder(path.join(FIXTURES, 'sd3', 'text_encoder_3'), engine, t5Tokenizer);
    for (const c of comfy) {
      const out = await encodeComfySd3(c.text, l, g, c.t5 ? t5 : null, { jointWidth: 80, hiddenSizes: { l: 32, g: 32 } });
      expect(plain(out.tokens.l), `${c.name} l tokens`).toEqual(c.tokenWeights.l);
      expect(plain(out.tokens.g), `${c.name} g tokens`).toEqual(c.tokenWeights.g);
      if (c.t5) expect(plain(out.tokens.t5xxl!), `${c.name} t5 tokens`).toEqual(c.tokenWeights.t5xxl);
      check('sd3', 'cond', engine, out.embeds, `comfy.${c.name}.cond`);
      check('sd3', 'pooled', engine, out.pooled, `comfy.${c.name}.pooled`);
    }
  });

  it('FluxClipModel: T5 weighted (padded to 256), CLIP-L pooled', async () => {
    const l: SdxlEncoder = { tokenizer: CLIPTokenizer.fromPreset('sd1'), cache: new EncoderCache(await loadEncoder('sd1-tiny', engine)) };
    const t5 = await t5Encoder(path.join(FIXTURES, 'flux', 'text_encoder_2'), engine, t5Tokenizer);
    for (const c of manifest('flux').comfy) {
      const out = await encodeComfyFlux(c.text, l, t5, { hiddenSize: 32 });
      expect(plain(out.tokens.l), `${c.name} l tokens`).toEqual(c.tokenWeights.l);
      expect(plain(out.tokens.t5xxl), `${c.name} t5 tokens`).toEqual(c.tokenWeights.t5xxl);
      check('flux', 'cond', engine, out.embeds, `comfy.${c.name}.cond`);
      check('flux', 'pooled', engine, out.pooled, `comfy.${c.name}.pooled`);
    }
  });

  it('a weight-only edit runs no T5 again', async () => {
    const t5 = await t5Encoder(path.join(FIXTURES, 'flux', 'text_encoder_2'), engine, t5Tokenizer);
    const l: SdxlEncoder = { tokenizer: CLIPTokenizer.fromPreset('sd1'), cache: new EncoderCache(await loadEncoder('sd1-tiny', engine)) };
    await encodeComfyFlux('a (red:1.3) cat', l, t5);
    const calls = t5.cache.encoderCalls;
    await encodeComfyFlux('a (red:0.7) cat', l, t5);
    expect(t5.cache.encoderCalls).toBe(calls);
  });
});
