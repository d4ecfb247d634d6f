import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FloatTensor } from '@sdtext/core';
import { exportStandardOnnx, OnnxCLIPTextModel, type RuntimeName } from '../src/index.js';
import { CASES, FIXTURES, MODELS, loadCase, maxAbsDiff, type ModelName } from './helpers.js';

/** Max abs error per model/case/output/variant, printed at the end (the parity report). */
const report: Record<string, number> = {};
/**
 * Float32 on both runtimes; about 3x the worst error each reached over every variant, model, case
 * and output (node 4.9e-6, web 6.7e-6: sd1-tiny pad77/longest hidden_states), as printed below.
 */
const TOLERANCE: Record<RuntimeName, number> = { node: 1.5e-5, web: 2.1e-5 };
/** first-EOS pooling compares pooler_output only: worst 1.7e-6 (node). */
const FIRST_EOS_TOLERANCE = 5e-6;

const stack = (ts: readonly FloatTensor[]): Float32Array => {
  const out = new Float32Array(ts.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of ts) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
};

interface Variant {
  label: string;
  runtime: RuntimeName;
  /** Loads the plain model and the projection model. */
  load(model: ModelName, runtime: RuntimeName): Promise<{ plain: OnnxCLIPTextModel; projection?: OnnxCLIPTextModel }>;
  hiddenStates: boolean;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const fromSafetensors: Variant['load'] = async (model, runtime) => {
  const plain = await OnnxCLIPTextModel.fromPretrained(path.join(FIXTURES, model), { subfolder: 'text_model', runtime, cache: false });
  // The default: weights prepacked in Node, not in browsers (a page wants the load; see prepackWeights).
  expect(plain.backend).not.toContain(runtime === 'node' ? 'not prepacked' : 'weights prepacked');
  return { plain, projection: await OnnxCLIPTextModel.fromPretrained(path.join(FIXTURES, model, 'text_model_with_projection'), { runtime, cache: false }) };
};

/**
 * The same with ORT's weight prepacking set against the runtime's default (`prepackWeights`: on in
 * Node, off in browsers): another GEMM path, held to the same bounds.
 */
const fromSafetensorsRepacked = (prepackWeights: boolean): Variant['load'] =>
  async (model, runtime) => {
    const options = { runtime, cache: false, prepackWeights } as const;
    const plain = await OnnxCLIPTextModel.fromPretrained(path.join(FIXTURES, model), { subfolder: 'text_model', ...options });
    expect(plain.backend).toContain(prepackWeights ? 'weights prepacked' : 'weights not prepacked');
    return { plain, projection: await OnnxCLIPTextModel.fromPretrained(path.join(FIXTURES, model, 'text_model_with_projection'), options) };
  };

/** The fixtures' torch.onnx exports (inputs input_ids, attention_mask; no projection). */
const fromGoldenOnnx: Variant['load'] = async (model, runtime) => ({
  plain: await OnnxCLIPTextModel.fromOnnx(path.join(FIXTURES, model, 'onnx'), {
    runtime,
    cache: false,
    config: JSON.parse(fs.readFileSync(path.join(FIXTURES, model, 'text_model', 'config.json'), 'utf8')),
  }),
});

/** exportStandardOnnx's file (standard ops only), written and loaded back. */
const fromStandardExport: Variant['load'] = async (model, runtime) => {
  const load = async (sub: string): Promise<OnnxCLIPTextModel> => {
    const dir = path.join(tmp, model, sub);
    if (!fs.existsSync(path.join(dir, 'model.onnx'))) {
      await exportStandardOnnx(path.join(FIXTURES, model, sub), path.join(dir, 'model.onnx'));
      fs.copyFileSync(path.join(FIXTURES, model, sub, 'config.json'), path.join(dir, 'config.json'));
    }
    return OnnxCLIPTextModel.fromOnnx(dir, { runtime, cache: false });
  };
  return { plain: await load('text_model'), projection: await load('text_model_with_projection') };
};

const VARIANTS: Variant[] = [];
for (const runtime of ['node', 'web'] as const) {
  VARIANTS.push(
    { label: `safetensors fused [${runtime}]`, runtime, load: fromSafetensors, hiddenStates: true },
    { label: `golden model.onnx [${runtime}]`, runtime, load: fromGoldenOnnx, hiddenStates: false },
    { label: `standard export [${runtime}]`, runtime, load: fromStandardExport, hiddenStates: false },
  );
}
VARIANTS.push(
  { label: 'safetensors fused, weights not prepacked [node]', runtime: 'node', load: fromSafetensorsRepacked(false), hiddenStates: true },
  { label: 'safetensors fused, weights prepacked [web]', runtime: 'web', load: fromSafetensorsRepacked(true), hiddenStates: true },
);

for (const variant of VARIANTS) {
  describe(variant.label, () => {
    for (const model of MODELS) {
      describe(model, () => {
        let plain: OnnxCLIPTextModel;
        let projection: OnnxCLIPTextModel | undefined;
        beforeAll(async () => {
          ({ plain, projection } = await variant.load(model, variant.runtime));
        });
        afterAll(async () => {
          await plain.dispose();
          await projection?.dispose();
        });

        for (const caseName of CASES) {
          it(caseName, async () => {
            const g = await loadCase(model, caseName);
            const check = (label: string, actual: FloatTensor | Float32Array, expectedName: string): void => {
              const expected = g.tensor(expectedName);
              if (!(actual instanceof Float32Array)) expect(actual.dims, label).toEqual(expected.dims);
              const err = maxAbsDiff(actual instanceof Float32Array ? actual : actual.data, expected.data);
              report[`${variant.label} ${model} ${caseName} ${label}`] = err;
              expect(err, label).toBeLessThanOrEqual(TOLERANCE[variant.runtime]);
            };
            const inputs = { inputIds: g.inputIds, attentionMask: g.attentionMask };
            const out = await plain.encode({ ...inputs, outputHiddenStates: variant.hiddenStates });
            check('last_hidden_state', out.lastHiddenState, 'last_hidden_state');
            check('pooler_output', out.poolerOutput, 'pooler_output');
            check('pooler_output_legacy_argmax', out.poolerOutput, 'pooler_output_legacy_argmax');
            if (variant.hiddenStates) {
              expect(out.hiddenStates).toHaveLength(plain.config.num_hidden_layers + 1);
              check('hidden_states', stack(out.hiddenStates!), 'hidden_states');
            }
            if (projection) {
              const proj = await projection.encode(inputs);
              check('text_embeds', proj.textEmbeds!, 'text_embeds');
              check('projection last_hidden_state', proj.lastHiddenState, 'last_hidden_state');
            }
          });
        }
      });
    }
  });
}

// Same weights, eos_token_id set to CLIP's real EOS: pools at its first occurrence (an in-graph rule).
describe('first-EOS pooling (eos_token_id 49407)', () => {
  for (const model of MODELS) {
    it(model, async () => {
      const dir = path.join(tmp, 'first-eos', model);
      fs.mkdirSync(dir, { recursive: true });
      const src = path.join(FIXTURES, model, 'text_model');
      const config = { ...JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8')), eos_token_id: 49407 };
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
      fs.symlinkSync(path.join(src, 'model.safetensors'), path.join(dir, 'model.safetensors'));
      const m = await OnnxCLIPTextModel.fromPretrained(dir, { cache: false });
      try {
        for (const caseName of CASES) {
          const g = await loadCase(model, caseName);
          const out = await m.encode({ inputIds: g.inputIds, attentionMask: g.attentionMask });
          const err = maxAbsDiff(out.poolerOutput.data, g.tensor('pooler_output_first_eos').data);
          report[`first-eos ${model} ${caseName}`] = err;
          expect(err, caseName).toBeLessThanOrEqual(FIRST_EOS_TOLERANCE);
        }
      } finally {
        await m.dispose();
      }
    });
  }
});

afterAll(() => {
  const worst = Object.entries(report).sort((a, b) => b[1] - a[1]);
  console.log(`parity: ${worst.length} checks, worst ${worst[0]?.[0]} = ${worst[0]?.[1].toExponential(2)}`);
  const byVariant = new Map<string, number>();
  for (const [k, v] of worst) {
    const variant = k.split(' sd')[0]!;
    byVariant.set(variant, Math.max(byVariant.get(variant) ?? 0, v));
  }
  for (const [k, v] of byVariant) console.log(`  ${k}: max |err| ${v.toExponential(2)}`);
});
