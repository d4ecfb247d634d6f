import * as path from 'node:path';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { describe, expect, it } from 'vitest';
import { ENGINES, MODELS_DIR, loadEncoder } from './support/engines.js';
import { maxAbsDiff } from './support/compare.js';

// The engine adapter must give Hugging Face's outputs before the dialects are compared on it.
describe.each(ENGINES)('engineEncoder on %s equals Hugging Face CLIPTextModel', (engine) => {
  for (const model of ['sd1-tiny', 'sd2-tiny'] as const) {
    it(model, async () => {
      const clip = await loadEncoder(model, engine);
      const { tensors } = await loadSafetensors(path.join(MODELS_DIR, model, 'outputs', 'pad77.safetensors'));
      const get = (name: string) => toFloat32(tensors.get(name)!.dtype, tensors.get(name)!.data);
      const ids = tensors.get('input_ids')!;
      const [b, s] = ids.shape as [number, number];
      const out = await clip.encode(Int32Array.from(get('input_ids')), b, s);
      expect(maxAbsDiff(out.lastHiddenState.data, get('last_hidden_state'))).toBeLessThan(1e-4);
      expect(maxAbsDiff(out.pooled!.data, get('pooler_output'))).toBeLessThan(1e-4);
      const skip2 = await clip.encode(Int32Array.from(get('input_ids')), b, s, { clipSkip: 2 });
      expect(skip2.lastHiddenState.dims).toEqual([b, s, 32]);
      await expect(clip.encode(Int32Array.from(get('input_ids')), b, s, { clipSkip: 4 })).rejects.toThrow(/clipSkip must be an integer from 1 to 3/);
    });
  }
});
