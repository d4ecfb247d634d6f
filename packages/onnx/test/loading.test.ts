import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32, writeSafetensorsFile, type SafetensorsEntry, type WritableDtype } from '@sdtext/core';
import { OnnxCLIPTextModel } from '../src/index.js';
import { FIXTURES, loadCase, maxAbsDiff } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-onnx-loading-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** About 3x the error every weight transfer and cache path reached (4.35e-6, sd2-tiny pad77_masked, onnxruntime-node). */
const TOLERANCE = 1.3e-5;

async function lastHiddenStateError(model: OnnxCLIPTextModel): Promise<number> {
  const g = await loadCase('sd2-tiny', 'pad77_masked');
  const out = await model.encode({ inputIds: g.inputIds, attentionMask: g.attentionMask });
  return maxAbsDiff(out.lastHiddenState.data, g.tensor('last_hidden_state').data);
}

/** sd2-tiny (stored float16) with its float weights as `dtype`: BF16 the widened values' top 16 bits, F32 the widened values. */
async function retyped(dtype: 'F16' | 'BF16' | 'F32'): Promise<string> {
  const src = path.join(FIXTURES, 'sd2-tiny', 'text_model');
  const dir = fs.mkdtempSync(path.join(tmp, `retyped-${dtype}-`));
  fs.copyFileSync(path.join(src, 'config.json'), path.join(dir, 'config.json'));
  const file = await loadSafetensors(path.join(src, 'model.safetensors'));
  const entries = [...file.tensors].map(([key, t]): [string, SafetensorsEntry] => {
    if (t.dtype !== 'F16') return [key, { dtype: t.dtype as WritableDtype, shape: t.shape, data: t.data as BigInt64Array }];
    const widened = toFloat32('F16', t.data);
    if (dtype === 'F32') return [key, { dtype, shape: t.shape, data: widened }];
    return [key, { dtype, shape: t.shape, data: dtype === 'F16' ? (t.data as Uint16Array) : Uint16Array.from(new Uint32Array(widened.buffer), (b) => b >>> 16) }];
  });
  await writeSafetensorsFile(path.join(dir, 'model.safetensors'), entries);
  return dir;
}

describe('weight transfer', () => {
  it.each(['link', 'temp-folder', 'memory'] as const)("'%s' agrees with Hugging Face", async (weightTransfer) => {
    const m = await OnnxCLIPTextModel.fromPretrained(path.join(FIXTURES, 'sd2-tiny', 'text_model'), { weightTransfer });
    expect(m.weightTransfer).toBe(weightTransfer);
    expect(await lastHiddenStateError(m)).toBeLessThan(TOLERANCE);
    await m.dispose();
  });

  it("links by default for a local folder, and reads the weights itself for other sources", async () => {
    const dir = path.join(FIXTURES, 'sd2-tiny', 'text_model');
    const linked = await OnnxCLIPTextModel.fromPretrained(dir);
    expect(linked.weightTransfer).toBe('link');
    await linked.dispose();
    const source = {
      name: dir,
      readText: async (p: string) => (fs.existsSync(path.join(dir, p)) ? fs.readFileSync(path.join(dir, p), 'utf8') : null),
      readBytes: async (p: string) => (fs.existsSync(path.join(dir, p)) ? new Uint8Array(fs.readFileSync(path.join(dir, p))) : null),
    };
    const read = await OnnxCLIPTextModel.fromPretrained(source);
    expect(read.weightTransfer).toBe('temp-folder');
    expect(await lastHiddenStateError(read)).toBeLessThan(TOLERANCE);
    await read.dispose();
  });

  it('checks the checkpoint as strictly as the tfjs loader when linking', async () => {
    const dir = path.join(FIXTURES, 'sd2-tiny', 'text_model');
    for (const weightTransfer of ['link', 'temp-folder'] as const) {
      // a plain CLIPTextModel checkpoint loaded as a projection model: text_projection.weight is missing
      await expect(OnnxCLIPTextModel.fromPretrained(dir, { weightTransfer, withProjection: true })).rejects.toThrow(
        /checkpoint does not match CLIPTextModelWithProjection \(1 problem\):\n {2}missing key "text_projection.weight" \(expected shape \[16, 32\]\)/,
      );
      await expect(OnnxCLIPTextModel.fromPretrained(dir, { weightTransfer, variant: 'fp16' })).rejects.toThrow(/no weights found: tried model\.fp16\.safetensors/);
    }
    // the projection checkpoint loaded as a plain model: an unexpected key
    await expect(OnnxCLIPTextModel.fromPretrained(path.join(FIXTURES, 'sd2-tiny', 'text_model_with_projection'), { withProjection: false })).rejects.toThrow(
      /unexpected key "text_projection.weight" \[16, 32\]/,
    );
  });

  // 'memory' (what onnxruntime-web gets) hands ORT the weights in their stored width, and ORT widens
  // them: the same float32 weights as JavaScript's widening ('temp-folder'), so the same outputs, bit
  // for bit, whatever the checkpoint's dtype.
  it.each(['F16', 'BF16', 'F32'] as const)("'memory' with %s weights equals 'temp-folder' exactly", async (dtype) => {
    const dir = await retyped(dtype);
    const outputs: Float32Array[] = [];
    for (const weightTransfer of ['memory', 'temp-folder'] as const) {
      const m = await OnnxCLIPTextModel.fromPretrained(dir, { weightTransfer });
      const g = await loadCase('sd2-tiny', 'pad77_masked');
      outputs.push((await m.encode({ inputIds: g.inputIds, attentionMask: g.attentionMask })).lastHiddenState.data);
      await m.dispose();
    }
    expect(maxAbsDiff(outputs[0]!, outputs[1]!)).toBe(0);
  });

  it.each(['link', 'temp-folder'] as const)("'%s' leaves no temporary folder behind", async (weightTransfer) => {
    const tempDir = path.join(tmp, `temp-${weightTransfer}`);
    fs.mkdirSync(tempDir);
    const m = await OnnxCLIPTextModel.fromPretrained(path.join(FIXTURES, 'sd2-tiny', 'text_model'), { tempDir, weightTransfer });
    expect(await lastHiddenStateError(m)).toBeLessThan(TOLERANCE);
    await m.dispose();
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });
});

