import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { EncoderCache } from '../src/index.js';
import { encodeCompel, type CompelSplitMode } from '../src/compel/index.js';
import { fromBase64F32, maxAbsDiff } from './support/compare.js';
import type { StoredTensor } from './support/conditioning-fixtures.js';
import { ENGINES, loadEncoder, type EngineBound } from './support/engines.js';

// About 3x the worst case per engine: z 4.2e-6 tfjs (long_phrases) / 3.9e-6 onnx (upweight), pooled 1.1e-6 / 7.2e-7.
const Z: EngineBound = { tfjs: 1.3e-5, onnx: 1.2e-5 };
const POOLED: EngineBound = { tfjs: 3.3e-6, onnx: 2.2e-6 };

interface CompelReference {
  name: string;
  model: 'sd1-tiny' | 'sd2-tiny';
  prompts: string[];
  padTokenId: number;
  truncate: boolean;
  split: string;
  clipSkip: number;
  z: StoredTensor;
  pooled?: StoredTensor;
}

/** Made by scripts/make_compel_references.py from compel's own Compel / EmbeddingsProvider. */
const FIXTURE = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./fixtures/compel.json', import.meta.url)), 'utf8')) as {
  conditioning: CompelReference[];
};

const tokenizer = CLIPTokenizer.fromPreset('sd1');
const report: Record<string, { z: number; pooled?: number }> = {};

function splitOptions(split: string): { splitLongTextMode: CompelSplitMode; clsTokens: 'none' | 'copyFirst' | 'merge' } {
  const [mode, cls] = split.split('|');
  return {
    splitLongTextMode: mode!.toLowerCase() as CompelSplitMode,
    clsTokens: cls === 'COPY_FIRST_CLS_TOKEN' ? 'copyFirst' : cls === 'MERGE_CLS_TOKENS' ? 'merge' : 'none',
  };
}

describe.each(ENGINES)("compel conditioning against compel's Compel (%s)", (engine) => {
  afterAll(() => console.log('compel parity (max abs err):', JSON.stringify(report)));
  for (const ref of FIXTURE.conditioning) {
    it(ref.name, async () => {
      const cache = new EncoderCache(await loadEncoder(ref.model, engine));
      const out = await encodeCompel(ref.prompts, tokenizer, cache, {
        truncateLongPrompts: ref.truncate,
        clipSkip: ref.clipSkip,
        padTokenId: ref.padTokenId,
        requiresPooled: ref.pooled !== undefined,
        ...splitOptions(ref.split),
      });
      expect(out.embeds.dims).toEqual(ref.z.dims);
      const z = maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64));
      report[`${ref.name} ${engine}`] = { z };
      expect(z).toBeLessThanOrEqual(Z[engine]);
      if (ref.pooled) {
        const pooled = maxAbsDiff(out.pooled!.data, fromBase64F32(ref.pooled.base64));
        report[`${ref.name} ${engine}`]!.pooled = pooled;
        expect(pooled).toBeLessThanOrEqual(POOLED[engine]);
      }
    });
  }
});

describe('compel down-weighting needs the mask', () => {
  it('an encoder that drops the attention mask misses compel on a down-weighted prompt', async () => {
    const ref = FIXTURE.conditioning.find((c) => c.name === 'downweight')!;
    const masking = await loadEncoder(ref.model, 'onnx');
    const unmasked = new EncoderCache({ encode: (ids, b, s, o = {}) => masking.encode(ids, b, s, { clipSkip: o.clipSkip ?? 1 }) });
    const out = await encodeCompel(ref.prompts, tokenizer, unmasked, { padTokenId: ref.padTokenId });
    expect(maxAbsDiff(out.embeds.data, fromBase64F32(ref.z.base64))).toBeGreaterThan(1e-3);
  });
});
