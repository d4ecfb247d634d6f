import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  folderFiles,
  readCheckpointHeaders,
  readSafetensors,
  serializeSafetensors,
  toFloat32,
  type LoadProgress,
  type ModelFiles,
  type SafetensorsEntry,
} from '@sdtext/core';
import { CLIPTextModel, CLIPTextModelWithProjection, selectBackend } from '../src/index.js';
import { FIXTURES, folderSource, maxAbsDiff } from './helpers.js';

const SD1 = path.join(FIXTURES, 'sd1-tiny', 'text_model');
const SD2 = path.join(FIXTURES, 'sd2-tiny', 'text_model');
const config = fs.readFileSync(path.join(SD1, 'config.json'), 'utf8');
const original = readSafetensors(fs.readFileSync(path.join(SD1, 'model.safetensors')));

/** The sd1-tiny checkpoint as writable entries, for tests to break. */
function entries(): Map<string, SafetensorsEntry> {
  const m = new Map<string, SafetensorsEntry>();
  for (const [k, t] of original.tensors) m.set(k, { shape: [...t.shape], data: toFloat32(t.dtype, t.data) });
  return m;
}

function folder(files: Record<string, string | Uint8Array>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-load-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const ids = [[49406, 320, 1125, 539, 49407, 0, 0]];

describe('fromPretrained', () => {
  let reference: Float32Array;
  beforeAll(async () => {
    await selectBackend('cpu');
    const m = await CLIPTextModel.fromPretrained(SD1);
    const out = m.forward({ inputIds: ids });
    reference = out.lastHiddenState.dataSync() as Float32Array;
    tf.dispose([out.lastHiddenState, out.poolerOutput]);
    m.dispose();
  });

  const same = async (model: CLIPTextModel): Promise<void> => {
    const out = model.forward({ inputIds: ids });
    expect(maxAbsDiff(out.lastHiddenState.dataSync(), reference)).toBe(0);
    tf.dispose([out.lastHiddenState, out.poolerOutput]);
    model.dispose();
  };

  it('loads a variant (model.fp16.safetensors)', async () => {
    const dir = folder({ 'text_encoder/config.json': config, 'text_encoder/model.fp16.safetensors': serializeSafetensors(entries()) });
    await same(await CLIPTextModel.fromPretrained(dir, { subfolder: 'text_encoder', variant: 'fp16', backend: ['cpu'] }));
    expect(tf.getBackend()).toBe('cpu');
    await expect(CLIPTextModel.fromPretrained(dir, { subfolder: 'text_encoder' })).rejects.toThrow(
      /no weights found: tried model\.safetensors, model\.safetensors\.index\.json \(for an fp16 checkpoint pass variant: "fp16"\)/,
    );
  });

  it('loads a sharded checkpoint through its index', async () => {
    const all = [...entries()];
    const half = Math.floor(all.length / 2);
    const a = 'model-00001-of-00002.safetensors';
    const b = 'model-00002-of-00002.safetensors';
    const weightMap = Object.fromEntries(all.map(([k], i) => [k, i < half ? a : b]));
    const dir = folder({
      'config.json': config,
      'model.safetensors.index.json': JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
      [a]: serializeSafetensors(all.slice(0, half)),
      [b]: serializeSafetensors(all.slice(half)),
    });
    const files = new Set<string>();
    await same(await CLIPTextModel.fromPretrained(dir, { onProgress: (p) => files.add(path.basename(p.file)) }));
    expect([...files]).toEqual([a, b]);
  });

  it('reads only the headers of a sharded checkpoint, and closes its files', async () => {
    const all = [...entries()];
    const [a, b] = ['model-00001-of-00002.fp16.safetensors', 'model-00002-of-00002.fp16.safetensors'];
    const dir = folder({
      'config.json': config,
      'model.safetensors.index.fp16.json': JSON.stringify({ weight_map: Object.fromEntries(all.map(([k], i) => [k, i % 2 ? b : a])) }),
      [a]: serializeSafetensors(all.filter((_, i) => i % 2 === 0)),
      [b]: serializeSafetensors(all.filter((_, i) => i % 2 === 1)),
    });
    const reads: { file: string; end: number }[] = [];
    let open = 0;
    const inner = folderFiles(dir);
    const files: ModelFiles = {
      ...inner,
      async openBytes(file, onProgress) {
        const r = await inner.openBytes(file, onProgress);
        if (!r) return null;
        open++;
        return {
          ...r,
          read: (offset, length) => (reads.push({ file, end: offset + length }), r.read(offset, length)),
          close: () => (open--, r.close()),
        };
      },
    };
    const checkpoint = await readCheckpointHeaders(files, { variant: 'fp16' });
    expect(checkpoint.files).toEqual([a, b]);
    expect(checkpoint.shards.flatMap((s) => s.header.tensors.map((t) => t.name)).sort()).toEqual(all.map(([k]) => k).sort());
    for (const { file, end } of reads) expect(end).toBeLessThanOrEqual(checkpoint.shards.find((s) => s.file === file)!.header.dataStart);
    expect(open).toBe(0);
  });

  it('loads through a FileSource and a base URL, reporting progress', async () => {
    const seen: LoadProgress[] = [];
    await same(await CLIPTextModel.fromPretrained(folderSource(path.dirname(SD1)), { subfolder: 'text_model', onProgress: (p) => seen.push(p) }));
    expect(seen.at(-1)).toMatchObject({ file: 'text_model/model.safetensors', total: fs.statSync(path.join(SD1, 'model.safetensors')).size });

    const requested: string[] = [];
    const fakeFetch = async (input: string | URL | Request): Promise<Response> => {
      const url = String(input);
      requested.push(url);
      const rel = url.replace('https://hub.test/repo/', '');
      const full = path.join(path.dirname(SD1), rel);
      if (!fs.existsSync(full)) return new Response('not found', { status: 404 });
      const bytes = fs.readFileSync(full);
      return new Response(new Blob([bytes]).stream(), { headers: { 'content-length': String(bytes.length) } });
    };
    const urlProgress: LoadProgress[] = [];
    await same(
      await CLIPTextModel.fromPretrained('https://hub.test/repo/', { subfolder: 'text_model', fetch: fakeFetch, onProgress: (p) => urlProgress.push(p) }),
    );
    expect(requested).toEqual(['https://hub.test/repo/text_model/config.json', 'https://hub.test/repo/text_model/model.safetensors']);
    expect(urlProgress.at(-1)!.loaded).toBe(urlProgress.at(-1)!.total);
  });

  it('ignores position_ids (sd2-tiny has it) but nothing else', async () => {
    const m = await CLIPTextModel.fromPretrained(SD2);
    m.dispose();
    const withExtra = entries();
    withExtra.set('text_model.embeddings.position_ids', { dtype: 'I64', shape: [1, 77], data: new BigInt64Array(77) });
    withExtra.set('text_model.extra.weight', { shape: [2, 3], data: new Float32Array(6) });
    const dir = folder({ 'config.json': config, 'model.safetensors': serializeSafetensors(withExtra) });
    await expect(CLIPTextModel.fromPretrained(dir)).rejects.toThrow(/1 problem\):\n {2}unexpected key "text_model\.extra\.weight" \[2, 3\] \(model\.safetensors\)$/);
    const m2 = await CLIPTextModel.fromPretrained(dir, { ignoreKeys: [/^text_model\.extra\./] });
    m2.dispose();
  });

  it('a CLIPTextModel refuses text_projection; the projection model needs it', async () => {
    const proj = path.join(FIXTURES, 'sd1-tiny', 'text_model_with_projection');
    await expect(CLIPTextModel.fromPretrained(proj)).rejects.toThrow('unexpected key "text_projection.weight" [24, 32]');
    await expect(CLIPTextModelWithProjection.fromPretrained(SD1)).rejects.toThrow(
      /checkpoint does not match CLIPTextModelWithProjection \(1 problem\):\n {2}missing key "text_projection\.weight" \(expected shape \[24, 32\]\)/,
    );
  });

  it('reads a full CLIP config (text_config) and skips the vision tower', async () => {
    const full = JSON.stringify({ model_type: 'clip', text_config: JSON.parse(config), vision_config: { hidden_size: 8 }, projection_dim: 24 });
    const withVision = entries();
    withVision.set('vision_model.post_layernorm.weight', { shape: [8], data: new Float32Array(8) });
    withVision.set('logit_scale', { shape: [], data: new Float32Array(1) });
    const dir = folder({ 'config.json': full, 'model.safetensors': serializeSafetensors(withVision) });
    await same(await CLIPTextModel.fromPretrained(dir));
  });

  it('lists every missing, misshapen and unexpected key with shapes', async () => {
    const broken = entries();
    broken.delete('text_model.encoder.layers.1.mlp.fc2.bias');
    broken.set('text_model.encoder.layers.0.self_attn.q_proj.weight', { shape: [32, 16], data: new Float32Array(512) });
    broken.set('text_model.encoder.layers.2.mlp.fc1.weight', { shape: [128, 32], data: new Float32Array(4096) });
    const dir = folder({ 'config.json': config, 'model.safetensors': serializeSafetensors(broken) });
    const err = await CLIPTextModel.fromPretrained(dir).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain(`${dir} (model.safetensors): checkpoint does not match CLIPTextModel (3 problems):`);
    expect(err?.message).toContain('wrong shape for "text_model.encoder.layers.0.self_attn.q_proj.weight": expected [32, 32], found [32, 16] (model.safetensors)');
    expect(err?.message).toContain('unexpected key "text_model.encoder.layers.2.mlp.fc1.weight" [128, 32] (model.safetensors)');
    expect(err?.message).toContain('missing key "text_model.encoder.layers.1.mlp.fc2.bias" (expected shape [32])');
  });

  it('a non-float weight is refused', async () => {
    const bad = entries();
    bad.set('text_model.final_layer_norm.bias', { dtype: 'I32', shape: [32], data: new Int32Array(32) });
    const dir = folder({ 'config.json': config, 'model.safetensors': serializeSafetensors(bad) });
    await expect(CLIPTextModel.fromPretrained(dir)).rejects.toThrow('"text_model.final_layer_norm.bias" has dtype I32');
  });

  it('a truncated checkpoint or a bad config names the file, and nothing leaks', async () => {
    const before = tf.memory().numTensors;
    const bytes = serializeSafetensors(entries());
    const dir = folder({ 'config.json': config, 'model.safetensors': bytes.subarray(0, bytes.length - 100) });
    await expect(CLIPTextModel.fromPretrained(dir)).rejects.toThrow(`${dir}/model.safetensors: offsets past the end`);

    // Through a stream of unknown length the cut is found only while reading: tensors made so far are freed.
    const streamDir = folder({ 'config.json': config, 'model.safetensors': bytes.subarray(0, bytes.length - 100) });
    const fakeFetch = async (input: string | URL | Request): Promise<Response> => {
      const full = path.join(streamDir, String(input).replace('https://x.test/', ''));
      return new Response(new Blob([fs.readFileSync(full)]).stream());
    };
    await expect(CLIPTextModel.fromPretrained('https://x.test', { fetch: fakeFetch })).rejects.toThrow(
      'https://x.test/model.safetensors: file is truncated',
    );
    expect(tf.memory().numTensors).toBe(before);

    const badConfig = folder({ 'config.json': JSON.stringify({ ...JSON.parse(config), hidden_act: 'relu' }), 'model.safetensors': bytes });
    await expect(CLIPTextModel.fromPretrained(badConfig)).rejects.toThrow(
      `${badConfig}/config.json: hidden_act must be one of "gelu", "quick_gelu", got "relu"`,
    );
    await expect(CLIPTextModel.fromPretrained(folder({}))).rejects.toThrow(/no config\.json/);
  });
});
