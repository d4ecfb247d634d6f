import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TorchFileError,
  folderFiles,
  detectSingleFile,
  inspectSingleFile,
  loadSafetensors,
  openByteReader,
  openSingleFileTensors,
  openTextModelCheckpoint,
  readLora,
  readTextualInversion,
  readTorchFile,
  serializeSafetensors,
  toFloat32,
  torchStateDict,
  type ModelFiles,
} from '../src/index.js';
import { writeCkpt, type CkptTensor } from './helpers/ckpt-writer.js';
import { PickleWriter } from './helpers/torch-writer.js';

/**
 * The older files users still have (issue 21 item 5): SD `.ckpt` single files and legacy (pre-1.6)
 * torch.save files, read through the bounded unpickler. The small fixtures are real torch.save
 * output (scripts/make-older-files-fixtures.py); the multi-GB `.ckpt` is written here, its UNet a
 * hole in a sparse file, to hold that only the text encoder's bytes are read.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXTRAS = path.resolve(HERE, '../../../models/fixtures/checkpoint-extras');
const SD1_TINY = path.resolve(HERE, '../../../models/fixtures/models/sd1-tiny/text_model/model.safetensors');
const MINI = { num_attention_heads: 4, num_hidden_layers: 2 };

/** A folder whose readers count the bytes they hand out. */
function countingFolder(dir: string): { files: ModelFiles; bytes: () => number } {
  let total = 0;
  const inner = folderFiles(dir);
  return {
    bytes: () => total,
    files: {
      name: dir,
      readText: (p) => inner.readText(p),
      async openBytes(p) {
        const r = await openByteReader(path.join(dir, p), { name: path.join(dir, p) });
        return {
          name: r.name,
          size: r.size,
          async read(offset, length) {
            total += length;
            return r.read(offset, length);
          },
          close: () => r.close(),
        };
      },
    },
  };
}

async function reference(file: string): Promise<Map<string, Float32Array>> {
  const st = await loadSafetensors(file);
  return new Map([...st.tensors].map(([k, t]) => [k, toFloat32(t.dtype, t.data)]));
}

describe('SD .ckpt as torch.save wrote them (real torch 1.13 output)', () => {
  for (const file of ['ckpt-sd1-lightning.ckpt', 'ckpt-sd1-lightning-legacy.ckpt']) {
    it(`${file}: the text encoder, as diffusers' from_single_file converts it, exactly`, async () => {
      const ref = await reference(path.join(EXTRAS, 'ckpt-sd1-lightning.reference.safetensors'));
      const opened = await openTextModelCheckpoint(folderFiles(EXTRAS), { singleFile: { file, config: MINI } });
      expect(opened.config).toMatchObject({ vocab_size: 100, hidden_size: 32, intermediate_size: 64, max_position_embeddings: 16, num_hidden_layers: 2 });
      let n = 0;
      for await (const w of opened.weights()) {
        expect([...w.data], w.name).toEqual([...ref.get(w.name)!]);
        n++;
      }
      expect(n).toBe([...ref.keys()].filter((k) => k.startsWith('text_model.')).length);
    });
  }

  it("reads Lightning's extras as data, never as code: ModelCheckpoint as a key, numpy scores, a set, torch.float32", async () => {
    for (const file of ['ckpt-sd1-lightning.ckpt', 'ckpt-sd1-lightning-legacy.ckpt']) {
      const torch = await readTorchFile(path.join(EXTRAS, file));
      const root = torch.root as Map<unknown, unknown>;
      expect(root.get('global_step')).toBe(470000);
      expect(root.get('pytorch-lightning_version')).toBe('1.4.2');
      const [key, state] = [...(root.get('callbacks') as Map<unknown, Map<unknown, unknown>>)][0]!;
      expect(key).toMatchObject({ what: 'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint' });
      expect(state.get('best_model_score')).toMatchObject({ what: 'a numpy scalar' });
      expect((root.get('hparams') as Map<unknown, unknown>).get('tags')).toEqual(expect.arrayContaining(['sd', 'v1']));
      // Two views of one UNet storage, the second at element 40; position_ids a LongStorage.
      const sd = torchStateDict(torch.root, file);
      const ref = await reference(path.join(EXTRAS, 'ckpt-sd1-lightning.reference.safetensors'));
      for (const k of ['model.diffusion_model.out.2.weight', 'model.diffusion_model.out.2.bias']) expect([...(await sd.get(k)!.read())]).toEqual([...ref.get(k)!]);
      const ids = sd.get('cond_stage_model.transformer.text_model.embeddings.position_ids')!;
      expect([ids.dtype, [...(await ids.read())]]).toEqual(['int64', Array.from({ length: 16 }, (_, i) => i)]);
      expect(torch.format).toBe(file.includes('legacy') ? 'legacy' : 'zip');
      await torch.close();
    }
  });

  it('a legacy A1111 embedding reads as its zip twin does', async () => {
    const legacy = await readTextualInversion(path.join(EXTRAS, 'ti-my-style-legacy.pt'));
    const zip = await readTextualInversion(path.join(EXTRAS, 'ti-my-style.pt'));
    expect(legacy.token).toBe('my-style');
    expect([...legacy.vectors.get('text_encoder')!.data]).toEqual([...zip.vectors.get('text_encoder')!.data]);
  });

  it('inspectSingleFile tells SD 1.x from the pickle alone, whatever the name', async () => {
    expect(await inspectSingleFile(path.join(EXTRAS, 'ckpt-sd1-lightning-legacy.ckpt'))).toMatchObject({ kind: 'sd1', format: 'torch legacy' });
    await expect(inspectSingleFile(path.join(EXTRAS, 'ti-my-style.pt'))).rejects.toThrow(/ti-my-style\.pt \(a torch zip file\): no text encoder found/);
  });
});