describe('sharded checkpoints', () => {
  it('loads model.fp16.safetensors.index.json shards, linked or read, as the single file', async () => {
    const src = path.join(FIXTURES, 'sd2-tiny', 'text_model');
    const dir = path.join(tmp, 'sharded');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(src, 'config.json'), path.join(dir, 'config.json'));
    const file = await loadSafetensors(path.join(src, 'model.safetensors'));
    const names = [...file.tensors.keys()];
    const shards = [names.slice(0, names.length / 2), names.slice(names.length / 2)];
    const weightMap: Record<string, string> = {};
    for (const [i, keys] of shards.entries()) {
      const shard = `model-0000${i + 1}-of-00002.fp16.safetensors`;
      const entries = keys.map((k): [string, SafetensorsEntry] => {
        const t = file.tensors.get(k)!;
        return [k, { dtype: t.dtype as WritableDtype, shape: t.shape, data: t.data as Exclude<SafetensorsEntry['data'], () => unknown> }];
      });
      await writeSafetensorsFile(path.join(dir, shard), entries);
      for (const k of keys) weightMap[k] = shard;
    }
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.fp16.json'), JSON.stringify({ weight_map: weightMap }));
    for (const weightTransfer of ['link', 'temp-folder'] as const) {
      const m = await OnnxCLIPTextModel.fromPretrained(dir, { variant: 'fp16', weightTransfer });
      expect(m.weightTransfer).toBe(weightTransfer);
      expect(await lastHiddenStateError(m)).toBeLessThan(TOLERANCE);
      await m.dispose();
    }
  });
});

describe('compiled cache', () => {
  it('builds an entry once, reuses it, and rebuilds when the checkpoint changes', async () => {
    const checkpoint = path.join(tmp, 'checkpoint');
    fs.cpSync(path.join(FIXTURES, 'sd2-tiny', 'text_model'), checkpoint, { recursive: true });
    const cacheDir = path.join(tmp, 'compiled');

    const first = await OnnxCLIPTextModel.fromPretrained(checkpoint, { compiledCacheDir: cacheDir });
    expect(first.loadedFrom).toBe('checkpoint');
    expect(await lastHiddenStateError(first)).toBeLessThan(TOLERANCE);
    await first.dispose();
    const entries = fs.readdirSync(cacheDir);
    expect(entries).toHaveLength(1);
    expect(fs.existsSync(path.join(cacheDir, entries[0]!, 'meta.json'))).toBe(true);

    const second = await OnnxCLIPTextModel.fromPretrained(checkpoint, { compiledCacheDir: cacheDir });
    expect(second.loadedFrom).toBe('compiled-cache');
    expect(second.config.hidden_size).toBe(32);
    expect(await lastHiddenStateError(second)).toBeLessThan(TOLERANCE);
    await second.dispose();

    // Other load settings are another entry.
    const projection = await OnnxCLIPTextModel.fromPretrained(checkpoint, { compiledCacheDir: cacheDir, withProjection: false });
    expect(projection.loadedFrom).toBe('checkpoint');
    await projection.dispose();

    // A changed config.json (here: pooling at the first EOS) is a new key, not a stale hit.
    const config = JSON.parse(fs.readFileSync(path.join(checkpoint, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(checkpoint, 'config.json'), JSON.stringify({ ...config, eos_token_id: 49407 }));
    const changed = await OnnxCLIPTextModel.fromPretrained(checkpoint, { compiledCacheDir: cacheDir });
    expect(changed.loadedFrom).toBe('checkpoint');
    expect(changed.config.eos_token_id).toBe(49407);
    await changed.dispose();
    expect(fs.readdirSync(cacheDir).filter((n) => !n.includes('.tmp-'))).toHaveLength(3);
  });
});
