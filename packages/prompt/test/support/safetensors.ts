import * as fs from 'node:fs';

/** A test-only safetensors reader (F32, F16, I64), widening floats to Float32Array. */
export interface LoadedTensor {
  dims: number[];
  data: Float32Array;
}

function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

export function readSafetensors(path: string): Map<string, LoadedTensor> {
  const buf = fs.readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + n;
  const out = new Map<string, LoadedTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    const bytes = buf.subarray(base + start, base + end);
    const count = info.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      if (info.dtype === 'F32') data[i] = bytes.readFloatLE(i * 4);
      else if (info.dtype === 'F16') data[i] = f16ToF32(bytes.readUInt16LE(i * 2));
      else if (info.dtype === 'I64') data[i] = Number(bytes.readBigInt64LE(i * 8));
      else throw new Error(`dtype ${info.dtype}`);
    }
    out.set(name, { dims: info.shape, data });
  }
  return out;
}
