import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as ort from 'onnxruntime-common';
import { buildClipTextGraph } from '../src/graph/clip-text-graph.js';
import { concatChunks } from '../src/onnx/proto-writer.js';
import { createSession } from '../src/session.js';
import { loadCheckpointWeights, memoryWeights, storedMemoryWeights } from '../src/weights.js';
import { FIXTURES, loadCase, MODELS } from './helpers.js';

/**
 * The graphs built from checkpoints are already fused (FusedMatMul, MultiHeadAttention,
 * LayerNormalization, BiasGelu or QuickGelu), so their sessions ask ORT for 'basic' optimizations only (constant
 * folding of the weights' Casts): its level 2 and 3 fusions would cost session time (0.3 s in a
 * browser, ORT's verbose log) and change nothing. If a change to the graph left work for them, the outputs here
 * would differ and 'basic' would be the wrong choice.
 */

type Variant = { name: string; quantize: 'q8' | null; stored: boolean; transposed?: boolean };
const VARIANTS: Variant[] = [
  { name: 'stored weights (Casts folded)', quantize: null, stored: true },
  { name: 'stored weights, transposed for WebGPU (Casts and Transposes folded)', quantize: null, stored: true, transposed: true },
  { name: 'float32 weights', quantize: null, stored: false },
  { name: 'q8', quantize: 'q8', stored: false },
];

async function run(model: (typeof MODELS)[number], variant: Variant, optimization: 'basic' | 'all'): Promise<Float32Array[]> {
  const dir = path.join(FIXTURES, model, 'text_model');
  const { weights, files } = variant.stored
    ? await storedMemoryWeights(dir, {}, { gatherAsStored: variant.transposed !== true })
    : { weights: memoryWeights(await loadCheckpointWeights(dir)), files: [] };
  const graph = buildClipTextGraph(weights, { style: 'fused', weights: 'external', hiddenStates: true, attentions: true, inputsEmbeds: true, quantize: variant.quantize, transposeWeights: variant.transposed === true });
  const { session, runtime } = await createSession(concatChunks(graph.chunks, graph.byteLength), [...graph.externalFiles, ...files], { runtime: 'node' }, optimization);
  const g = await loadCase(model, 'pad77_masked');
  const { Tensor } = runtime.ort;
  const [b, s] = [g.inputIds.length, g.inputIds[0]!.length];
  const ids = (rows: number[][]): ort.Tensor => new Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [b, s]);
  const H = weights.config.hidden_size;
  const out = await session.run({
    input_ids: ids(g.inputIds),
    attention_mask: ids(g.attentionMask!),
    inputs_embeds: new Tensor('float32', new Float32Array(H), [1, 1, H]),
    inputs_embeds_mask: new Tensor('float32', new Float32Array(1), [1, 1, 1]),
  });
  await session.release();
  return session.outputNames.map((n) => out[n]!.data as Float32Array);
}

describe("checkpoint graphs under 'basic' optimization", () => {
  for (const model of MODELS) {
    it.each(VARIANTS.map((v) => [v.name, v] as const))(`${model}, %s: every output bit-identical to 'all'`, async (_, variant) => {
      const basic = await run(model, variant, 'basic');
      const all = await run(model, variant, 'all');
      expect(basic.length).toBe(all.length);
      for (const [i, a] of basic.entries()) {
        const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
        const y = new Uint32Array(all[i]!.buffer, all[i]!.byteOffset, all[i]!.length);
        expect(x.length).toBe(y.length);
        expect(x.findIndex((v, j) => v !== y[j]), `output ${i}`).toBe(-1);
      }
    });
  }
});
