import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@sdtext/core';
import { parseT5Config, t5EncoderWeightShapes } from '@sdtext/core/t5';
import { selectBackend } from '../../src/index.js';
import { T5EncoderModel } from '../../src/t5/index.js';
import { WeightScope } from '../../src/weight-scope.js';
import { T5_FIXTURES, loadT5Case } from './fixtures.js';

describe('T5EncoderModel: the module tree asks for the keys of the core plan', () => {
  for (const proj of ['gated-gelu', 'relu', 'gated-relu', 'gelu']) {
    it(proj, () => {
      const config = parseT5Config({ d_model: 8, d_kv: 3, d_ff: 12, num_heads: 2, num_layers: 3, vocab_size: 10, feed_forward_proj: proj });
      const { vs, expected } = WeightScope.meta();
      const model = new T5EncoderModel(vs, config);
      expect(expected).toEqual(t5EncoderWeightShapes(config));
      expect(model.numParameters()).toBe([...expected.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0));
    });
  }
});

describe('T5EncoderModel.encode: the T5EncoderEngine interface', () => {
  let encoder: T5EncoderModel;
  beforeAll(async () => {
    await selectBackend('cpu');
    encoder = await T5EncoderModel.fromPretrained(path.join(T5_FIXTURES, 't5-gated-a'));
  });
  afterAll(async () => {
    await encoder.dispose();
  });

  it('returns the forward pass as plain arrays, caches rows, hands out fresh copies', async () => {
    const c = await loadT5Case('t5-gated-a', 'masked');
    const out = await encoder.encode({ inputIds: c.inputIds, attentionMask: c.attentionMask, outputHiddenStates: true });
    const direct = encoder.forward({ inputIds: c.inputIds, attentionMask: c.attentionMask, outputHiddenStates: true });
    expect(out.lastHiddenState.dims).toEqual([3, 12, 64]);
    const directLast = direct.lastHiddenState.dataSync() as Float32Array;
    expect(out.lastHiddenState.data).toEqual(directLast);
    expect(out.hiddenStates!.length).toBe(3);
    expect(out.hiddenStates!.at(-1)!.data).toEqual(out.lastHiddenState.data); // HF: the last hidden state is after final_layer_norm
    tf.dispose([direct.lastHiddenState, ...direct.hiddenStates!]);

    expect(encoder.engine).toBe('tfjs');
    expect(encoder.backend).toBe('tfjs (cpu)');
    const misses = encoder.cache.misses;
    out.lastHiddenState.data.fill(0); // the caller owns it
    const again = await encoder.encode({ inputIds: [c.inputIds[2]!, c.inputIds[0]!], attentionMask: [c.attentionMask![2]!, c.attentionMask![0]!] });
    expect(encoder.cache.misses).toBe(misses); // both rows from the cache
    expect(again.hiddenStates).toBeUndefined();
    expect(again.lastHiddenState.data.subarray(0, 12 * 64)).toEqual(directLast.subarray(2 * 12 * 64));
  });

  it('checks inputs with core\'s messages', async () => {
    await expect(encoder.encode({ inputIds: [[1, 100]] })).rejects.toThrow(InputError);
    await expect(encoder.encode({ inputIds: [[1, 100]] })).rejects.toThrow(/inputIds\[0\]\[1\] = 100 is out of range: ids must be in \[0, 100\)/);
    await expect(encoder.encode({ inputIds: [[1, 2]], attentionMask: [[1, 2]] })).rejects.toThrow(/attentionMask\[0\]\[1\] = 2: must be 0 or 1/);
  });
});
