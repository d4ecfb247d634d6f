/**
 * A protobuf wire-format writer: just what ONNX's messages need (varints, fixed32 floats,
 * length-delimited strings, bytes and sub-messages). A message is a list of chunks, so a
 * 1 GB weight payload is appended by reference and never copied until the final write.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const encoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private size = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.size;
  }

  private byte(b: number): void {
    this.pending.push(b);
    this.size++;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.pending = [];
  }

  private rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
      let v = value;
      while (v >= 0x80) {
        this.byte((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.byte(v);
      return;
    }
    // Negative int64 (axes, Slice ends) is its 64-bit two's complement: 10 bytes.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  /** int32, int64, enum or bool field (negative values as int64). */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const x of b) this.byte(x);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  /** A length-delimited field; `value` is kept by reference. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.length);
    if (value.length <= 64) {
      for (const x of value) this.byte(x);
    } else {
      this.flush();
      this.chunks.push(value);
      this.size += value.length;
    }
    return this;
  }

  /** An embedded message; its chunks are shared, not copied. */
  message(field: number, value: ProtoWriter): this {
    this.tag(field, WIRE_LEN);
    this.rawVarint(value.length);
    this.flush();
    this.chunks.push(...value.finish());
    this.size += value.length;
    return this;
  }

  /** A packed repeated varint field. */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, concatChunks(inner.finish(), inner.length));
  }

  /** The encoded message as chunks, in order. */
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }

  /** The encoded message as one buffer. */
  toBytes(): Uint8Array {
    return concatChunks(this.finish(), this.size);
  }
}

/** One buffer from a list of chunks (the list's only chunk as is). */
export function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
