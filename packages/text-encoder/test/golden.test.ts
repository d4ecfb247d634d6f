import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32, toNumbers, type RawTensor, type SafetensorsFile } from '@sdtext/core';
import { CLIPTextModel, CLIPTextModelWithProjection } from '../src/index.js';
import { CASES, FIXTURES, MODELS, describeEachBackend, folderSource, maxAbsDiff, tensorData } from './helpers.js';

/** Max abs error per model/case/output/backend, printed at the end (the parity report). */
const report: Record<string, number> = {};

function golden(file: SafetensorsFile, name: string): RawTensor {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`golden tensor ${name} missing`);
  return t;
}

function rows(t: RawTensor): number[][] {
  const flat = toNumbers(t.data);
  const [b, s] = t.shape as [number, number];
  return Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s));
}

describeEachBackend(
  'golden parity',
  ({ name: backend, tolerance }) => {
    for (const model of MODELS) {
      describe(model, () => {
        let plain: CLIPTextModel;
        let projection: CLIPTextModelWithProjection;
        let firstEos: CLIPTextModel;

        beforeAll(async () => {
          const dir = path.join(FIXTURES, model);
          plain = await CLIPTextModel.fromPretrained(dir, { subfolder: 'text_model' });
          projection = await CLIPTextModelWithProjection.fromPretrained(path.join(dir, 'text_model_with_projection'));
          // Same weights, eos_token_id set to CLIP's real EOS: pools at its first occurrence.
          firstEos = await CLIPTextModel.fromPretrained(folderSource(dir, { eos_token_id: 49407 }), { subfolder: 'text_model' });
        });
        afterAll(() => {
          plain.dispose();
          projection.dispose();
          firstEos.dispose();
        });

        for (const caseName of CASES) {
          it(caseName, async () => {
            const g = await loadSafetensors(path.join(FIXTURES, model, 'outputs', `${caseName}.safetensors`));
            const inputIds = rows(golden(g, 'input_ids'));
            const attentionMask = g.tensors.has('attention_mask') ? rows(golden(g, 'attention_mask')) : undefined;
            const check = (label: string, actual: tf.Tensor, expected: RawTensor): void => {
              expect(actual.shape, label).toEqual(expected.shape);
              const err = maxAbsDiff(tensorData(actual), toFloat32(expected.dtype, expected.data));
              report[`${model} ${caseName} ${label} ${backend}`] = err;
              expect(err, label).toBeLessThanOrEqual(tolerance);
            };

            const before = tf.memory().numTensors;
            const out = plain.forward({ inputIds, attentionMask, outputHiddenStates: true });
            check('last_hidden_state', out.lastHiddenState, golden(g, 'last_hidden_state'));
            check('pooler_output', out.poolerOutput, golden(g, 'pooler_output'));
            check('pooler_output_legacy_argmax', out.poolerOutput, golden(g, 'pooler_output_legacy_argmax'));
            const hs = out.hiddenStates!;
            const stacked = tf.stack(hs);
            check('hidden_states', stacked, golden(g, 'hidden_states'));
            stacked.dispose();

            const proj = projection.forward({ inputIds, attentionMask });
            check('text_embeds', proj.textEmbeds, golden(g, 'text_embeds'));
            check('projection last_hidden_state', proj.lastHiddenState, golden(g, 'last_hidden_state'));

            const eos = firstEos.forward({ inputIds, attentionMask });
            check('pooler_output_first_eos', eos.poolerOutput, golden(g, 'pooler_output_first_eos'));

            expect(tf.memory().numTensors).toBe(before + 2 + hs.length + 3 + 2); // only the outputs remain
            tf.dispose([...Object.values(out).flat(), ...Object.values(proj), ...Object.values(eos)]);
            expect(tf.memory().numTensors).toBe(before);
          });
        }
      });
    }
  },
  describe,
  beforeAll,
);

afterAll(() => {
  const lines = Object.entries(report).map(([k, v]) => `${k.padEnd(70)} ${v.toExponential(2)}`);
  console.log(`max abs error vs Hugging Face (transformers 4.36, float32):\n${lines.join('\n')}`);
});
