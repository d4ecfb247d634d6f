import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@sdtext/core';
import { CLIPTextModel, CLIPTextModelWithProjection, describeCLIPTextTransformer } from '../src/index.js';
import { FIXTURES, describeEachBackend } from './helpers.js';

const SD2 = path.join(FIXTURES, 'sd2-tiny', 'text_model');
const ids = [
  [49406, 320, 1125, 49407, 0, 0],
  [49406, 1929, 49407, 0, 0, 0],
];

describeEachBackend(
  'forward',
  () => {
    let model: CLIPTextModel;
    beforeAll(async () => {
      model = await CLIPTextModel.fromPretrained(SD2);
    });
    afterAll(() => model.dispose());

    it('rejects bad inputs with a clear error, leaking nothing', () => {
      const before = tf.memory().numTensors;
      const bad: [Parameters<CLIPTextModel['forward']>[0], string | RegExp][] = [
        [{ inputIds: [[49406, 49408]] }, 'inputIds[0][1] = 49408 is out of range: ids must be in [0, 49408) (vocab_size)'],
        [{ inputIds: [[49406, -1]] }, 'inputIds[0][1] = -1 is out of range'],
        [{ inputIds: [[1.5]] }, 'inputIds[0][0] = 1.5 is not an integer id'],
        [{ inputIds: [Array.from({ length: 78 }, () => 0)] }, 'sequence length 78 exceeds max_position_embeddings (77)'],
        [{ inputIds: [[1, 2], [3]] }, 'inputIds rows differ in length: row 1 has 1, row 0 has 2'],
        [{ inputIds: [] }, 'inputIds must not be empty, got shape [0, 0]'],
        [{ inputIds: ids, attentionMask: [[1, 1, 1]] }, 'attentionMask has shape [1, 3], but inputIds has [2, 6]'],
        [{ inputIds: [[1, 2]], attentionMask: [[1, 2]] }, 'attentionMask[0][1] = 2: must be 0 or 1'],
      ];
      for (const [inputs, message] of bad) {
        expect(() => model.forward(inputs)).toThrow(message);
        expect(() => model.forward(inputs)).toThrow(InputError);
      }
      const floatIds = tf.tensor2d([[1, 2]], [1, 2], 'float32');
      expect(() => model.forward({ inputIds: floatIds })).toThrow('inputIds must have dtype int32, got float32');
      const rank3 = tf.zeros([1, 1, 2], 'int32');
      expect(() => model.forward({ inputIds: rank3 })).toThrow('inputIds must have shape [B, S], got [1, 1, 2]');
      const big = tf.tensor2d([[5, 49408]], [1, 2], 'int32');
      expect(() => model.forward({ inputIds: big })).toThrow('inputIds[0][1] = 49408 is out of range');
      tf.dispose([floatIds, rank3, big]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('accepts int32 tensors, rows and a single row alike', () => {
      const a = model.forward({ inputIds: ids });
      const t = tf.tensor2d(ids, [2, 6], 'int32');
      const b = model.forward({ inputIds: t, attentionMask: tf.ones([2, 6], 'int32') as tf.Tensor2D });
      const c = model.forward({ inputIds: ids[0]! });
      expect(a.lastHiddenState.shape).toEqual([2, 6, 32]);
      expect(a.poolerOutput.shape).toEqual([2, 32]);
      expect(c.lastHiddenState.shape).toEqual([1, 6, 32]);
      expect(Array.from(b.lastHiddenState.dataSync())).toEqual(Array.from(a.lastHiddenState.dataSync()));
      const row0 = Array.from(a.lastHiddenState.dataSync().slice(0, 6 * 32));
      expect(Array.from(c.lastHiddenState.dataSync())).toEqual(row0.map((v) => expect.closeTo(v, 6)));
      t.dispose();
      tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(c)]);
    });

    it('leaves only its outputs behind; hiddenStates has layers + 1 entries', () => {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const out = model.forward({ inputIds: ids, attentionMask: [[1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0]], outputHiddenStates: true });
        expect(out.hiddenStates).toHaveLength(3);
        expect(tf.memory().numTensors).toBe(before + 2 + 3);
        tf.dispose([out.lastHiddenState, out.poolerOutput, ...out.hiddenStates!]);
        expect(tf.memory().numTensors).toBe(before);
      }
    });
  },
  describe,
  beforeAll,
);

describe('dispose', () => {
  it('frees every weight (and a projection model too)', async () => {
    const before = tf.memory().numTensors;
    const plain = await CLIPTextModel.fromPretrained(SD2);
    expect(tf.memory().numTensors - before).toBe(2 + 2 * 16 + 2); // embeddings, 16 per layer, final LN
    expect(plain.numParameters()).toBe(49408 * 32 + 77 * 32 + 2 * (4 * (32 * 32 + 32) + 2 * 2 * 32 + 32 * 128 + 128 + 128 * 32 + 32) + 2 * 32);
    plain.dispose();
    const proj = await CLIPTextModelWithProjection.fromPretrained(path.join(FIXTURES, 'sd2-tiny', 'text_model_with_projection'));
    const out = proj.forward({ inputIds: ids });
    expect(out.textEmbeds.shape).toEqual([2, 16]);
    tf.dispose([...Object.values(out)]);
    proj.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('String(model.textModel) is the module tree, equal to describeCLIPTextTransformer(config)', async () => {
    const m = await CLIPTextModel.fromPretrained(SD2);
    expect(String(m.textModel)).toBe(describeCLIPTextTransformer(m.config));
    expect(String(m).split('\n')[0]).toBe('CLIPTextModel(');
    expect(String(m).split('\n')[1]).toBe('  (text_model): CLIPTextTransformer(');
    m.dispose();
  });
});
