import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTinyClip, MODELS_DIR } from './support/tiny-clip.js';
import { readSafetensors } from './support/safetensors.js';
import { maxAbsDiff } from './support/compare.js';

// The test encoder must equal Hugging Face before it can stand in for the originals' encoder.
describe('the test CLIP encoder equals Hugging Face CLIPTextModel', () => {
  for (const model of ['sd1-tiny', 'sd2-tiny'] as const) {
    it(model, async () => {
      const clip = loadTinyClip(model);
      const g = readSafetensors(path.join(MODELS_DIR, model, 'outputs', 'pad77.safetensors'));
      const ids = g.get('input_ids')!;
      const [b, s] = ids.dims as [number, number];
      const out = await clip.encode(Int32Array.from(ids.data), b, s);
      expect(maxAbsDiff(out.lastHiddenState.data, g.get('last_hidden_state')!.data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(out.pooled!.data, g.get('pooler_output')!.data)).toBeLessThan(1e-5);
      const skip2 = await clip.encode(Int32Array.from(ids.data), b, s, { clipSkip: 2 });
      expect(skip2.lastHiddenState.dims).toEqual([b, s, 32]);
    });
  }
});
