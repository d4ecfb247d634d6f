import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderFiles, type FloatTensor } from '@sdtext/core';
import { openT5EncoderCheckpoint } from '@sdtext/core/t5';
import { concatChunks } from '../../src/onnx/proto-writer.js';
import { OnnxT5EncoderModel } from '../../src/t5/index.js';
import { buildT5EncoderGraph } from '../../src/t5/t5-encoder-graph.js';
import { isT5Q8Linear, memoryWeights } from '../../src/t5/t5-weight-transfer.js';
import { rowwiseDistance } from '../helpers.js';
import { T5_CASES, T5_FIXTURES, loadT5Case } from './fixtures.js';

// dtype 'q8' on the T5 encoder trades exactness for speed, on request only: these tests bound what
// it costs against the same weights in fp32 on the tiny fixture models (the error on T5-shaped
// weights is measured in docs/benchmarks.md) and check what is quantized and what is not.

/** min per-token cosine and max |a - b| of two [B, S, d] outputs. */
const compare = (a: FloatTensor, b: FloatTensor): { minCos: number; maxAbs: number } => rowwiseDistance(a.data, b.data, a.dims.at(-1)!);

const report: Record<string, { minCos: number; maxAbs: number }> = {};
afterAll(() => console.log(`T5 q8 vs fp32: ${JSON.stringify(report)}`));

const MODELS: { model: string; label: string; variant?: string; file?: string }[] = [
  { model: 't5-gated-a', label: 'fp32' },
  { model: 't5-gated-a', label: 'bf16', variant: 'bf16' },
  { model: 't5-gated-a', label: 'scaled_fp8', file: 't5-gated-a_fp8_e4m3fn_scaled.safetensors' },
  { model: 't5-relu-b', label: 'fp32' },
  { model: 't5-relu-b', label: 'fp16', variant: 'fp16' },
  { model: 't5-gelu-c', label: 'fp32' },
];

describe.each(MODELS)("OnnxT5EncoderModel dtype 'q8': $model $label", ({ model, variant, file, label }) => {
  it('loads as q8 (read in JavaScript) and stays close to fp32 of the same file: per-token cosine and max error bounded', async () => {
    const options = { variant, file, threads: 1, cache: false as const };
    const fp32 = await OnnxT5EncoderModel.fromPretrained(path.join(T5_FIXTURES, model), options);
    const q8 = await OnnxT5EncoderModel.fromPretrained(path.join(T5_FIXTURES, model), { ...options, dtype: 'q8' });
    try {
      expect(fp32.dtype).toBe('fp32');
      expect(q8.dtype).toBe('q8');
      expect(q8.weightTransfer).toBe('temp-folder');
      for (const caseName of T5_CASES) {
        const c = await loadT5Case(model, caseName);
        const inputs = { inputIds: c.inputIds, attentionMask: c.attentionMask };
        const [a, b] = [await fp32.encode(inputs), await q8.encode(inputs)];
        expect(b.lastHiddenState.dims).toEqual(a.lastHiddenState.dims);
        const { minCos, maxAbs } = compare(a.lastHiddenState, b.lastHiddenState);
        report[`${model} ${label} ${caseName}`] = { minCos, maxAbs };
        // Measured (onnxruntime-node 1.30, x64): worst min cosine 0.99898 and worst max |diff| 0.167
        // (t5-gated-a fp32, 'long'; the output's largest magnitude there is 4.1); bounds at 3x.
        expect(maxAbs).toBeGreaterThan(0); // it is another model
        expect(minCos).toBeGreaterThan(0.997);
        expect(maxAbs).toBeLessThan(0.5);
      }
    } finally {
      await fp32.dispose();
      await q8.dispose();
    }
  });
});

/** How many nodes of `opType` a ModelProto holds: its op_type field (NodeProto field 4) as encoded. */
function countOps(bytes: Uint8Array, opType: string): number {
  const needle = Uint8Array.from([0x22, opType.length, ...new TextEncoder().encode(opType)]);
  let n = 0;
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    n++;
  }
  return n;
}

