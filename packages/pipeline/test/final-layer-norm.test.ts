import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  loadSafetensors,
  writeSafetensorsFile,
  type FileSource,
  type FloatTensor,
  type SafetensorsEntry,
  type TextEncoderEngine,
  type WritableDtype,
} from '@sdtext/core';
import { OnnxCLIPTextModel } from '@sdtext/onnx';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTextEncoder } from '../src/index.js';
import { FIXTURES, MODELS, loadCase, maxAbsDiff } from '../../onnx/test/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-onnx-final-ln-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** hidden_states[index] of a golden [L + 1, B, S, H] tensor. */
function layer(all: FloatTensor, index: number): FloatTensor {
  const [, ...dims] = all.dims;
  const size = dims.reduce((a, b) => a * b, 1);
  return { data: all.data.slice(index * size, (index + 1) * size), dims };
}

/** The golden check: last_hidden_state is final_layer_norm(hidden_states[-1]). */
async function finalNormError(engine: TextEncoderEngine, model: (typeof MODELS)[number]): Promise<number> {
  const g = await loadCase(model, 'pad77');
  const hidden = g.tensor('hidden_states');
  const out = await engine.finalLayerNorm(layer(hidden, hidden.dims[0]! - 1));
  expect(out.dims).toEqual(g.tensor('last_hidden_state').dims);
  return maxAbsDiff(out.data, g.tensor('last_hidden_state').data);
}

/** About 3x the worst of both models: 9.5e-7 (tfjs), 7.2e-7 (onnx). */
const BOUND = { tfjs: 2.9e-6, onnx: 2.2e-6 };

describe('finalLayerNorm (clip skip) on both engines', () => {
  for (const model of MODELS) {
    for (const subfolder of ['text_model', 'text_model_with_projection']) {
      for (const engine of ['tfjs', 'onnx'] as const) {
        it(`${engine}: ${model}/${subfolder} maps hidden_states[-1] to last_hidden_state`, async () => {
          const encoder = await loadTextEncoder(path.join(FIXTURES, model), { subfolder, engine, backend: 'cpu' });
          try {
            expect(await finalNormError(encoder, model)).toBeLessThan(BOUND[engine]);
          } finally {
            await encoder.dispose();
          }
        });
      }
    }
  }

  it('onnx: reads the weights from the shard the index names, and through a FileSource', async () => {
    const src = path.join(FIXTURES, 'sd2-tiny', 'text_model');
    const dir = path.join(tmp, 'sharded');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(src, 'config.json'), path.join(dir, 'config.json'));
    const file = await loadSafetensors(path.join(src, 'model.safetensors'));
    const names = [...file.tensors.keys()];
    const weightMap: Record<string, string> = {};
    for (const [i, keys] of [names.slice(0, names.length / 2), names.slice(names.length / 2)].entries()) {
      const shard = `model-0000${i + 1}-of-00002.fp16.safetensors`;
      const entries = keys.map((k): [string, SafetensorsEntry] => {
        const t = file.tensors.get(k)!;
        return [k, { dtype: t.dtype as WritableDtype, shape: t.shape, data: t.data as Exclude<SafetensorsEntry['data'], () => unknown> }];
      });
      await writeSafetensorsFile(path.join(dir, shard), entries);
      for (const k of keys) weightMap[k] = shard;
    }
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.fp16.json'), JSON.stringify({ weight_map: weightMap }));
    const sharded = await OnnxCLIPTextModel.fromPretrained(dir, { variant: 'fp16' });
    expect(await finalNormError(sharded, 'sd2-tiny')).toBeLessThan(BOUND.onnx);
    await sharded.dispose();

    const source: FileSource = {
      name: 'memory:sd2-tiny',
      readText: async (p) => (fs.existsSync(path.join(src, p)) ? fs.readFileSync(path.join(src, p), 'utf8') : null),
      readBytes: async (p) => (fs.existsSync(path.join(src, p)) ? new Uint8Array(fs.readFileSync(path.join(src, p))) : null),
    };
    const fromSource = await OnnxCLIPTextModel.fromPretrained(source);
    expect(await finalNormError(fromSource, 'sd2-tiny')).toBeLessThan(BOUND.onnx);
    await fromSource.dispose();
  });

  it('onnx: an exported graph has no final_layer_norm weights, and says so', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sd2-tiny', 'text_model', 'config.json'), 'utf8'));
    const exported = await OnnxCLIPTextModel.fromOnnx(path.join(FIXTURES, 'sd2-tiny', 'onnx'), { config });
    await expect(exported.finalLayerNorm({ data: new Float32Array(32), dims: [1, 32] })).rejects.toThrow(/no final_layer_norm weights/);
    await exported.dispose();
  });
});
