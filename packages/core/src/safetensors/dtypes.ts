/** The dtypes of the safetensors format, with their element sizes in bytes. */
export const SAFETENSORS_DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** Dtypes that widen (or narrow, F64) to float32 for model weights. */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

/**
 * The 8-bit floats (torch's float8_e4m3fn and float8_e5m2), which `floatBytesToFloat32` also
 * widens exactly. Families whose checkpoints ship in them (T5-XXL as ComfyUI stores it) admit
 * them; FLOAT_DTYPES (CLIP's loaders) does not.
 */
export const F8_DTYPES: readonly SafetensorsDtype[] = ['F8_E4M3', 'F8_E5M2'];

export function isSafetensorsDtype(s: string): s is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BYTES, s);
}

/**
 * A tensor's elements as stored, one typed array per dtype. F16 and BF16 stay as their raw 16-bit
 * patterns (Uint16Array), the F8 formats as raw bytes; `toFloat32` widens them.
 */
export type RawTensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int16Array
  | Uint8Array
  | Int8Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A fresh ArrayBuffer with `bytes` (not `bytes.slice()`: Node's Buffer.slice is a view). */
function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/**
 * Copies `bytes` (little-endian, as safetensors stores them) into a fresh, aligned typed array.
 * The copy matters twice: typed-array views need aligned offsets, and a view would keep the whole
 * file buffer alive.
 */
export function decodeRaw(dtype: SafetensorsDtype, bytes: Uint8Array): RawTensorData {
  const buf = copyBuffer(bytes);
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return new Float64Array(buf);
    case 'F16':
    case 'BF16':
    case 'U16':
      return new Uint16Array(buf);
    case 'I16':
      return new Int16Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'U32':
      return new Uint32Array(buf);
    case 'I64':
      return new BigInt64Array(buf);
    case 'U64':
      return new BigUint64Array(buf);
    case 'I8':
      return new Int8Array(buf);
    case 'BOOL':
    case 'U8':
    case 'F8_E5M2':
    case 'F8_E4M3':
      return new Uint8Array(buf);
  }
}

let halfTable: Float32Array | null = null;

/** float16 bit pattern -> float32, for all 65536 patterns (built on first use: 256 KiB). */
function getHalfTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24; // subnormal
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  halfTable = t;
  return t;
}

/** Widens little-endian float16 bytes to float32. */
export function f16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.length >> 1;
  const out = new Float32Array(n);
  const table = getHalfTable();
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = table[bytes[j]! | (bytes[j + 1]! << 8)]!;
  return out;
}

/** Widens little-endian bfloat16 bytes to float32: bf16 is the top half of a float32. */
export function bf16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const n = bytes.length >> 1;
  const bits = new Uint32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) bits[i] = ((bytes[j]! | (bytes[j + 1]! << 8)) << 16) >>> 0;
  return new Float32Array(bits.buffer);
}

let e4m3Table: Float32Array | null = null;

/**
 * float8_e4m3fn byte -> float32, for all 256 patterns: 1 sign, 4 exponent (bias 7) and 3 mantissa
 * bits; exponent 0 is subnormal (m/8 * 2^-6); no infinities, and only S.1111.111 (0x7f, 0xff)
 * is NaN, so the largest value is 1.75 * 2^8 = 448.
 */
function getE4M3Table(): Float32Array {
  if (e4m3Table) return e4m3Table;
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >> 3) & 0xf;
    const frac = b & 0x7;
    if (exp === 0xf && frac === 0x7) t[b] = NaN;
    else if (exp === 0) t[b] = sign * (frac / 8) * 2 ** -6;
    else t[b] = sign * (1 + frac / 8) * 2 ** (exp - 7);
  }
  e4m3Table = t;
  return t;
}

/** Widens float8_e4m3fn bytes to float32 (exact: every value is a float32). */
export function f8E4M3BytesToFloat32(bytes: Uint8Array): Float32Array {
  const table = getE4M3Table();
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/** Widens float8_e5m2 bytes to float32: e5m2 is the top byte of a float16 (IEEE infinities and NaNs). */
export function f8E5M2BytesToFloat32(bytes: Uint8Array): Float32Array {
  const table = getHalfTable();
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]! << 8]!;
  return out;
}

/** The float32 values of a float tensor's stored bytes (F32 copied, F16/BF16/F8 widened, F64 narrowed). */
export function floatBytesToFloat32(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  switch (dtype) {
    case 'F32':
      return new Float32Array(copyBuffer(bytes));
    case 'F16':
      return f16BytesToFloat32(bytes);
    case 'BF16':
      return bf16BytesToFloat32(bytes);
    case 'F64':
      return Float32Array.from(new Float64Array(copyBuffer(bytes)));
    case 'F8_E4M3':
      return f8E4M3BytesToFloat32(bytes);
    case 'F8_E5M2':
      return f8E5M2BytesToFloat32(bytes);
    default:
      throw new Error(`not a float dtype: ${dtype}`);
  }
}

/**
 * The index of the first NaN or ±Infinity in `values`, or -1: one pass over the bits (exponent all
 * ones), cheap next to the widening that produced them.
 */
export function firstNonFinite(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

/** Any raw tensor's values as float32 (F16/BF16/F8 widened, integers converted). */
export function toFloat32(dtype: SafetensorsDtype, data: RawTensorData): Float32Array {
  if (dtype === 'F16' || dtype === 'BF16') {
    const u16 = data as Uint16Array;
    return floatBytesToFloat32(dtype, new Uint8Array(u16.buffer, u16.byteOffset, u16.byteLength));
  }
  if (dtype === 'F8_E4M3' || dtype === 'F8_E5M2') return floatBytesToFloat32(dtype, data as Uint8Array);
  if (data instanceof Float32Array) return data.slice();
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, (v) => Number(v));
  return Float32Array.from(data as ArrayLike<number>);
}

/** Any integer raw tensor's values as plain numbers (I64 ids as numbers; exact below 2^53). */
export function toNumbers(data: RawTensorData): number[] {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, (v) => Number(v));
  return Array.from(data as ArrayLike<number>);
}

/** float32 bits -> float16 bits, rounding to nearest even (as numpy and PyTorch do). */
function halfBitsOf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp8 = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp8 === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  const exp = exp8 - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (exp <= 0) {
    if (exp < -10) return sign; // underflow -> signed zero
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry rolls into the exponent, as it should
  return half;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** One float32 value -> its float16 bit pattern. */
export function float32ToHalfBits(v: number): number {
  f32Scratch[0] = v;
  return halfBitsOf(u32Scratch[0]!);
}

/** float32 values -> float16 bit patterns. */
export function float32ToF16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfBitsOf(bits[i]!);
  return out;
}