describe("T5 graph with dtype 'q8': what is quantized", () => {
  it.each([
    ['t5-gated-a', 7], // q, k, v, o, wi_0, wi_1, wo
    ['t5-relu-b', 6], // q, k, v, o, wi, wo
  ])('%s: every block Linear is a DynamicQuantizeMatMul; embedding, norms and position bias stay as stored', async (model, perBlock) => {
    const opened = await openT5EncoderCheckpoint(folderFiles(path.join(T5_FIXTURES, model)), { variant: 'bf16' });
    try {
      const L = opened.config.num_layers;
      const q8 = await memoryWeights(opened, isT5Q8Linear);
      const keys = [...q8.quantized!.keys()];
      expect(keys.length).toBe(L * perBlock);
      for (const key of keys) {
        const { codes, scales } = q8.quantized!.get(key)!;
        const [out, inp] = opened.expected.get(key)!;
        expect(codes.shape).toEqual([inp, out]); // [in, out], as DynamicQuantizeMatMul takes B
        expect(codes.length).toBe(inp! * out!);
        expect(scales.shape).toEqual([out]);
      }
      expect([...q8.locations.keys()].filter(isT5Q8Linear)).toEqual([]);
      expect([...q8.locations.keys()].sort()).toEqual([...opened.expected.keys()].filter((k) => !isT5Q8Linear(k)).sort()); // shared, layer norms, relative_attention_bias
      const q8Graph = buildT5EncoderGraph(q8);
      const q8Bytes = concatChunks(q8Graph.chunks, q8Graph.byteLength);
      expect(countOps(q8Bytes, 'DynamicQuantizeMatMul')).toBe(L * perBlock);
      expect(countOps(q8Bytes, 'Gemm')).toBe(0);

      const fp32 = await memoryWeights(opened);
      expect(fp32.quantized).toBeUndefined();
      const fp32Graph = buildT5EncoderGraph(fp32);
      const fp32Bytes = concatChunks(fp32Graph.chunks, fp32Graph.byteLength);
      expect(countOps(fp32Bytes, 'Gemm')).toBe(L * perBlock);
      expect(countOps(fp32Bytes, 'DynamicQuantizeMatMul')).toBe(0);
      expect(new TextDecoder().decode(fp32Bytes)).not.toContain('com.microsoft'); // standard opset only, as before
    } finally {
      await opened.checkpoint.close();
    }
  });
});

describe("OnnxT5EncoderModel dtype 'q8': loading", () => {
  it("'memory' gives the same outputs as 'temp-folder' (one graph, two ways in)", async () => {
    const dir = path.join(T5_FIXTURES, 't5-gated-a');
    const folder = await OnnxT5EncoderModel.fromPretrained(dir, { variant: 'bf16', dtype: 'q8', threads: 1, cache: false });
    const memory = await OnnxT5EncoderModel.fromPretrained(dir, { variant: 'bf16', dtype: 'q8', weightTransfer: 'memory', threads: 1, cache: false });
    try {
      expect(memory.weightTransfer).toBe('memory');
      expect(memory.dtype).toBe('q8');
      const c = await loadT5Case('t5-gated-a', 'masked');
      const inputs = { inputIds: c.inputIds, attentionMask: c.attentionMask };
      expect(Array.from((await memory.encode(inputs)).lastHiddenState.data)).toEqual(Array.from((await folder.encode(inputs)).lastHiddenState.data));
    } finally {
      await folder.dispose();
      await memory.dispose();
    }
  });

  it('onnxruntime-web (wasm, in Node) runs the q8 graph too (in-memory weights), within the same bounds', async () => {
    const dir = path.join(T5_FIXTURES, 't5-gated-a');
    const options = { variant: 'bf16', runtime: 'web' as const, threads: 1, cache: false as const };
    const fp32 = await OnnxT5EncoderModel.fromPretrained(dir, options);
    const q8 = await OnnxT5EncoderModel.fromPretrained(dir, { ...options, dtype: 'q8' });
    try {
      expect([q8.dtype, q8.weightTransfer]).toEqual(['q8', 'memory']);
      for (const caseName of T5_CASES) {
        const c = await loadT5Case('t5-gated-a', caseName);
        const inputs = { inputIds: c.inputIds, attentionMask: c.attentionMask };
        const { minCos, maxAbs } = compare((await fp32.encode(inputs)).lastHiddenState, (await q8.encode(inputs)).lastHiddenState);
        report[`t5-gated-a bf16 ${caseName} [web]`] = { minCos, maxAbs }; // measured as on node: worst 0.99925, 0.128
        expect(maxAbs).toBeGreaterThan(0);
        expect(minCos).toBeGreaterThan(0.997);
        expect(maxAbs).toBeLessThan(0.5);
      }
    } finally {
      await fp32.dispose();
      await q8.dispose();
    }
  });

  it('refuses an unknown dtype before reading anything', async () => {
    await expect(OnnxT5EncoderModel.fromPretrained(path.join(T5_FIXTURES, 't5-gated-a'), { dtype: 'int4' as 'q8' })).rejects.toThrow(TypeError);
    await expect(OnnxT5EncoderModel.fromPretrained('/no/such/folder', { dtype: 'int4' as 'q8' })).rejects.toThrow(/dtype must be 'fp32' or 'q8', got "int4"/);
  });

  it("'fp32' is the default and the exact graph: mapped as stored", async () => {
    const encoder = await OnnxT5EncoderModel.fromPretrained(path.join(T5_FIXTURES, 't5-relu-b'), { variant: 'bf16', dtype: 'fp32', threads: 1, cache: false });
    try {
      expect(encoder.dtype).toBe('fp32');
      expect(encoder.weightTransfer).toBe('link');
    } finally {
      await encoder.dispose();
    }
  });
});
