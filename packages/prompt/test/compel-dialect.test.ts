import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { EncoderCache, encodeCompel, encodePromptWithDialect, explainPrompt } from '../src/index.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';
import type { StoredTensor } from './support/conditioning-fixtures.js';
import { loadEncoder } from './support/engines.js';

const tokenizer = CLIPTokenizer.fromPreset('sd1');
const FIXTURE = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./fixtures/compel.json', import.meta.url)), 'utf8')) as {
  conditioning: { name: string; prompts: string[]; z: StoredTensor; pooled?: StoredTensor }[];
};

describe("the 'compel' dialect entry points", () => {
  it('explains a compel prompt: fragments with weights, 77-token chunks per part', () => {
    const e = explainPrompt('a cat+ (wearing a hat)0.8, (smiling)++', 'compel', tokenizer);
    expect(e.pieces).toEqual([
      { text: 'a', weight: 1 },
      { text: 'cat', weight: 1.1 },
      { text: 'wearing a hat', weight: 0.8 },
      { text: ',', weight: 1 },
      { text: 'smiling', weight: 1.2100000000000002 },
    ]);
    expect(e.chunks).toHaveLength(1);
    expect(e.chunks[0]!.tokens.slice(0, 3)).toEqual([49406, 320, 2368]);
    expect(e.chunks[0]!.weights.slice(0, 4)).toEqual([1, 1, 1.1, 0.8]);
    expect(explainPrompt('("a cat", "a dog").and()', 'compel', tokenizer).chunks).toHaveLength(2);
  });

  it("encodePromptWithDialect('compel') is compel's conditioning with requires_pooled (fixture 'pooled')", async () => {
    const ref = FIXTURE.conditioning.find((c) => c.name === 'pooled')!;
    const cache = new EncoderCache(await loadEncoder('sd1-tiny', 'onnx'));
    const out = await encodePromptWithDialect(ref.prompts[0]!, 'compel', tokenizer, cache);
    // About 3x what ONNX Runtime reached: 1.6e-6 (embeds), 7.2e-7 (pooled).
    expect(maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64))).toBeLessThanOrEqual(4.9e-6);
    expect(maxAbsDiff(out.pooled!.data, fromBase64F32(ref.pooled!.base64))).toBeLessThanOrEqual(2.2e-6);
  });

  it('an up-weight edit runs no encoder; a down-weighted fragment is one masked row, cached too', async () => {
    const cache = new EncoderCache(await loadEncoder('sd1-tiny', 'onnx'));
    await encodeCompel('a (red)1.3 cat, blurry-', tokenizer, cache);
    const calls = cache.encoderCalls;
    await encodeCompel('a (red)1.6 cat, blurry-', tokenizer, cache);
    await encodeCompel('a red+ cat, blurry--', tokenizer, cache);
    expect(cache.encoderCalls).toBe(calls);
    // the dialect entry point adds compel's pooled output, which encodes the raw text (syntax included)
    await encodePromptWithDialect('a (red)1.7 cat, blurry-', 'compel', tokenizer, cache);
    expect(cache.encoderCalls).toBe(calls + 1);
  });
});
