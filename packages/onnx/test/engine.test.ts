import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmbeddingCache, InputError, parseCLIPTextConfig, type EncodeOutputs } from '@sdtext/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxCLIPTextModel } from '../src/index.js';
import { FIXTURES, maxAbsDiff } from './helpers.js';

const SD2 = path.join(FIXTURES, 'sd2-tiny');

describe('embedding cache', () => {
  let model: OnnxCLIPTextModel;
  beforeAll(async () => {
    model = await OnnxCLIPTextModel.fromPretrained(SD2, { subfolder: 'text_model', cache: { maxEntries: 3 } });
  });
  afterAll(() => model.dispose());

  const empty = [49406, 49407, ...Array<number>(75).fill(49407)]; // the empty negative prompt
  const prompt = (k: number): number[] => [49406, 320 + k, 49407, ...Array<number>(74).fill(49407)];

  it('computes a row once, in whatever batch it comes, and hands out arrays the caller may mutate', async () => {
    const cache = model.cache;
    const first = await model.encode({ inputIds: [empty] });
    const expected = first.lastHiddenState.data.slice();
    first.lastHiddenState.data.fill(123); // the caller owns its arrays
    const misses = cache.misses;
    const batch = await model.encode({ inputIds: [prompt(1), empty] }); // SD's [prompt, negative]
    expect(cache.misses).toBe(misses + 1); // only the prompt row ran
    expect(batch.lastHiddenState.dims).toEqual([2, 77, 32]);
    const H = 77 * 32;
    expect(maxAbsDiff(batch.lastHiddenState.data.subarray(H), expected)).toBe(0);
    // ...and the prompt row equals the prompt run alone
    const alone = await OnnxCLIPTextModel.fromPretrained(SD2, { subfolder: 'text_model', cache: false });
    const ref = await alone.encode({ inputIds: [prompt(1), empty] });
    await alone.dispose();
    // The same graph at another batch size: equal here (0); 1e-6 is a few float32 ulps of these outputs.
    expect(maxAbsDiff(batch.lastHiddenState.data, ref.lastHiddenState.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(batch.poolerOutput.data, ref.poolerOutput.data)).toBeLessThan(1e-6);
  });

  it('computes identical rows of one batch once, even with the cache off', async () => {
    const off = await OnnxCLIPTextModel.fromPretrained(SD2, { subfolder: 'text_model', cache: false });
    try {
      const out = await off.encode({ inputIds: [prompt(7), prompt(7), empty] });
      expect(off.cache.misses).toBe(2);
      expect(off.cache.size).toBe(0);
      const H = 77 * 32;
      expect(maxAbsDiff(out.lastHiddenState.data.subarray(0, H), out.lastHiddenState.data.subarray(H, 2 * H))).toBe(0);
    } finally {
      await off.dispose();
    }
  });

  it('keys on the mask too, and computes hidden states when a cached row lacks them', async () => {
    const cache = model.cache;
    await model.encode({ inputIds: [empty] });
    let misses = cache.misses;
    await model.encode({ inputIds: [empty], attentionMask: [[1, 1, ...Array<number>(75).fill(0)]] });
    expect(cache.misses).toBe(misses + 1);
    misses = cache.misses;
    const withHidden = await model.encode({ inputIds: [empty], outputHiddenStates: true });
    expect(cache.misses).toBe(misses + 1);
    expect(withHidden.hiddenStates).toHaveLength(3);
    const again = await model.encode({ inputIds: [empty] });
    expect(cache.misses).toBe(misses + 1);
    expect(again.hiddenStates).toBeUndefined();
  });

  it('is bounded: least recently used rows go first', async () => {
    const cache = model.cache;
    cache.clear();
    for (let k = 0; k < 5; k++) await model.encode({ inputIds: [prompt(k)] });
    expect(cache.size).toBe(3);
    const misses = cache.misses;
    await model.encode({ inputIds: [prompt(4)] });
    expect(cache.misses).toBe(misses);
    await model.encode({ inputIds: [prompt(0)] });
    expect(cache.misses).toBe(misses + 1);
  });

  it('bounds bytes as well as rows', async () => {
    const cache = new EmbeddingCache({ maxEntries: 100, maxBytes: 1000 });
    const rows = (n: number, width: number): EncodeOutputs => ({
      lastHiddenState: { data: new Float32Array(n * width), dims: [n, width] },
      poolerOutput: { data: new Float32Array(n), dims: [n, 1] },
    });
    for (let k = 0; k < 10; k++) await cache.encode([`k${k}`], { hiddenStates: false, attentions: false }, async (r) => rows(r.length, 99)); // 400 bytes a row
    expect(cache.size).toBe(2);
    expect(cache.byteSize).toBeLessThanOrEqual(1000);
    await cache.encode(['huge'], { hiddenStates: false, attentions: false }, async (r) => rows(r.length, 1000)); // over the bound alone: not kept
    expect(cache.size).toBe(2);
    const misses = cache.misses;
    await cache.encode(['huge'], { hiddenStates: false, attentions: false }, async (r) => rows(r.length, 1000));
    expect(cache.misses).toBe(misses + 1);
  });
});

describe('bad inputs', () => {
  let model: OnnxCLIPTextModel;
  beforeAll(async () => {
    model = await OnnxCLIPTextModel.fromPretrained(SD2, { subfolder: 'text_model' });
  });
  afterAll(() => model.dispose());

  it.each([
    [{ inputIds: [[49406, 49408]] }, /inputIds\[0\]\[1\] = 49408 is out of range: ids must be in \[0, 49408\)/],
    [{ inputIds: [[49406, -1]] }, /inputIds\[0\]\[1\] = -1 is out of range/],
    [{ inputIds: [[1.5]] }, /not an integer id/],
    [{ inputIds: [Array<number>(78).fill(1)] }, /sequence length 78 exceeds max_position_embeddings \(77\): truncate the ids/],
    [{ inputIds: [[1, 2], [3]] }, /rows differ in length/],
    [{ inputIds: [] }, /must not be empty/],
    [{ inputIds: [[1, 2]], attentionMask: [[1]] }, /attentionMask has shape \[1, 1\], but inputIds has \[1, 2\]/],
    [{ inputIds: [[1, 2]], attentionMask: [[1, 2]] }, /attentionMask\[0\]\[1\] = 2: must be 0 or 1/],
  ])('%j', async (inputs, message) => {
    await expect(model.encode(inputs)).rejects.toThrow(InputError);
    await expect(model.encode(inputs)).rejects.toThrow(message);
  });

  it('says clearly when an exported graph has no hidden states', async () => {
    const config = parseCLIPTextConfig(fs.readFileSync(path.join(SD2, 'text_model', 'config.json'), 'utf8'));
    const exported = await OnnxCLIPTextModel.fromOnnx(path.join(SD2, 'onnx'), { config });
    await expect(exported.encode({ inputIds: [[49406, 49407]], outputHiddenStates: true })).rejects.toThrow(/no hidden_states outputs/);
    await exported.dispose();
  });

  it('refuses use after dispose', async () => {
    const m = await OnnxCLIPTextModel.fromPretrained(SD2, { subfolder: 'text_model' });
    await m.dispose();
    await expect(m.encode({ inputIds: [[49406]] })).rejects.toThrow(/after dispose/);
  });
});
