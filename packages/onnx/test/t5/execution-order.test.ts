import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { folderFiles } from '@sdtext/core';
import { openT5EncoderCheckpoint } from '@sdtext/core/t5';
import { writeModelFolder } from '../../src/model-folder.js';
import { buildT5EncoderGraph } from '../../src/t5/t5-encoder-graph.js';
import { linkedWeights } from '../../src/t5/t5-weight-transfer.js';
import { T5_FIXTURES } from './fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-t5-order-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface ProfileEvent {
  cat: string;
  name: string;
  args?: { op_name?: string };
}

/**
 * The memory bound of 16-bit weights (a T5-XXL bf16 file in about its own size) rests on each
 * weight's Cast running just before the Gemm that uses it. ONNX Runtime decides the order; its
 * profile shows it. If the Casts all ran first, every float32 weight would be alive at once.
 */
describe('T5 graph: ORT runs each weight Cast when its Gemm needs it', () => {
  it('t5-relu-b bf16, mapped as stored: Casts interleave with the Gemms', async () => {
    const model = path.join(T5_FIXTURES, 't5-relu-b');
    const opened = await openT5EncoderCheckpoint(folderFiles(model), { variant: 'bf16' });
    const dir = path.join(tmp, 'model');
    fs.mkdirSync(dir);
    const weights = await linkedWeights(opened, model, dir);
    await opened.checkpoint.close();
    const graph = buildT5EncoderGraph(weights);
    const modelPath = await writeModelFolder(dir, graph.chunks, []);
    // createT5Session's options, plus ORT's profiler.
    const session = await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: 1,
      extra: { optimization: { disable_specified_optimizers: 'ConstantFolding' } },
      enableProfiling: true,
      profileFilePrefix: path.join(tmp, 'profile'),
    });
    const ids = new ort.Tensor('int64', BigInt64Array.from({ length: 10 }, (_, i) => BigInt(i)), [1, 10]);
    const mask = new ort.Tensor('int64', new BigInt64Array(10).fill(1n), [1, 10]);
    await session.run({ input_ids: ids, attention_mask: mask });
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(tmp).find((f) => f.startsWith('profile'));
    expect(file).toBeDefined();
    const events = JSON.parse(fs.readFileSync(path.join(tmp, file!), 'utf8')) as ProfileEvent[];
    const ops = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time')).map((e) => e.args?.op_name ?? '');
    const casts = ops.flatMap((op, i) => (op === 'Cast' ? [i] : []));
    const gemms = ops.flatMap((op, i) => (op === 'Gemm' || op === 'FusedGemm' ? [i] : [])); // wi + relu fuse into FusedGemm
    expect(gemms.length).toBe(3 * 6); // q, k, v, o, wi, wo per block
    // Casts run as the Gemms need them: a few ahead of each Gemm (its weight, a norm's, the mask's),
    // never the 3 * 9 + 1 of every weight at the start.
    for (const [n, at] of gemms.entries()) {
      expect(casts.filter((c) => c < at).length, `Casts before Gemm ${n}`).toBeLessThanOrEqual(3 * (n + 1) + 2);
    }
    expect(casts.filter((c) => c < gemms[0]!).length).toBeLessThan(casts.length / 4);
  });
});
