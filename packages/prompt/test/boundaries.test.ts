import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import {
  EncoderCache,
  encodeA1111,
  encodeComfy,
  getMulticondPromptList,
  getPromptSchedule,
  tokenizeLine,
  tokenizeWithWeights,
  type A1111Emphasis,
} from '../src/index.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';
import type { StoredTensor } from './support/conditioning-fixtures.js';
import { ENGINES, loadEncoder, type EngineBound } from './support/engines.js';

/**
 * Made by scripts/make_boundary_references.py from webui's and ComfyUI's own code (versions pinned
 * in scripts/originals.py): each rule with an edge, at the edge and one past it.
 */
const FIXTURE = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./fixtures/boundaries.json', import.meta.url)), 'utf8')) as {
  longWords: Record<'7' | '8', string>;
  a1111Chunks: { name: string; text: string; commaPaddingBacktrack: number; emphasis: A1111Emphasis; tokens: number[][]; multipliers: number[][]; tokenCount: number }[];
  a1111Conditioning: { name: string; texts: string[]; emphasis: A1111Emphasis; z: StoredTensor }[];
  schedules: { prompt: string; steps: number; hiresSteps: number | null; useOldScheduling: boolean; schedule: [number, string][] }[];
  multicond: { prompt: string; indexes: [number, number][][]; flatList: string[] }[];
  comfy: { name: string; text: string; tokenWeights: [number, number][][]; z?: StoredTensor; pooled?: StoredTensor }[];
};

const tokenizer = CLIPTokenizer.fromPreset('sd1');
const report: Record<string, number> = {};
afterAll(() => console.log('boundary conditioning (max abs err):', JSON.stringify(report)));

// About 3x the worst case per engine: webui 3.1e-6 (tfjs) / 3.3e-6 (onnx), ComfyUI 3.0e-6 / 2.3e-6, pooled 1.6e-6 / 1.4e-6.
const A1111_Z: EngineBound = { tfjs: 9.3e-6, onnx: 1e-5 };
const COMFY_Z: EngineBound = { tfjs: 9.2e-6, onnx: 6.8e-6 };
const COMFY_POOLED: EngineBound = { tfjs: 4.9e-6, onnx: 4.3e-6 };

describe("webui's tokenize_line at its edges (comma backtrack, 75/76/77 tokens, BREAK, empty chunks, weights 0 and negative)", () => {
  it('covers the comma 19, 20 and 21 tokens back and the chunk lengths', () => {
    const names = FIXTURE.a1111Chunks.map((c) => c.name);
    for (const name of ['comma_back_19', 'comma_back_20', 'comma_back_21', 'exactly_75', 'exactly_76', 'exactly_77', 'break_after_75', 'empty', 'weight_0', 'weight_negative']) {
      expect(names).toContain(name);
    }
    // The reference itself shows the edge: 20 back moves the words after the comma, 21 back does not.
    const eos = (name: string) => FIXTURE.a1111Chunks.find((c) => c.name === name)!.tokens[0]!.filter((t) => t === tokenizer.eosTokenId).length;
    expect(eos('comma_back_20')).toBe(20);
    expect(eos('comma_back_21')).toBe(1);
  });

  for (const ref of FIXTURE.a1111Chunks) {
    it(`${ref.name} (comma_padding_backtrack ${ref.commaPaddingBacktrack}, emphasis ${ref.emphasis})`, () => {
      const { chunks, tokenCount } = tokenizeLine(ref.text, tokenizer, { commaPaddingBacktrack: ref.commaPaddingBacktrack, emphasis: ref.emphasis });
      expect(chunks.map((c) => c.tokens)).toEqual(ref.tokens);
      expect(chunks.map((c) => c.multipliers)).toEqual(ref.multipliers);
      expect(tokenCount).toBe(ref.tokenCount);
    });
  }
});

describe("webui's prompt schedules at steps 0, 1, steps - 1, steps, steps + 1 (and 0.0 / 1.0)", () => {
  for (const ref of FIXTURE.schedules) {
    const options = { ...(ref.hiresSteps === null ? {} : { hiresSteps: ref.hiresSteps }), useOldScheduling: ref.useOldScheduling };
    it(`${ref.prompt} at ${ref.steps}${ref.hiresSteps === null ? '' : `+${ref.hiresSteps}`}${ref.useOldScheduling ? ' old' : ''}`, () => {
      expect(getPromptSchedule(ref.prompt, ref.steps, options)).toEqual(ref.schedule);
    });
  }

  it('AND weights 0 and negative', () => {
    for (const ref of FIXTURE.multicond) {
      const { indexes, flatList } = getMulticondPromptList([ref.prompt]);
      expect(indexes.map((parts) => parts.map((p) => [p.index, p.weight])), ref.prompt).toEqual(ref.indexes);
      expect(flatList, ref.prompt).toEqual(ref.flatList);
    }
  });
});

describe("ComfyUI's tokenize_with_weights at its edges (75/76/77 tokens, max_word_length, empty, weights 0 and negative)", () => {
  for (const ref of FIXTURE.comfy) {
    it(ref.name, () => {
      expect(tokenizeWithWeights(ref.text, tokenizer, { padWithEnd: true })).toEqual(ref.tokenWeights);
    });
  }
});

describe.each(ENGINES)('conditioning at the edges (%s)', (engine) => {
  for (const ref of FIXTURE.a1111Conditioning) {
    it(`webui ${ref.name} (${ref.emphasis})`, async () => {
      const cache = new EncoderCache(await loadEncoder('sd1-tiny', engine));
      const out = await encodeA1111(ref.texts, tokenizer, cache, { emphasis: ref.emphasis });
      expect(out.embeds.dims).toEqual(ref.z.dims);
      const err = maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64));
      report[`webui ${ref.name} ${engine}`] = err;
      expect(err).toBeLessThanOrEqual(A1111_Z[engine]);
    });
  }
  for (const ref of FIXTURE.comfy.filter((c) => c.z !== undefined)) {
    it(`ComfyUI ${ref.name}`, async () => {
      const cache = new EncoderCache(await loadEncoder('sd1-tiny', engine));
      const chunks = tokenizeWithWeights(ref.text, tokenizer, { padWithEnd: true });
      const out = await encodeComfy(chunks, cache, { padTokenId: tokenizer.eosTokenId, bosTokenId: tokenizer.bosTokenId, eosTokenId: tokenizer.eosTokenId });
      expect(out.embeds.dims).toEqual(ref.z!.dims);
      const z = maxAbsDiff(out.embeds.data, fromBase64F32(ref.z!.base64));
      const pooled = maxAbsDiff(out.pooled!.data, fromBase64F32(ref.pooled!.base64));
      report[`comfy ${ref.name} ${engine}`] = Math.max(z, pooled);
      expect(z).toBeLessThanOrEqual(COMFY_Z[engine]);
      expect(pooled).toBeLessThanOrEqual(COMFY_POOLED[engine]);
    });
  }
});
