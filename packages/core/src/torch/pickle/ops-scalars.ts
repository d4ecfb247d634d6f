import type { Opcode } from './opcode.js';

/** None, booleans, integers and floats. */

export const SCALAR_OPS: Opcode[] = [
  { code: 0x4e, name: 'NONE', run: (m) => m.push(null) },
  { code: 0x88, name: 'NEWTRUE', run: (m) => m.push(true) },
  { code: 0x89, name: 'NEWFALSE', run: (m) => m.push(false) },
  { code: 0x4b, name: 'BININT1', run: (m) => m.push(m.u8()) },
  { code: 0x4d, name: 'BININT2', run: (m) => m.push(m.u16()) },
  { code: 0x4a, name: 'BININT', run: (m) => m.push(m.i32()) },
  {
    code: 0x8a,
    name: 'LONG1',
    run(m) {
      // n little-endian two's complement bytes; a number when it fits exactly, else a bigint.
      const n = m.u8();
      const bytes = m.raw(n);
      let v = 0n;
      for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
      if (n > 0 && bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
      m.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    },
  },
  { code: 0x47, name: 'BINFLOAT', run: (m) => m.push(m.f64be()) },
];
