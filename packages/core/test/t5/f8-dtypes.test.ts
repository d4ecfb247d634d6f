import { describe, expect, it } from 'vitest';
import { f8E4M3BytesToFloat32, f8E5M2BytesToFloat32, toFloat32 } from '../../src/index.js';

const all = Uint8Array.from({ length: 256 }, (_, b) => b);

describe('F8 widening', () => {
  it('float8_e4m3fn: bias 7, subnormals, 448 at most, no infinities, NaN only at 0x7f / 0xff', () => {
    const v = f8E4M3BytesToFloat32(all);
    expect([v[0x00], v[0x01], v[0x07], v[0x08], v[0x38], v[0x39], v[0x7e], v[0xfe], v[0x80]]).toEqual([0, 2 ** -9, 7 * 2 ** -9, 2 ** -6, 1, 1.125, 448, -448, -0]);
    expect([...v].filter(Number.isNaN).length).toBe(2);
    expect(Number.isNaN(v[0x7f]) && Number.isNaN(v[0xff])).toBe(true);
    expect([...v].some((x) => x === Infinity || x === -Infinity)).toBe(false);
    // 254 distinct finite values (+0 and -0 compare equal), symmetric, increasing over 0x00..0x7e
    for (let b = 1; b < 0x7f; b++) expect(v[b]!).toBeGreaterThan(v[b - 1]!);
    for (let b = 0; b < 0x7f; b++) expect(v[b | 0x80]).toBe(-v[b]!);
  });

  it('float8_e5m2: the top byte of a float16 (IEEE infinities and NaNs)', () => {
    const v = f8E5M2BytesToFloat32(all);
    expect([v[0x3c], v[0x01], v[0x7b], v[0x7c], v[0xfc]]).toEqual([1, 2 ** -16, 57344, Infinity, -Infinity]);
    expect(Number.isNaN(v[0x7d])).toBe(true);
  });

  it('toFloat32 decodes F8 raw data (not as integers)', () => {
    expect([...toFloat32('F8_E4M3', Uint8Array.of(0x38, 0xb8))]).toEqual([1, -1]);
    expect([...toFloat32('F8_E5M2', Uint8Array.of(0x3c))]).toEqual([1]);
  });
});
