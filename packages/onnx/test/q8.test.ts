import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSafetensors, toNumbers } from '@sdtext/core';
import { OnnxCLIPTextModel } from '../src/index.js';
import { quantizeQ8, roundHalfUp } from '../src/graph/quantize-q8.js';
import { FIXTURES, rowwiseDistance } from './helpers.js';

// dtype 'q8' trades exactness for speed, on request only: these tests bound what it costs on the
// tiny fixture models (the error on real weights is measured in docs/benchmarks.md) and check that
// the quantization itself is what it says.

describe('quantizeQ8', () => {
  it('rounds as Math.round does (ties up), also where x + 0.5 is inexact', () => {
    const xs = [0.49999999999999994, 0.5, -0.5, -0.49999999999999994, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 127, -127, 0, 1e-300, -1e-300];
    for (let k = -130; k <= 130; k++) xs.push(k + 0.5, k + 0.5 - 2 ** -44, k + 0.5 + 2 ** -44, k + 0.25);
    for (const x of xs) expect(roundHalfUp(x) + 0, String(x)).toBe(Math.round(x) + 0); // + 0: -0 and 0 store alike
    const { codes } = quantizeQ8(Float32Array.from([127, 0.5, -0.5, 1.5, -1.5, 2.5, 126.5]), 1, 7); // scale 1
    expect(Array.from(codes)).toEqual([127, 1, 0, 2, -1, 3, 127]);
  });

  it('int8 codes per output channel, [in, out], within half a step of each weight', () => {
    const out = 3;
    const inp = 4;
    const w = Float32Array.from([0.5, -1, 0.25, 0, 0, 0, 0, 0, 2, 1.99, -2, 0.001]);
    const { codes, scales } = quantizeQ8(w, out, inp);
    expect(Array.from(scales)).toEqual([Math.fround(1 / 127), 1, Math.fround(2 / 127)]);
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inp; i++) {
        const code = codes[i * out + o]!;
        expect(Math.abs(code)).toBeLessThanOrEqual(127);
        expect(Math.abs(code * scales[o]! - w[o * inp + i]!)).toBeLessThanOrEqual(scales[o]! / 2 + 1e-7);
      }
    }
    expect(codes[1 * out + 0]).toBe(-127); // the largest magnitude of a row maps to +-127
  });
});

describe.each(['sd2-tiny', 'sd1-tiny'])("dtype 'q8' on %s", (model) => {
  it('loads as q8 and stays close to fp32: per-token cosine and max error bounded', async () => {
    const dir = join(FIXTURES, model, 'text_model');
    const golden = await loadSafetensors(join(FIXTURES, model, 'outputs', 'pad77.safetensors'));
    const ids = golden.tensors.get('input_ids')!;
    const flat = toNumbers(ids.data);
    const inputIds = Array.from({ length: ids.shape[0]! }, (_, r) => flat.slice(r * ids.shape[1]!, (r + 1) * ids.shape[1]!));
    const fp32 = await OnnxCLIPTextModel.fromPretrained(dir);
    const q8 = await OnnxCLIPTextModel.fromPretrained(dir, { dtype: 'q8', cache: false });
    try {
      expect(q8.dtype).toBe('q8');
      expect(fp32.dtype).toBe('fp32');
      const [a, b] = [await fp32.encode({ inputIds }), await q8.encode({ inputIds })];
      const { minCos, maxAbs } = rowwiseDistance(a.lastHiddenState.data, b.lastHiddenState.data, fp32.config.hidden_size);
      // Measured: min cosine 0.9982 (sd2-tiny) / 0.9976 (sd1-tiny), max |diff| 0.19 (both); bounds at 3x the deficit.
      expect(maxAbs).toBeGreaterThan(0); // it is another model
      expect(minCos).toBeGreaterThan(0.993);
      expect(maxAbs).toBeLessThan(0.57);
    } finally {
      await fp32.dispose();
      await q8.dispose();
    }
  });
});

it('refuses an unknown dtype', async () => {
  await expect(OnnxCLIPTextModel.fromPretrained(join(FIXTURES, 'sd2-tiny', 'text_model'), { dtype: 'int4' as 'q8' })).rejects.toThrow(/dtype must be 'fp32' or 'q8', got "int4"/);
});
