import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  folderFiles,
  loadSafetensors,
  openTextModelCheckpoint,
  toFloat32,
  toStoredWeight,
  writeSafetensorsFile,
  type SafetensorsEntry,
  type StoredWeight,
} from '../src/index.js';

/**
 * The CLIP checkpoint's stored-width stream (storedWeights): what the ONNX engine hands
 * onnxruntime-web, which widens 16-bit weights itself. It must be the float32 stream's weights,
 * bit for bit once widened, in half the bytes; and widened wherever the weights are changed.
 */

const TINY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models/fixtures/models/sd2-tiny/text_model');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-stored-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * sd2-tiny (stored float16) as stored, or its weights as bfloat16 (the float16 values' top 16
 * bits after widening: exact enough for a stream test), `poison` setting one element to NaN.
 */
async function checkpoint(dtype: 'F16' | 'BF16', poison?: { key: string; index: number }): Promise<string> {
  const dir = fs.mkdtempSync(path.join(tmp, `${dtype}-`));
  fs.copyFileSync(path.join(TINY, 'config.json'), path.join(dir, 'config.json'));
  const file = await loadSafetensors(path.join(TINY, 'model.safetensors'));
  const entries = [...file.tensors].map(([key, t]): [string, SafetensorsEntry] => {
    if (t.dtype !== 'F16') return [key, { dtype: 'I64', shape: t.shape, data: t.data as BigInt64Array }]; // position_ids
    const half = Uint16Array.from(t.data as Uint16Array);
    const out = dtype === 'F16' ? half : Uint16Array.from(new Uint32Array(toFloat32('F16', half).buffer), (b) => b >>> 16);
    if (poison?.key === key) out[poison.index] = dtype === 'F16' ? 0x7e00 : 0x7fc0; // NaN
    return [key, { dtype, shape: t.shape, data: out }];
  });
  await writeSafetensorsFile(path.join(dir, 'model.safetensors'), entries);
  return dir;
}

/** Whether two float32 arrays hold the same bits (vitest's deep equality is slow at 1.6M elements). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

async function collect(dir: string, options: Parameters<typeof openTextModelCheckpoint>[1] = {}): Promise<{ stored: StoredWeight[]; widened: Map<string, Float32Array> }> {
  const stored: StoredWeight[] = [];
  const a = await openTextModelCheckpoint(folderFiles(dir), options);
  for await (const w of a.storedWeights()) stored.push(w);
  const widened = new Map<string, Float32Array>();
  const b = await openTextModelCheckpoint(folderFiles(dir), options);
  for await (const w of b.weights()) widened.set(w.name, w.data);
  return { stored, widened };
}

describe('storedWeights', () => {
  it.each(['F16', 'BF16'] as const)('keeps %s weights as stored, the float32 stream once widened', async (dtype) => {
    const dir = await checkpoint(dtype);
    const { stored, widened } = await collect(dir);
    expect(stored.map((w) => w.name)).toEqual([...widened.keys()]);
    for (const w of stored) {
      expect(w.dtype, w.name).toBe(dtype);
      expect(w.data).toBeInstanceOf(Uint16Array);
      expect(sameBits(toFloat32(dtype, w.data), widened.get(w.name)!), w.name).toBe(true);
    }
  });

  it('comes widened (F32) when the weights are changed: extra embedding rows', async () => {
    const dir = await checkpoint('F16');
    const extra = { dim: 32, count: 2, data: Float32Array.from({ length: 64 }, (_, i) => i / 64) };
    const { stored, widened } = await collect(dir, { extraEmbeddings: extra });
    for (const w of stored) {
      expect(w.dtype, w.name).toBe('F32');
      expect(sameBits(w.data as Float32Array, widened.get(w.name)!), w.name).toBe(true);
    }
    expect(stored.find((w) => w.name === 'text_model.embeddings.token_embedding.weight')!.shape).toEqual([49410, 32]);
  });

  it('refuses a NaN in a 16-bit weight, naming the tensor, the file and the element', async () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const dir = await checkpoint(dtype, { key: 'text_model.encoder.layers.1.mlp.fc2.weight', index: 129 }); // [32, 128]: row 1, column 1
      const opened = await openTextModelCheckpoint(folderFiles(dir));
      const drain = async (): Promise<number> => {
        let n = 0;
        for await (const _ of opened.storedWeights()) n++;
        return n;
      };
      const error = await drain().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as Error).message).toMatch(/model\.safetensors: weight "text_model\.encoder\.layers\.1\.mlp\.fc2\.weight" holds NaN at \[1, 1\]/);
    }
  });
});

describe('the 16-bit finite check', () => {
  // It reads two values at a time where it can: every pattern, at both positions of a pair, on
  // aligned and unaligned bytes, must be judged as one at a time would.
  it.each([
    ['F16', 0x7c00],
    ['BF16', 0x7f80],
  ] as const)('%s: every finite pattern passes, every NaN and infinity is found where it is', (dtype, mask) => {
    const finite = Uint16Array.from({ length: 65536 }, (_, h) => h).filter((h) => (h & mask) !== mask);
    for (const shift of [0, 2]) {
      const bytes = new Uint8Array(finite.byteLength + shift);
      bytes.set(new Uint8Array(finite.buffer), shift);
      expect(toStoredWeight('w', 'f', dtype, [finite.length], bytes.subarray(shift), null).data.length).toBe(finite.length);
    }
    const one = dtype === 'F16' ? 0x3c00 : 0x3f80;
    for (let h = 0; h < 65536; h++) {
      if ((h & mask) !== mask) continue;
      for (const [at, length, shift] of [[h % 5, 5, 0], [h % 4, 4, 2], [0, 1, 0]] as const) {
        const values = new Uint16Array(length).fill(one);
        values[at] = h;
        const bytes = new Uint8Array(2 * length + shift);
        bytes.set(new Uint8Array(values.buffer), shift);
        expect(() => toStoredWeight('w', 'f', dtype, [length], bytes.subarray(shift), null), `0x${h.toString(16)} at ${at}`).toThrow(` at [${at}]`);
      }
    }
  });
});
