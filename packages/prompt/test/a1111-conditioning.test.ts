import { afterAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { EncoderCache, encodeA1111, encodeA1111Multicond } from '../src/index.js';
import { CONDITIONING } from './support/conditioning-fixtures.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';
import { ENGINES, loadEncoder, type EngineBound } from './support/engines.js';

// About 3x the worst case per engine: z 1.14e-5 tfjs / 9.3e-6 onnx (long_emphasis), pooled 1.6e-6
// (long_commas / batch_fillers); the AND + schedules prompt 4.05e-6 on both.
const Z: EngineBound = { tfjs: 3.5e-5, onnx: 2.8e-5 };
const POOLED: EngineBound = { tfjs: 4.9e-6, onnx: 4.7e-6 };
const MULTICOND: EngineBound = { tfjs: 1.3e-5, onnx: 1.3e-5 };

const tokenizer = CLIPTokenizer.fromPreset('sd1');
const report: Record<string, { z: number; pooled: number }> = {};
const encoder = (model: 'sd1-tiny' | 'sd2-tiny', engine: (typeof ENGINES)[number]) => loadEncoder(model, engine);
afterAll(() => console.log('A1111 parity (max abs err):', JSON.stringify(report)));

describe.each(ENGINES)('A1111 conditioning against webui sd_hijack_clip + sd_emphasis "Original" (%s)', (engine) => {
  for (const ref of CONDITIONING.a1111) {
    it(ref.name, async () => {
      const cache = new EncoderCache(await encoder(ref.model, engine));
      const out = await encodeA1111(ref.texts, tokenizer, cache, { clipSkip: ref.clipSkip, padTokenId: ref.padTokenId ?? tokenizer.eosTokenId });
      expect(out.chunks.map((row) => row.map((c) => c.tokens))).toEqual(ref.chunkTokens);
      expect(out.chunks.map((row) => row.map((c) => c.multipliers))).toEqual(ref.chunkMultipliers);
      expect(out.embeds.dims).toEqual(ref.z.dims);
      const z = maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64));
      const pooled = maxAbsDiff(out.pooled!.data, fromBase64F32(ref.pooled.base64));
      report[`${ref.name} ${engine}`] = { z, pooled };
      expect(z).toBeLessThanOrEqual(Z[engine]);
      expect(pooled).toBeLessThanOrEqual(POOLED[engine]);
    });
  }
});

describe.each(ENGINES)('A1111 schedules and AND against webui get_multicond_learned_conditioning (%s)', (engine) => {
  for (const ref of CONDITIONING.a1111Multicond) {
    it(ref.name, async () => {
      const parts = await encodeA1111Multicond(ref.prompt, ref.steps, tokenizer, new EncoderCache(await encoder(ref.model, engine)));
      expect(parts.map((p) => [p.weight, p.schedule.map((s) => s.endAtStep)])).toEqual(ref.parts.map((p) => [p.weight, p.schedule.map((s) => s.endAtStep)]));
      let err = 0;
      parts.forEach((p, i) =>
        p.schedule.forEach((s, j) => {
          const expected = ref.parts[i]!.schedule[j]!.cond;
          expect(s.cond.dims).toEqual(expected.dims);
          err = Math.max(err, maxAbsDiff(s.cond.data, fromBase64F32(expected.base64)));
        }),
      );
      report[`${ref.name} ${engine}`] = { z: err, pooled: 0 };
      expect(err).toBeLessThanOrEqual(MULTICOND[engine]);
    });
  }
});

describe.each(ENGINES)('a weight-only edit reuses the encoder outputs (%s)', (engine) => {
  it('re-encoding "(red:1.3)" as "(red:0.7)" runs the encoder zero times', async () => {
    const cache = new EncoderCache(await encoder('sd1-tiny', engine));
    const long = 'a (red:1.3) cat, [blurry] BREAK masterpiece, ' + 'detailed '.repeat(80);
    await encodeA1111([long], tokenizer, cache);
    const calls = cache.encoderCalls;
    const rows = cache.rowsEncoded;
    expect(calls).toBe(3);
    const t0 = performance.now();
    const edited = await encodeA1111([long.replace('1.3', '0.7')], tokenizer, cache);
    const ms = performance.now() - t0;
    expect(cache.encoderCalls).toBe(calls);
    expect(cache.rowsEncoded).toBe(rows);
    expect(edited.embeds.dims).toEqual([1, 231, 32]);
    console.log(`weight-only re-encode: 0 encoder calls, ${ms.toFixed(1)} ms (first encode: ${calls} calls, ${rows} rows)`);
  });
});
