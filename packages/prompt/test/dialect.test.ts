import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { EncoderCache, encodePromptWithDialect, explainPrompt } from '../src/index.js';
import { loadEncoder } from './support/engines.js';

const tokenizer = CLIPTokenizer.fromPreset('sd1');

describe('dialect entry points', () => {
  it('explains the issue prompt in both dialects', () => {
    const a = explainPrompt('a (red:1.3) cat, [blurry] BREAK masterpiece', 'a1111', tokenizer);
    expect(a.chunks).toHaveLength(2);
    expect(a.pieces.find((p) => p.text === 'red')?.weight).toBe(1.3);
    const c = explainPrompt('a (red:1.3) cat, (big (blurry:0.5))', 'comfy', tokenizer);
    expect(c.pieces.map((p) => p.weight)).toEqual([1, 1.3, 1, 1.1, 0.5]);
    expect(c.chunks).toHaveLength(1);
  });

  it('re-encoding after a weight-only edit runs no encoder, in both dialects', async () => {
    const encoder = await loadEncoder('sd1-tiny', 'onnx');
    for (const dialect of ['a1111', 'comfy'] as const) {
      const cache = new EncoderCache(encoder);
      const first = await encodePromptWithDialect('a (red:1.3) cat, (blurry:0.8)', dialect, tokenizer, cache);
      const calls = cache.encoderCalls;
      const second = await encodePromptWithDialect('a (red:0.6) cat, (blurry:1.4)', dialect, tokenizer, cache);
      expect(cache.encoderCalls).toBe(calls);
      expect(second.embeds.dims).toEqual(first.embeds.dims);
      expect(second.embeds.data).not.toEqual(first.embeds.data);
    }
  });
});
