import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T5EncoderModel } from '../../src/t5/index.js';
import { describeEachBackend } from '../helpers.js';
import { T5_CASES, T5_FIXTURES, T5_WEIGHT_FILES, loadT5Case, relativeError } from './fixtures.js';

/**
 * Parity with transformers' T5EncoderModel (float32, the fixtures' torch references) on every
 * Node backend: each model, each weight file (fp32, fp16, bf16, F8, ComfyUI scaled fp8), each
 * case (padded rows, no mask, past max_distance), last_hidden_state and every hidden state.
 * The bound per backend: max abs error <= BOUND x the output's largest magnitude, about 3x the
 * worst reached there (5.6e-7 on cpu, 7.5e-7 on wasm; the bar is 1e-4).
 */
const BOUND: Record<string, number> = { cpu: 1.7e-6, wasm: 2.25e-6 };
const report: Record<string, number> = {};

describeEachBackend(
  'T5EncoderModel golden parity',
  ({ name: backend }) => {
    for (const [model, files] of Object.entries(T5_WEIGHT_FILES)) {
      for (const weights of files) {
        describe(`${model} ${weights.label}`, () => {
          let encoder: T5EncoderModel;
          beforeAll(async () => {
            encoder = await T5EncoderModel.fromPretrained(path.join(T5_FIXTURES, model), { variant: weights.variant, file: weights.file });
          });
          afterAll(async () => {
            await encoder.dispose();
          });

          for (const caseName of T5_CASES) {
            it(caseName, async () => {
              const c = await loadT5Case(model, caseName);
              const want = c.expected(weights.label);
              const before = tf.memory().numTensors;
              const out = encoder.forward({ inputIds: c.inputIds, attentionMask: c.attentionMask, outputHiddenStates: true });
              const check = (label: string, actual: tf.Tensor, expected: typeof want.lastHiddenState): void => {
                expect(actual.shape, label).toEqual(expected.shape);
                const err = relativeError(actual.dataSync() as Float32Array, expected);
                report[`${model} ${weights.label} ${caseName} ${label} [${backend}]`] = err;
                expect(err, label).toBeLessThanOrEqual(BOUND[backend]!);
              };
              check('last_hidden_state', out.lastHiddenState, want.lastHiddenState);
              if (want.hiddenStates) {
                const stacked = tf.stack(out.hiddenStates!);
                check('hidden_states', stacked, want.hiddenStates);
                stacked.dispose();
              }
              tf.dispose([out.lastHiddenState, ...(out.hiddenStates ?? [])]);
              expect(tf.memory().numTensors).toBe(before); // nothing leaks
            });
          }
        });
      }
    }
  },
  describe,
  beforeAll,
);

afterAll(() => {
  const worst: Record<string, number> = {};
  for (const [key, err] of Object.entries(report)) {
    const backend = key.slice(key.lastIndexOf('['));
    worst[backend] = Math.max(worst[backend] ?? 0, err);
  }
  console.log(`T5 tfjs parity, worst max|err| / max|ref| per backend: ${JSON.stringify(worst)}`);
});
