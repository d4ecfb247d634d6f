import * as path from 'node:path';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { describe, expect, it } from 'vitest';
import { ENGINES, MODELS_DIR, loadEncoder, type EngineBound } from './support/engines.js';
import { maxAbsDiff } from './support/compare.js';

// The engine adapter must give Hugging Face's outputs before the dialects are compared on it.
// Bounds: about 3x the worst of both models (last_hidden_state 3.0e-6 tfjs, 4.2e-6 onnx; pooled 1.6e-6, 1.7e-6).
const HIDDEN: EngineBound = { tfjs: 9e-6, onnx: 1.3e-5 };
const POOLED: EngineBound = { tfjs: 4.7e-6, onnx: 5.1e-6 };
describe.each(ENGINES)('engineEncoder on %s equals Hugging Face CLIPTextModel', (engine) => {
  for (const model of ['sd1-tiny', 'sd2-tiny'] as const) {
    it(model, async () => {
      const clip = await loadEncoder(model, engine);
      const { tensors } = await loadSafetensors(path.join(MODELS_DIR, model, 'outputs', 'pad77.safetensors'));
      const get = (name: string) => toFloat32(tensors.get(name)!.dtype, tensors.get(name)!.data);
      const ids = tensors.get('input_ids')!;
      const [b, s] = ids.shape as [number, number];
      const out = await clip.encode(Int32Array.from(get('input_ids')), b, s);
      expect(maxAbsDiff(out.lastHiddenState.data, get('last_hidden_state'))).toBeLessThan(HIDDEN[engine]);
      expect(maxAbsDiff(out.pooled!.data, get('pooler_output'))).toBeLessThan(POOLED[engine]);
      const skip2 = await clip.encode(Int32Array.from(get('input_ids')), b, s, { clipSkip: 2 });
      expect(skip2.lastHiddenState.dims).toEqual([b, s, 32]);
      await expect(clip.encode(Int32Array.from(get('input_ids')), b, s, { clipSkip: 4 })).rejects.toThrow(/clipSkip must be an integer from 1 to 3/);
    });
  }
});
