import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { PickleWriter } from './torch-writer.js';

/**
 * Writes a `.ckpt` as torch.save lays one out (PyTorch's PyTorchStreamWriter): `archive/data.pkl`
 * first, then `archive/data/<key>` per storage with its data aligned to 64 bytes (an 'FB' extra
 * field of padding), then `archive/version`, the central directory, and zip64 records once
 * offsets pass 4 GiB. The pickle is protocol 2 `{'state_dict': {name: tensor}, 'global_step': N}`
 * as pytorch_lightning saved SD checkpoints. A storage given as `{ hole: bytes }` is left a hole
 * in a sparse file: a multi-GB UNet costs no disk and, if ever read, gives zeros slowly, so a test
 * can hold that it is never read (its CRC is left 0; each hole stays under 4 GiB, sizes are not zip64).
 */

export interface CkptTensor {
  name: string;
  /** torch storage class: 'HalfStorage', 'FloatStorage', 'LongStorage'... */
  storage: string;
  shape: number[];
  /** The stored bytes, or the size of a hole left unwritten. */
  data: Uint8Array | { hole: number };
}

const ALIGN = 64;
const U32_MAX = 0xffffffff;
const ELEMENT_BYTES: Record<string, number> = { HalfStorage: 2, BFloat16Storage: 2, FloatStorage: 4, DoubleStorage: 8, LongStorage: 8, IntStorage: 4 };

const byteLength = (d: CkptTensor['data']): number => (d instanceof Uint8Array ? d.length : d.hole);

function statePickle(tensors: readonly CkptTensor[], globalStep: number): Uint8Array {
  const p = new PickleWriter().proto(2).emptyDict().str('state_dict').emptyDict().mark();
  tensors.forEach((t, key) => {
    const numel = byteLength(t.data) / ELEMENT_BYTES[t.storage]!;
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    p.str(t.name).tensor({ key: String(key), numel, size: t.shape, stride, storage: t.storage });
  });
  return p.setitems().setitem().str('global_step').int(globalStep).setitem().stop().bytes();
}

/** Writes the checkpoint to `path`; returns its size in bytes. */
export async function writeCkpt(path: string, tensors: readonly CkptTensor[], globalStep = 470000): Promise<number> {
  const entries: { name: string; data: CkptTensor['data'] }[] = [
    { name: 'archive/data.pkl', data: statePickle(tensors, globalStep) },
    ...tensors.map((t, key) => ({ name: `archive/data/${key}`, data: t.data })),
    { name: 'archive/version', data: new TextEncoder().encode('3\n') },
  ];
  const file = await open(path, 'w');
  try {
    const put = async (bytes: Uint8Array, at: number): Promise<void> => void (await file.write(bytes, 0, bytes.length, at));
    const directory: Uint8Array[] = [];
    let at = 0;
    for (const { name, data } of entries) {
      const n = new TextEncoder().encode(name);
      const size = byteLength(data);
      if (size >= U32_MAX) throw new Error(`${name}: ${size} bytes: this writer keeps sizes under 4 GiB`);
      const crc = data instanceof Uint8Array ? crc32(data) : 0;
      // Padding so the data starts on a multiple of 64 (the extra field's own 4 bytes included).
      const pad = (ALIGN - ((at + 30 + n.length + 4) % ALIGN)) % ALIGN;
      const local = new Uint8Array(30 + n.length + 4 + pad);
      const lv = new DataView(local.buffer);
      lv.setUint32(0, 0x04034b50, true);
      lv.setUint16(4, 45, true);
      lv.setUint32(14, crc, true);
      lv.setUint32(18, size, true);
      lv.setUint32(22, size, true);
      lv.setUint16(26, n.length, true);
      lv.setUint16(28, 4 + pad, true);
      local.set(n, 30);
      lv.setUint16(30 + n.length, 0x4246, true); // 'FB'
      lv.setUint16(32 + n.length, pad, true);
      local.fill(0x5a, 34 + n.length); // 'Z'
      await put(local, at);
      if (data instanceof Uint8Array) await put(data, at + local.length);
      // Central directory entry, with a zip64 extra field holding the offset once it passes 4 GiB.
      const far = at >= U32_MAX;
      const cd = new Uint8Array(46 + n.length + (far ? 12 : 0));
      const cv = new DataView(cd.buffer);
      cv.setUint32(0, 0x02014b50, true);
      cv.setUint16(4, 45, true);
      cv.setUint16(6, 45, true);
      cv.setUint32(16, crc, true);
      cv.setUint32(20, size, true);
      cv.setUint32(24, size, true);
      cv.setUint16(28, n.length, true);
      cv.setUint16(30, far ? 12 : 0, true);
      cv.setUint32(42, far ? U32_MAX : at, true);
      cd.set(n, 46);
      if (far) {
        cv.setUint16(46 + n.length, 0x0001, true);
        cv.setUint16(48 + n.length, 8, true);
        cv.setBigUint64(50 + n.length, BigInt(at), true);
      }
      directory.push(cd);
      at += local.length + size;
    }
    const cdOffset = at;
    const cdSize = directory.reduce((a, d) => a + d.length, 0);
    for (const cd of directory) {
      await put(cd, at);
      at += cd.length;
    }
    const zip64 = cdOffset >= U32_MAX;
    if (zip64) {
      const record = new Uint8Array(56);
      const rv = new DataView(record.buffer);
      rv.setUint32(0, 0x06064b50, true);
      rv.setBigUint64(4, 44n, true);
      rv.setUint16(12, 45, true);
      rv.setUint16(14, 45, true);
      rv.setBigUint64(24, BigInt(entries.length), true);
      rv.setBigUint64(32, BigInt(entries.length), true);
      rv.setBigUint64(40, BigInt(cdSize), true);
      rv.setBigUint64(48, BigInt(cdOffset), true);
      const locator = new Uint8Array(20);
      const lv = new DataView(locator.buffer);
      lv.setUint32(0, 0x07064b50, true);
      lv.setBigUint64(8, BigInt(at), true);
      lv.setUint32(16, 1, true);
      await put(record, at);
      await put(locator, at + 56);
      at += 76;
    }
    const eocd = new Uint8Array(22);
    const ev = new DataView(eocd.buffer);
    ev.setUint32(0, 0x06054b50, true);
    ev.setUint16(8, entries.length, true);
    ev.setUint16(10, entries.length, true);
    ev.setUint32(12, cdSize, true);
    ev.setUint32(16, zip64 ? U32_MAX : cdOffset, true);
    await put(eocd, at);
    return at + 22;
  } finally {
    await file.close();
  }
}
