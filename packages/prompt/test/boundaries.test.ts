import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { applyEmphasis, emptyChunk, getMulticondPromptList, getPromptSchedule, tokenizeLine, tokenizeWithWeights } from '../src/index.js';
import { BOUNDARIES as FIXTURE } from './support/boundary-fixtures.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';

// The rules at their edges, against webui's and ComfyUI's own answers (no encoder: the conditioning
// of these cases is boundaries-conditioning.test.ts).
const tokenizer = CLIPTokenizer.fromPreset('sd1');

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

  it("empty_chunk: the filler of a shorter prompt in a batch", () => {
    const chunk = emptyChunk(tokenizer);
    expect({ tokens: chunk.tokens, multipliers: chunk.multipliers }).toEqual(FIXTURE.emptyChunk);
    expect(chunk.fixes).toEqual([]);
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
      // SDTokenizer's defaults (pad_with_end=True, max_length 77, max_word_length 8) are the options' defaults.
      expect(tokenizeWithWeights(ref.text, tokenizer)).toEqual(ref.tokenWeights);
    });
  }
});

describe("webui's emphasis (sd_emphasis after_transformers) on seeded z: every option, weights 0 and negative, a batch", () => {
  // float32 products either way; webui's means are torch float32 sums, ours float64: measured 4.8e-7 (one ulp of |z| < 4).
  const BOUND = 1.5e-6;
  for (const ref of FIXTURE.emphasis) {
    it(`${ref.name} (${ref.emphasis})`, () => {
      const z = fromBase64F32(ref.z.base64);
      const want = fromBase64F32(ref.out.base64);
      const rowSize = 77 * 8;
      // A row webui's batch holds twice is one row here, counted twice (repeats).
      const repeated = ref.multipliers.map((m, i) => i > 0 && JSON.stringify(m) === JSON.stringify(ref.multipliers[i - 1]));
      const keep = ref.multipliers.map((_, i) => i).filter((i) => !repeated[i]);
      const repeats = keep.map((i) => 1 + (repeated[i + 1] ? 1 : 0));
      const ours = new Float32Array(keep.length * rowSize);
      keep.forEach((row, k) => ours.set(z.subarray(row * rowSize, (row + 1) * rowSize), k * rowSize));
      applyEmphasis(ours, keep.flatMap((i) => ref.multipliers[i]!), 8, ref.emphasis, keep.length < ref.multipliers.length ? repeats : undefined);
      const expected = new Float32Array(keep.length * rowSize);
      keep.forEach((row, k) => expected.set(want.subarray(row * rowSize, (row + 1) * rowSize), k * rowSize));
      const err = maxAbsDiff(ours, expected);
      expect(err).toBeLessThanOrEqual(BOUND);
      if (ref.emphasis === 'None' || ref.emphasis === 'Ignore') expect(ours).toEqual(z);
    });
  }
});
