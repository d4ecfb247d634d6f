import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../src/onnx/proto-writer.js';

const bytes = (w: ProtoWriter): number[] => Array.from(w.toBytes());

describe('ProtoWriter (protobuf wire format)', () => {
  it('writes varints, including negative int64 as 10-byte two’s complement', () => {
    expect(bytes(new ProtoWriter().varint(1, 300))).toEqual([0x08, 0xac, 0x02]);
    expect(bytes(new ProtoWriter().varint(1, 0))).toEqual([0x08, 0x00]);
    expect(bytes(new ProtoWriter().varint(3, -1))).toEqual([0x18, ...Array<number>(9).fill(0xff), 0x01]);
    expect(bytes(new ProtoWriter().varint(1, 2 ** 40))).toEqual([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
  });

  it('writes fixed32 floats little-endian, strings and packed varints length-delimited', () => {
    expect(bytes(new ProtoWriter().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytes(new ProtoWriter().string(4, 'ab'))).toEqual([0x22, 0x02, 0x61, 0x62]);
    expect(bytes(new ProtoWriter().packedVarints(1, [1, 300, -1]))).toEqual([0x0a, 13, 0x01, 0xac, 0x02, ...Array<number>(9).fill(0xff), 0x01]);
  });

  it('nests messages by reference, large payloads uncopied until toBytes', () => {
    const payload = new Uint8Array(1000).fill(7);
    const inner = new ProtoWriter().bytes(9, payload);
    const outer = new ProtoWriter().varint(1, 5).message(7, inner);
    expect(outer.finish()).toContain(payload); // the same Uint8Array, not a copy
    const all = outer.toBytes();
    // 08 05 | 3a <len of inner = 1 + 2 + 1000> | 4a e8 07 <payload>
    expect(Array.from(all.subarray(0, 8))).toEqual([0x08, 0x05, 0x3a, 0xeb, 0x07, 0x4a, 0xe8, 0x07]);
    expect(all.length).toBe(8 + 1000);
    expect(outer.length).toBe(all.length);
  });
});
