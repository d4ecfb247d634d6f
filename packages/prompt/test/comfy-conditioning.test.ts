import { afterAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { EncoderCache, encodeComfy, tokenizeWithWeights } from '../src/index.js';
import { CONDITIONING } from './support/conditioning-fixtures.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';
import { ENGINES, loadEncoder, type EngineBound } from './support/engines.js';

// About 3x the worst case per engine: z 2.6e-6 tfjs (long_words) / 3.1e-6 onnx (long_plain), pooled 1.1e-6 / 1.6e-6.
const Z: EngineBound = { tfjs: 7.9e-6, onnx: 9.3e-6 };
const POOLED: EngineBound = { tfjs: 3.3e-6, onnx: 4.9e-6 };

const tokenizer = CLIPTokenizer.fromPreset('sd1');
const report: Record<string, { z: number; pooled: number }> = {};
const encoder = (model: 'sd1-tiny' | 'sd2-tiny', engine: (typeof ENGINES)[number]) => loadEncoder(model, engine);

describe.each(ENGINES)('ComfyUI conditioning against comfy/sd1_clip.py (%s)', (engine) => {
  afterAll(() => console.log('ComfyUI parity (max abs err):', JSON.stringify(report)));
  for (const ref of CONDITIONING.comfy) {
    it(ref.name, async () => {
      const chunks = tokenizeWithWeights(ref.text, tokenizer, { padWithEnd: ref.padWithEnd });
      expect(chunks).toEqual(ref.tokenWeights);
      const cache = new EncoderCache(await encoder(ref.model, engine));
      const out = await encodeComfy(chunks, cache, {
        clipSkip: ref.layerIdx === null ? 1 : -ref.layerIdx,
        padTokenId: ref.padWithEnd ? tokenizer.eosTokenId : 0,
        bosTokenId: tokenizer.bosTokenId,
        eosTokenId: tokenizer.eosTokenId,
      });
      expect(out.embeds.dims).toEqual(ref.z.dims);
      const z = maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64));
      const pooled = maxAbsDiff(out.pooled!.data, fromBase64F32(ref.pooled.base64));
      report[`${ref.name} ${engine}`] = { z, pooled };
      expect(z).toBeLessThanOrEqual(Z[engine]);
      expect(pooled).toBeLessThanOrEqual(POOLED[engine]);
    });
  }
});
