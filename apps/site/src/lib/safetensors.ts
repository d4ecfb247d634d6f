// A small safetensors reader (8-byte little-endian header length, JSON header, raw data) for the
// reference outputs the pages and the e2e test compare against. Values widen to Float64Array.

export interface NamedTensor {
  dtype: string;
  shape: number[];
  data: Float64Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

export function readSafetensors(bytes: Uint8Array): Map<string, NamedTensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, HeaderEntry | Record<string, string>>;
  const base = 8 + headerLength;
  const out = new Map<string, NamedTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [start, end] } = entry as HeaderEntry;
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(size);
    const at = base + start;
    const width = (end - start) / Math.max(size, 1);
    for (let i = 0; i < size; i++) {
      const o = at + i * width;
      switch (dtype) {
        case 'F32': data[i] = view.getFloat32(o, true); break;
        case 'F64': data[i] = view.getFloat64(o, true); break;
        case 'F16': data[i] = halfToFloat(view.getUint16(o, true)); break;
        case 'I64': data[i] = Number(view.getBigInt64(o, true)); break;
        case 'I32': data[i] = view.getInt32(o, true); break;
        case 'BOOL': case 'U8': data[i] = view.getUint8(o); break;
        default: throw new Error(`safetensors: dtype ${dtype} of ${name} is not supported here`);
      }
    }
    out.set(name, { dtype, shape, data });
  }
  return out;
}
