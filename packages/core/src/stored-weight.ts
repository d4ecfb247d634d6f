import { CheckpointError, iterateCheckpoint, nonFiniteError, type OpenCheckpoint } from './checkpoint.js';
import { f8E4M3BytesToFloat32, f8E5M2BytesToFloat32, firstNonFinite, float32ToHalfBits, floatBytesToFloat32, type SafetensorsDtype } from './safetensors/dtypes.js';

/**
 * A weight kept in 16 bits where the file has 16 or fewer (F16 and BF16 as stored; F8 widened to
 * F16, which holds every F8_E4M3 and F8_E5M2 value exactly), F32 as stored, F64 narrowed to F32:
 * for engines that compute in float32 but keep weights small (ONNX Runtime casts per node).
 * `scale` is ComfyUI's scale_weight, to multiply by after widening (null: none).
 */
export interface StoredWeight {
  name: string;
  shape: number[];
  dtype: 'F32' | 'F16' | 'BF16';
  /** Float32Array for F32; the 16-bit patterns for F16 / BF16. */
  data: Float32Array | Uint16Array;
  scale: number | null;
}

let e4m3Half: Uint16Array | null = null;
let e5m2Half: Uint16Array | null = null;

function f8ToHalfTable(dtype: 'F8_E4M3' | 'F8_E5M2'): Uint16Array {
  if (dtype === 'F8_E5M2') {
    e5m2Half ??= Uint16Array.from({ length: 256 }, (_, b) => b << 8); // the top byte of a float16
    return e5m2Half;
  }
  if (!e4m3Half) {
    const values = f8E4M3BytesToFloat32(Uint8Array.from({ length: 256 }, (_, b) => b));
    e4m3Half = Uint16Array.from(values, (v) => float32ToHalfBits(v)); // exact: 3 mantissa bits, exponents 2^-9 .. 2^8
  }
  return e4m3Half;
}

/**
 * The index of the first NaN or infinity among 16-bit float patterns (exponent all ones), or -1.
 * Two at a time where the array is 4-aligned: with the sign bits cleared, adding the smallest
 * non-finite pattern's complement carries into a lane's top bit exactly when that lane's exponent
 * is all ones (no carry crosses lanes: 0x7fff + 0x0400 < 0x10000). About twice as fast on the
 * hundreds of millions of values of a large checkpoint.
 */
function firstNonFiniteHalf(bits: Uint16Array, dtype: 'F16' | 'BF16'): number {
  const mask = dtype === 'F16' ? 0x7c00 : 0x7f80;
  const slow = (from: number): number => {
    for (let i = from; i < bits.length; i++) if ((bits[i]! & mask) === mask) return i;
    return -1;
  };
  if (bits.byteOffset % 4 !== 0) return slow(0);
  const add = dtype === 'F16' ? 0x04000400 : 0x00800080; // 0x8000 - mask, in both lanes
  const pairs = new Uint32Array(bits.buffer, bits.byteOffset, bits.length >> 1);
  for (let i = 0; i < pairs.length; i++) {
    if ((((pairs[i]! & 0x7fff7fff) + add) & 0x80008000) !== 0) {
      if ((bits[2 * i]! & mask) === mask) return 2 * i;
      if ((bits[2 * i + 1]! & mask) === mask) return 2 * i + 1;
    }
  }
  return slow(2 * pairs.length); // an odd last value
}

/**
 * A stored tensor's bytes as a StoredWeight, checked finite (a NaN or infinity is a
 * CheckpointError naming the tensor, its file and the element, as on the float32 path).
 */
export function toStoredWeight(
  name: string,
  file: string,
  dtype: SafetensorsDtype,
  shape: number[],
  bytes: Uint8Array,
  scale: number | null,
): StoredWeight {
  let out: StoredWeight;
  if (dtype === 'F32' || dtype === 'F64') {
    const data = floatBytesToFloat32(dtype, bytes);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw nonFiniteError(name, file, shape, bad, data[bad]!);
    return { name, shape, dtype: 'F32', data, scale };
  }
  if (dtype === 'F16' || dtype === 'BF16') {
    // A view where the bytes are 2-aligned (a reader's fresh buffer): no copy of a 16-bit checkpoint.
    const data = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1) : new Uint16Array(new Uint8Array(bytes).buffer);
    out = { name, shape, dtype, data, scale };
  } else if (dtype === 'F8_E4M3' || dtype === 'F8_E5M2') {
    const table = f8ToHalfTable(dtype);
    out = { name, shape, dtype: 'F16', data: Uint16Array.from(bytes, (b) => table[b]!), scale };
  } else {
    throw new CheckpointError(`${file}: weight "${name}" has dtype ${dtype}, not a float dtype`);
  }
  const bits = out.data as Uint16Array;
  const bad = firstNonFiniteHalf(bits, out.dtype as 'F16' | 'BF16');
  if (bad >= 0) {
    const value = dtype === 'F8_E4M3' ? f8E4M3BytesToFloat32(bytes.subarray(bad, bad + 1))[0]! : dtype === 'F8_E5M2' ? f8E5M2BytesToFloat32(bytes.subarray(bad, bad + 1))[0]! : floatBytesToFloat32(dtype, bytes.subarray(2 * bad, 2 * bad + 2))[0]!;
    throw nonFiniteError(name, file, shape, bad, value);
  }
  return out;
}

/** A stored tensor's bytes widened to float32 and multiplied by `scale` in float32 (as ComfyUI's `weight * scale_weight`), checked finite. */
export function toFloat32Weight(name: string, file: string, dtype: SafetensorsDtype, shape: readonly number[], bytes: Uint8Array, scale: number | null): Float32Array {
  const data = floatBytesToFloat32(dtype, bytes);
  let bad = firstNonFinite(data);
  if (bad >= 0) throw nonFiniteError(name, file, shape, bad, data[bad]!);
  if (scale !== null) {
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * scale; // float32 * float32, rounded once on store (the exact product fits a double)
    bad = firstNonFinite(data);
    if (bad >= 0) throw nonFiniteError(`${name} * scale_weight (${scale})`, file, shape, bad, data[bad]!);
  }
  return data;
}

/**
 * iterateCheckpointFloat32's stream with each weight kept in its stored width (toStoredWeight):
 * the expected tensors shard by shard in file order, checked finite, one tensor's bytes at a time.
 */
export function iterateCheckpointStored(checkpoint: OpenCheckpoint, expected: ReadonlyMap<string, readonly number[]>): AsyncGenerator<StoredWeight> {
  return iterateCheckpoint(checkpoint, expected, (info, bytes, file) => toStoredWeight(info.name, file, info.dtype, info.shape, bytes, null));
}
