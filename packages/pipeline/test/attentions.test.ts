import * as path from 'node:path';
import { loadSafetensors, toFloat32, toNumbers } from '@sdtext/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTextEncoder, type LoadedTextEncoder } from '../src/index.js';
import { FIXTURES, maxAbsDiff } from '../../onnx/test/helpers.js';

// HF's output_attentions on both engines, against transformers 4.36's attention math in torch
// (scripts/make-attention-references.py, its hidden states checked against HF's to 4.3e-6): two
// rows of pad77_masked, so the causal triangle and the padding mask both show.
const engines: LoadedTextEncoder[] = [];
/** About 3x the worst of both models and every layer: 1.6e-6 (tfjs), 2.4e-6 (onnx). */
const BOUND = { tfjs: 4.9e-6, onnx: 7.3e-6 };
afterAll(async () => {
  for (const e of engines) await e.dispose();
});

describe.each(['tfjs', 'onnx'] as const)('outputAttentions on %s', (engine) => {
  for (const model of ['sd2-tiny', 'sd1-tiny'] as const) {
    it(`${model}: each layer's attention probabilities equal HF's`, async () => {
      const { tensors } = await loadSafetensors(path.join(FIXTURES, model, 'outputs', 'attentions.safetensors'));
      const rows = (name: string): number[][] => {
        const t = tensors.get(name)!;
        const flat = toNumbers(t.data);
        return [flat.slice(0, 77), flat.slice(77, 154)];
      };
      const reference = tensors.get('attentions')!;
      const [layers, batch, heads, S] = reference.shape as [number, number, number, number];
      const expected = toFloat32(reference.dtype, reference.data);
      const encoder = await loadTextEncoder(path.join(FIXTURES, model, 'text_model'), { engine, backend: 'cpu' });
      engines.push(encoder);
      const out = await encoder.encode({ inputIds: rows('input_ids'), attentionMask: rows('attention_mask'), outputAttentions: true });
      expect(out.attentions).toHaveLength(layers);
      const size = batch * heads * S * S;
      out.attentions!.forEach((a, l) => {
        expect(a.dims).toEqual([batch, heads, S, S]);
        expect(maxAbsDiff(a.data, expected.subarray(l * size, (l + 1) * size))).toBeLessThan(BOUND[engine]);
      });
      // The causal triangle: nothing above the diagonal; every row sums to 1.
      const first = out.attentions![0]!.data;
      expect(first[1]).toBe(0); // query 0 never sees key 1
      let sum = 0;
      for (let j = 0; j < S; j++) sum += first[5 * S + j]!;
      expect(sum).toBeCloseTo(1, 5);
      // A cached row without attentions is computed again when they are asked for.
      const again = await encoder.encode({ inputIds: rows('input_ids'), attentionMask: rows('attention_mask') });
      expect(again.attentions).toBeUndefined();
    });
  }
});