describe('a multi-GB .ckpt: only the text encoder is read', () => {
  const HOLE = 1024 ** 3; // bytes per fake UNet storage
  const UNET = 5; // 5 GiB before the text encoder: its offsets need zip64
  let dir: string;
  let size = 0;
  let teBytes = 0;
  let tiny: Map<string, { shape: number[]; data: Float32Array }>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sdtext-ckpt-'));
    const st = await loadSafetensors(SD1_TINY);
    tiny = new Map([...st.tensors].map(([k, t]) => [k, { shape: t.shape, data: toFloat32(t.dtype, t.data) }]));
    const tensors: CkptTensor[] = Array.from({ length: UNET }, (_, i) => ({
      name: `model.diffusion_model.input_blocks.${i}.0.weight`,
      storage: 'HalfStorage',
      shape: [HOLE / 2],
      data: { hole: HOLE },
    }));
    for (const [k, t] of tiny) {
      if (k === 'text_model.embeddings.position_ids') continue;
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      teBytes += bytes.length;
      tensors.push({ name: `cond_stage_model.transformer.${k}`, storage: 'FloatStorage', shape: t.shape, data: bytes });
    }
    const ids = new BigInt64Array(77).map((_, i) => BigInt(i));
    tensors.push({ name: 'cond_stage_model.transformer.text_model.embeddings.position_ids', storage: 'LongStorage', shape: [1, 77], data: new Uint8Array(ids.buffer) });
    tensors.push({ name: 'first_stage_model.decoder.conv_in.weight', storage: 'HalfStorage', shape: [4], data: new Uint8Array(8) });
    size = await writeCkpt(path.join(dir, 'sd1.ckpt'), tensors);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the pickle, the directory and the text encoder storages; the 5 GiB UNet never', async () => {
    expect(size).toBeGreaterThan(UNET * HOLE);
    const counted = countingFolder(dir);
    const start = performance.now();
    const opened = await openTextModelCheckpoint(counted.files, { singleFile: { file: 'sd1.ckpt', config: MINI } });
    let n = 0;
    for await (const w of opened.weights()) {
      const want = tiny.get(w.name)!;
      expect(w.shape).toEqual(want.shape);
      expect(w.data.findIndex((x, i) => x !== want.data[i]), w.name).toBe(-1);
      n++;
    }
    const seconds = (performance.now() - start) / 1000;
    expect(n).toBe([...tiny.keys()].filter((k) => !k.endsWith('position_ids')).length);
    // Beyond the weights: the directory, the local headers and the pickle (a few kB each).
    const overhead = counted.bytes() - teBytes;
    expect(overhead).toBeGreaterThan(0);
    expect(overhead).toBeLessThan(200_000);
    expect(seconds).toBeLessThan(10); // ~0.1 s here; reading the hole would take tens of seconds
    console.log(`sd1.ckpt (${(size / 1024 ** 3).toFixed(2)} GiB): ${counted.bytes()} bytes read (${teBytes} of weights) in ${seconds.toFixed(2)} s`);
  });

  it('telling what it is reads the zip directory and the pickle only', async () => {
    const counted = countingFolder(dir);
    const tensors = await openSingleFileTensors((await counted.files.openBytes('sd1.ckpt'))!);
    expect(detectSingleFile(tensors.tensors.map((t) => t.name), 'sd1.ckpt').kind).toBe('sd1');
    await tensors.close();
    expect(counted.bytes()).toBeLessThan(100_000);
  });
});

