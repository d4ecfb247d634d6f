import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_HEADER_BYTES,
  f16BytesToFloat32,
  float32ToF16,
  loadSafetensors,
  loadSafetensorsHeader,
  readSafetensors,
  serializeSafetensors,
  toFloat32,
  toNumbers,
  writeSafetensorsFile,
} from '../src/index.js';

/** A raw file: 8-byte length + the given header JSON (as is) + data. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sdtext-st-'));

describe('safetensors writer + reader', () => {
  it('round-trips F32, F16, I64 and metadata', () => {
    const bytes = serializeSafetensors(
      {
        a: { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-3, 65504]) },
        h: { dtype: 'F16', shape: [3], data: new Float32Array([0.5, -1.25, 1 / 3]) },
        ids: { dtype: 'I64', shape: [1, 2], data: new BigInt64Array([49406n, 49407n]) },
      },
      { format: 'pt', note: 'test' },
    );
    expect((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8).toBe(0); // data section 8-aligned
    const file = readSafetensors(bytes, 'mem');
    expect(file.metadata).toEqual({ format: 'pt', note: 'test' });
    expect(Array.from(toFloat32('F32', file.tensors.get('a')!.data))).toEqual([1, -2, 3.5, 0, Math.fround(1e-3), 65504]);
    const h = file.tensors.get('h')!;
    expect(h.dtype).toBe('F16');
    expect(Array.from(toFloat32(h.dtype, h.data))).toEqual([0.5, -1.25, 0.333251953125]);
    expect(file.tensors.get('ids')!.data).toBeInstanceOf(BigInt64Array);
    expect(toNumbers(file.tensors.get('ids')!.data)).toEqual([49406, 49407]);
    expect(file.tensors.get('ids')!.shape).toEqual([1, 2]);
  });

  it('writes BF16 as the 16-bit patterns given (and refuses float32 data for it: no rounding rule is implied)', () => {
    const bits = Uint16Array.from([0x3f80, 0xc000, 0x7f80]); // 1, -2, +inf
    const file = readSafetensors(serializeSafetensors({ b: { dtype: 'BF16', shape: [3], data: bits } }), 'mem');
    const b = file.tensors.get('b')!;
    expect(b.dtype).toBe('BF16');
    expect(Array.from(toFloat32(b.dtype, b.data))).toEqual([1, -2, Infinity]);
    expect(() => serializeSafetensors({ b: { dtype: 'BF16', shape: [1], data: new Float32Array(1) } })).toThrow(/Float32Array data does not fit dtype BF16/);
  });

  it('converts float16 exactly (subnormals, inf, rounding to nearest even)', () => {
    const values = new Float32Array([0, -0, 1, 65504, 70000, 2 ** -24, 2 ** -25, 2 ** -25 * 1.5, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -Infinity]);
    const bits = float32ToF16(values);
    const back = f16BytesToFloat32(new Uint8Array(bits.buffer));
    expect(Array.from(back)).toEqual([0, -0, 1, 65504, Infinity, 2 ** -24, 0, 2 ** -24, 1, 1 + 2 * 2 ** -10, -Infinity]);
    expect(Number.isNaN(f16BytesToFloat32(new Uint8Array(float32ToF16(new Float32Array([NaN])).buffer))[0])).toBe(true);
  });

  it('widens BF16', () => {
    const bf = new Uint16Array([0x3f80, 0xc040, 0x3eab]); // 1, -3, ~0.333984375
    const file = readSafetensors(rawFile({ b: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }, new Uint8Array(bf.buffer)));
    expect(Array.from(toFloat32('BF16', file.tensors.get('b')!.data))).toEqual([1, -3, 0.333984375]);
  });

  it('writes a file atomically (temp file + rename), tensor data made on demand', async () => {
    const dir = tmpDir();
    const target = path.join(dir, 'model.safetensors');
    let made = 0;
    await writeSafetensorsFile(target, [
      ['x', { shape: [4], data: () => (made++, new Float32Array([1, 2, 3, 4])) }],
      ['y', { dtype: 'F16', shape: [2], data: () => (made++, new Float32Array([5, 6])) }],
    ]);
    expect(made).toBe(2);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']); // no temp file left
    const file = await loadSafetensors(target);
    expect(Array.from(file.tensors.get('x')!.data as Float32Array)).toEqual([1, 2, 3, 4]);

    // A failing write leaves neither the target nor a temp file.
    const bad = path.join(dir, 'bad.safetensors');
    await expect(
      writeSafetensorsFile(bad, { z: { shape: [3], data: () => new Float32Array(2) } }),
    ).rejects.toThrow('tensor "z": shape [3] has 3 elements, data has 2');
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
  });

  it('reads from a path, bytes, a Blob and a streamed URL alike', async () => {
    const bytes = serializeSafetensors({ a: { shape: [1000], data: Float32Array.from({ length: 1000 }, (_, i) => i) } });
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'f.safetensors'), bytes);
    const chunked = (): Response => {
      let i = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (i >= bytes.length) return c.close();
          c.enqueue(bytes.slice(i, i + 333)); // chunks that straddle header and tensor boundaries
          i += 333;
        },
      });
      return new Response(body, { headers: { 'content-length': String(bytes.length) } });
    };
    const progress: number[] = [];
    const fromUrl = await loadSafetensors('https://example.test/f.safetensors', {
      fetch: async () => chunked(),
      onProgress: (p) => progress.push(p.loaded),
    });
    for (const f of [await loadSafetensors(path.join(dir, 'f.safetensors')), await loadSafetensors(bytes), await loadSafetensors(new Blob([bytes])), fromUrl]) {
      expect((f.tensors.get('a')!.data as Float32Array)[999]).toBe(999);
    }
    expect(progress[progress.length - 1]).toBe(bytes.length);
    expect((await loadSafetensorsHeader(path.join(dir, 'f.safetensors'))).tensors[0]!.shape).toEqual([1000]);
  });
});

describe('safetensors errors name the file and what is wrong', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(4 * n);
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /bad\.st: too short to be safetensors \(5 bytes\)/],
    ['header length absurd', rawFile({}, undefined, 2n ** 60n), new RegExp(`bad\\.st: header length ${2n ** 60n} is over the ${MAX_HEADER_BYTES}-byte limit`)],
    ['header length past the end', rawFile({}, undefined, 1000n), /bad\.st: header length 1000 runs past the end of the file \(10 bytes\)/],
    ['bad header JSON', rawFile('{"a": {"dtype": "F32",'), /bad\.st: header is not valid JSON/],
    ['header not an object', rawFile('[1, 2]'), /bad\.st: header is not a JSON object/],
    ['unknown dtype', rawFile({ w: { dtype: 'F7', shape: [1], data_offsets: [0, 4] } }, f32(1)), /bad\.st: tensor "w": unknown dtype "F7"/],
    ['bad shape', rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /tensor "w": bad shape \[-1\]/],
    ['size mismatch', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)), /tensor "w": F32 \[2\] needs 8 bytes but data_offsets \[0, 4\] span 4/],
    ['offsets past the end', rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), /bad\.st: offsets past the end: "w" ends at data offset 16, but the data section has 8 bytes/],
    [
      'overlap',
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
      /tensor "b" at \[4, 12\) overlaps "a", which ends at 8/,
    ],
    [
      'hole',
      rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)),
      /hole in the data section: bytes \[4, 8\) belong to no tensor \(before "b"\)/,
    ],
    ['stray bytes', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /4 stray bytes after the last tensor/],
    ['bad metadata', rawFile({ __metadata__: { n: 1 } }), /__metadata__\.n must be a string/],
  ];
  for (const [name, bytes, message] of cases) {
    it(name, async () => {
      expect(() => readSafetensors(bytes, 'bad.st')).toThrow(message);
      await expect(loadSafetensors(bytes, { name: 'bad.st' })).rejects.toThrow(message);
    });
  }

  it('a truncated file names the file (path and stream)', async () => {
    const bytes = serializeSafetensors({ a: { shape: [64], data: new Float32Array(64) } });
    const cut = bytes.subarray(0, bytes.length - 10);
    const dir = tmpDir();
    const p = path.join(dir, 'cut.safetensors');
    fs.writeFileSync(p, cut);
    await expect(loadSafetensors(p)).rejects.toThrow(`${p}: offsets past the end: "a" ends at data offset 256`);
    // Without Content-Length the stream's end is where truncation shows.
    const fetchCut = async (): Promise<Response> => new Response(new Blob([cut]).stream());
    await expect(loadSafetensors('https://example.test/cut.safetensors', { fetch: fetchCut })).rejects.toThrow(
      /https:\/\/example\.test\/cut\.safetensors: file is truncated: needed bytes up to offset \d+, but it ends at \d+/,
    );
  });
});
