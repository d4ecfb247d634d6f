import { afterAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { EncoderCache, encodeA1111, encodeComfy, tokenizeWithWeights } from '../src/index.js';
import { BOUNDARIES as FIXTURE } from './support/boundary-fixtures.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';
import { ENGINES, loadEncoder, type EngineBound } from './support/engines.js';

// boundaries.test.ts's edge cases through the encoder: webui's forward and ComfyUI's encode_token_weights on sd1-tiny.
const tokenizer = CLIPTokenizer.fromPreset('sd1');
const report: Record<string, number> = {};
afterAll(() => console.log('boundary conditioning (max abs err):', JSON.stringify(report)));

// About 3x the worst case per engine: webui 3.1e-6 (tfjs) / 3.3e-6 (onnx), ComfyUI 3.0e-6 / 2.3e-6, pooled 1.6e-6 / 1.4e-6.
const A1111_Z: EngineBound = { tfjs: 9.3e-6, onnx: 1e-5 };
const COMFY_Z: EngineBound = { tfjs: 9.2e-6, onnx: 6.8e-6 };
const COMFY_POOLED: EngineBound = { tfjs: 4.9e-6, onnx: 4.3e-6 };

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