describe('hostile or broken older files', () => {
  /** A legacy torch.save stream: magic, protocol, sys_info, `object`, keys, then raw storages. */
  function legacy(object: Uint8Array, keys: string[], storages: Uint8Array[], littleEndian = true): Uint8Array {
    const magic = new PickleWriter().proto(2).long(0x1950a86a20f9469cfc6cn).stop().bytes();
    const protocol = new PickleWriter().proto(2).int(1001).stop().bytes();
    const info = new PickleWriter().proto(2).emptyDict().str('little_endian').bool(littleEndian).setitem().stop().bytes();
    const list = new PickleWriter().proto(2).emptyList().mark();
    for (const k of keys) list.str(k);
    const parts = [magic, protocol, info, object, list.appends().stop().bytes(), ...storages];
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  /** `{'w': tensor}` over storage '0' of `numel` floats, with the legacy 6-tuple persistent id. */
  function objectPickle(numel: number, viewMetadata = false): Uint8Array {
    const p = new PickleWriter().proto(2).emptyDict().str('w').global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(numel);
    if (viewMetadata) p.str('0').int(0).int(numel).tuple3();
    else p.none();
    p.tuple().persid().int(0).int(numel).tuple1().int(1).tuple1().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    return p.setitem().stop().bytes();
  }
  const storage = (values: number[]): Uint8Array => {
    const out = new Uint8Array(8 + values.length * 4);
    new DataView(out.buffer).setBigInt64(0, BigInt(values.length), true);
    out.set(new Uint8Array(Float32Array.from(values).buffer), 8);
    return out;
  };

  it('reads a well-formed legacy stream written here, byte for byte as torch lays it out', async () => {
    const file = await readTorchFile(legacy(objectPickle(3), ['0'], [storage([1, 2, 3])]), { name: 'ok.pt' });
    expect([...(await torchStateDict(file.root, 'ok.pt').get('w')!.read())]).toEqual([1, 2, 3]);
  });

  it('names the file and what is wrong: truncated storages, a count that disagrees, unknown keys, big-endian, views', async () => {
    await expect(readTorchFile(legacy(objectPickle(3), ['0'], [storage([1, 2])]), { name: 'short.pt' })).rejects.toThrow(/short\.pt: its 1 storages need \d+ bytes, the file has \d+: truncated/);
    const lying = storage([1, 2, 3]);
    new DataView(lying.buffer).setBigInt64(0, 5n, true);
    const f = await readTorchFile(legacy(objectPickle(3), ['0'], [lying]), { name: 'count.pt' });
    await expect(torchStateDict(f.root, 'count.pt').get('w')!.read()).rejects.toThrow(/count\.pt: storage 0 at offset \d+ stores 5 elements, the pickle says 3/);
    await expect(readTorchFile(legacy(objectPickle(3), ['0', '1'], [storage([1, 2, 3])]), { name: 'keys.pt' })).rejects.toThrow(/keys\.pt: storage key "1" is listed but no tensor/);
    await expect(readTorchFile(legacy(objectPickle(3), [], []), { name: 'nokeys.pt' })).rejects.toThrow(/storage 0 is used by a tensor but missing from the storage key list/);
    await expect(readTorchFile(legacy(objectPickle(3), ['0'], [storage([1, 2, 3])], false), { name: 'be.pt' })).rejects.toThrow(/be\.pt: a legacy torch file not written little-endian/);
    await expect(readTorchFile(legacy(objectPickle(3, true), ['0'], [storage([1, 2, 3])]), { name: 'view.pt' })).rejects.toThrow(
      /view\.pt \(legacy torch file, object\): a storage view \(legacy view_metadata.*pickle opcode at offset \d+/,
    );
  });

  it('refuses a global outside the allow-list in a .ckpt as before, naming file and offset', async () => {
    const evil = new PickleWriter().proto(2).global('pytorch_lightning.trainer', 'Trainer').emptyTuple().reduce().stop().bytes();
    await expect(readTorchFile(legacy(evil, [], []), { name: 'evil.ckpt' })).rejects.toThrow(/evil\.ckpt \(legacy torch file, object\): refuses global pytorch_lightning\.trainer\.Trainer.*offset \d+/);
    // A class allowed only as data is not called.
    const called = new PickleWriter().proto(2).global('pytorch_lightning.callbacks.model_checkpoint', 'ModelCheckpoint').emptyTuple().reduce().stop().bytes();
    await expect(readTorchFile(legacy(called, [], []), { name: 'call.ckpt' })).rejects.toThrow(TorchFileError);
  });

  it('telling the format by the first bytes keeps them for a stream: safetensors single files and LoRAs still read from a URL', async () => {
    const streamed = (bytes: Uint8Array) => async (): Promise<Response> =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(c) {
            for (let at = 0; at < bytes.length; at += 5) c.enqueue(bytes.slice(at, at + 5)); // chunks smaller than the probe
            c.close();
          },
        }),
        { headers: { 'content-length': String(bytes.length) } },
      );
    const lycoris = Uint8Array.from(readFileSync(path.join(EXTRAS, 'lycoris-lokr-sd1.safetensors')));
    const fromUrl = await readLora('https://example.invalid/lokr.safetensors', { fetch: streamed(lycoris) });
    const local = await readLora(path.join(EXTRAS, 'lycoris-lokr-sd1.safetensors'));
    expect([...fromUrl.encoders.get('text_encoder')!.keys()]).toEqual([...local.encoders.get('text_encoder')!.keys()]);
    const single = serializeSafetensors({ 'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight': { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) } });
    expect(await inspectSingleFile('https://example.invalid/x.safetensors', { fetch: streamed(single) })).toMatchObject({ kind: 'sd1', format: 'safetensors' });
  });

  it('a file that is neither is named so, with its first bytes', async () => {
    await expect(inspectSingleFile(new TextEncoder().encode('this is not a checkpoint at all'), { name: 'notes.ckpt' })).rejects.toThrow(
      /notes\.ckpt: neither a safetensors file nor a torch checkpoint \(\.ckpt: a torch\.save zip or legacy stream\); it starts 74 68 69 73/,
    );
  });

  it('a stream that cannot go back (a URL) gets a .ckpt refused at its first bytes, not downloaded', async () => {
    const bytes = legacy(objectPickle(3), ['0'], [storage([1, 2, 3])]);
    const MB = 1024 * 1024;
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(pulled++ === 0 ? bytes : new Uint8Array(MB));
        if (pulled > 100) c.close();
      },
    });
    const response = new Response(body, { headers: { 'content-length': String(bytes.length + 100 * MB) } });
    await expect(inspectSingleFile('https://example.invalid/model.ckpt', { fetch: async () => response })).rejects.toThrow(
      /model\.ckpt: a torch legacy checkpoint \(\.ckpt\) cannot be read from a stream that only goes forward.*download it/,
    );
    expect(pulled).toBeLessThan(5);
  });
});
