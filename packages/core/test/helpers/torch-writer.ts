/**
 * Writes pickles opcode by opcode and wraps them in torch.save's zip layout, so tests can build
 * both real-shaped torch files and hostile ones byte for byte (no torch needed at test time).
 */

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

export class PickleWriter {
  private readonly out: number[] = [];

  /** Raw bytes (an opcode and its arguments). */
  raw(...bytes: number[]): this {
    return this.all(bytes);
  }
  /** Raw bytes from an array (no spread: hostile strings are megabytes). */
  all(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.out.push(bytes[i]!);
    return this;
  }
  proto(version = 2): this {
    return this.raw(0x80, version);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  mark(): this {
    return this.raw(0x28);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  tuple1(): this {
    return this.raw(0x85);
  }
  tuple2(): this {
    return this.raw(0x86);
  }
  tuple3(): this {
    return this.raw(0x87);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  append(): this {
    return this.raw(0x61);
  }
  appends(): this {
    return this.raw(0x65);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  persid(): this {
    return this.raw(0x51);
  }
  none(): this {
    return this.raw(0x4e);
  }
  bool(b: boolean): this {
    return this.raw(b ? 0x88 : 0x89);
  }
  /** BININT1 / BININT2 / BININT / LONG1, as pickle chooses. */
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a, ...u32le(n));
    return this.long(BigInt(n));
  }
  /** LONG1 of any integer. */
  long(n: bigint): this {
    const bytes: number[] = [];
    let v = n;
    for (;;) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
      if ((v === 0n && !(bytes.at(-1)! & 0x80)) || (v === -1n && bytes.at(-1)! & 0x80)) break;
    }
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.raw(0x47, ...b);
  }
  /** BINUNICODE. */
  str(s: string): this {
    const b = utf8(s);
    return this.raw(0x58, ...u32le(b.length)).all(b);
  }
  /** BINSTRING of raw bytes. */
  binstring(bytes: ArrayLike<number>): this {
    return this.raw(0x54, ...u32le(bytes.length)).all(bytes);
  }
  global(module: string, name: string): this {
    return this.raw(0x63).all(utf8(`${module}\n${name}\n`));
  }
  put(i: number): this {
    return i < 256 ? this.raw(0x71, i) : this.raw(0x72, ...u32le(i));
  }
  get(i: number): this {
    return i < 256 ? this.raw(0x68, i) : this.raw(0x6a, ...u32le(i));
  }
  /**
   * `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` over the storage
   * `('storage', torch.<type>, key, 'cpu', numel)`, as torch.save writes a tensor. `offset` may be
   * any number (a fractional one is written as a float) to write hostile views.
   */
  tensor(t: TensorSpec): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', t.storage ?? 'FloatStorage').str(t.key).str('cpu').int(t.numel).tuple().persid();
    if (Number.isInteger(t.offset ?? 0)) this.int(t.offset ?? 0);
    else this.float(t.offset!);
    this.mark();
    for (const d of t.size) this.int(d);
    this.tuple().mark();
    for (const d of t.stride) this.int(d);
    return this.tuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export interface TensorSpec {
  key: string;
  numel: number;
  size: number[];
  stride: number[];
  offset?: number;
  storage?: string;
}

/** A stored (uncompressed) zip of `entries`, laid out as torch.save writes it. */
export function storedZip(entries: readonly [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  const directory: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = new TextEncoder().encode(name);
    const local = new Uint8Array(30 + n.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, n.length, true);
    local.set(n, 30);
    const cd = new Uint8Array(46 + n.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, n.length, true);
    cv.setUint32(42, offset, true);
    cd.set(n, 46);
    parts.push(local, data);
    directory.push(cd);
    offset += local.length + data.length;
  }
  const cdSize = directory.reduce((a, d) => a + d.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...directory, eocd];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A torch.save file `x/data.pkl` + `x/data/<key>` storages (+ byteorder, version). */
export function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}): Uint8Array {
  return storedZip([
    ['x/data.pkl', pickle],
    ['x/byteorder', new TextEncoder().encode('little')],
    ...Object.entries(storages).map(([key, data]): [string, Uint8Array] => [`x/data/${key}`, data]),
    ['x/version', new TextEncoder().encode('3\n')],
  ]);
}

/** float32 values as a storage's bytes. */
export const floats = (values: readonly number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
