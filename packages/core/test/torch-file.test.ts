import { describe, expect, it } from 'vitest';
import { MAX_PICKLE_BYTES, TorchFileError, isTorchTensor, readTorchFile, type PickleValue, type TorchTensor } from '../src/index.js';
import { PickleWriter, floats, storedZip, torchZip } from './helpers/torch-writer.js';

/**
 * The torch reader against hostile files: each vector of issue 16 (memo bombs, expanded views,
 * recursion, huge strings, geometry) written byte for byte, plus the Python semantics it keeps.
 * Each of these failed (hung, crashed or read NaN) before the reader was reworked.
 */

const read = (pickle: PickleWriter, storages: Record<string, Uint8Array> = {}) => readTorchFile(torchZip(pickle.stop().bytes(), storages), { name: 'evil.pt' });
const root = async (pickle: PickleWriter, storages: Record<string, Uint8Array> = {}): Promise<PickleValue> => (await read(pickle, storages)).root;
const tensorAt = async (pickle: PickleWriter, storages: Record<string, Uint8Array>): Promise<TorchTensor> => {
  const r = await root(pickle, storages);
  if (!isTorchTensor(r)) throw new Error('not a tensor');
  return r;
};
/** The error, which must be a TorchFileError naming the pickle and an opcode offset. */
async function refusal(pickle: PickleWriter, storages: Record<string, Uint8Array> = {}): Promise<string> {
  const e = await read(pickle, storages).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TorchFileError);
  const message = (e as Error).message;
  expect(message).toMatch(/^evil\.pt\/x\/data\.pkl: .*\(pickle opcode at offset \d+\)$/s);
  return message;
}
const STORAGE = { '0': floats(Array.from({ length: 32 }, (_, i) => i)) };

describe('memo entries are shared, not copied', () => {
  it('reads 60 levels of tuples of the same list (2^60 leaves as a tree) at once, each level one object', async () => {
    // X0 = []; Xi = (Xi-1, Xi-1): 5 bytes a level. The old reader copied each reference: > 20 s, > 2 GB.
    const w = new PickleWriter().proto().emptyDict().str('x').emptyList().put(0);
    for (let i = 1; i <= 60; i++) w.get(i - 1).tuple2().put(i);
    const x = ((await root(w.setitem())) as Map<PickleValue, PickleValue>).get('x') as PickleValue[];
    let level = x;
    for (let i = 60; i > 0; i--) {
      expect(level[0]).toBe(level[1]);
      level = level[0] as PickleValue[];
    }
    expect(level).toEqual([]);
  });

  it('one tensor referenced twice is one tensor', async () => {
    const w = new PickleWriter().proto().mark().tensor({ key: '0', numel: 32, size: [32], stride: [1] }).put(0).get(0).tuple();
    const [a, b] = (await root(w, STORAGE)) as PickleValue[];
    expect(isTorchTensor(a) && a === b).toBe(true);
  });

  it('a list that holds itself (the 12-byte self-referencing pickle) reads as that list, no stack overflow', async () => {
    const list = (await root(new PickleWriter().proto().emptyList().put(0).get(0).append())) as PickleValue[];
    expect(list.length).toBe(1);
    expect(list[0]).toBe(list);
  });
});

describe('nothing recurses: deep nesting, huge strings and long argument lists', () => {
  it('reads lists nested 1,000,000 deep', async () => {
    const depth = 1_000_000;
    const w = new PickleWriter().proto();
    for (let i = 0; i < depth; i++) w.emptyList();
    for (let i = 1; i < depth; i++) w.append();
    let level = (await root(w)) as PickleValue[];
    let seen = 1;
    while (level.length > 0) {
      level = level[0] as PickleValue[];
      seen++;
    }
    expect(seen).toBe(depth);
  });

  it('reads tuples nested 1,000,000 deep (a million MARKs open at once)', async () => {
    const depth = 1_000_000;
    const w = new PickleWriter().proto();
    for (let i = 0; i < depth; i++) w.mark();
    w.emptyTuple();
    for (let i = 0; i < depth; i++) w.tuple();
    let level = (await root(w)) as PickleValue[];
    let seen = 0;
    while (level.length > 0) {
      level = level[0] as PickleValue[];
      seen++;
    }
    expect(seen).toBe(depth);
  });

  it('reads a 1 MB BINSTRING (String.fromCharCode(...bytes) overflowed the stack)', async () => {
    const s = await root(new PickleWriter().proto().binstring(new Uint8Array(1_000_000).fill(0x61)));
    expect(typeof s === 'string' && s.length).toBe(1_000_000);
    expect((s as string).slice(0, 3)).toBe('aaa');
  });

  it('refuses a 1 MB GLOBAL name by name, shortened, with the file and offset', async () => {
    const message = await refusal(new PickleWriter().proto().global('a'.repeat(1_000_000), 'b'));
    expect(message).toMatch(/refuses global a{120}\.\.\. \(1000002 characters\).*offset 2\)$/);
    expect(message.length).toBeLessThan(500);
  });

  it('reads a 500,000-item APPENDS (push(...items) overflowed the stack)', async () => {
    const w = new PickleWriter().proto().emptyList().mark();
    for (let i = 0; i < 500_000; i++) w.none();
    const list = (await root(w.appends())) as PickleValue[];
    expect(list.length).toBe(500_000);
  });
});

describe('tensor views are checked against their storage before anything is allocated', () => {
  it('refuses [3e7, 32] with stride (0, 1) over 32 floats (was 3.2 GB) and [1e9, 32] (was a bare RangeError)', async () => {
    for (const rows of [30_000_000, 1_000_000_000]) {
      const message = await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [rows, 32], stride: [0, 1] }), STORAGE);
      expect(message).toContain(`size [${rows}, 32] with stride (0, 1) at offset 0 has ${rows * 32} elements but storage 0 holds 32: an expanded view`);
    }
  });

  it('reads a small stride-0 view that fits its storage, and strided views, as torch does', async () => {
    const repeated = await tensorAt(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [3, 4], stride: [0, 1], offset: 2 }), STORAGE);
    expect([...(await repeated.read())]).toEqual([2, 3, 4, 5, 2, 3, 4, 5, 2, 3, 4, 5]);
    const transposed = await tensorAt(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [4, 2], stride: [1, 4] }), STORAGE);
    expect([...(await transposed.read())]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    const slice = await tensorAt(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [2, 3], stride: [3, 1], offset: 26 }), STORAGE);
    expect([...(await slice.read())]).toEqual([26, 27, 28, 29, 30, 31]);
  });

  it('refuses a view that reaches past its storage, with the element it reaches', async () => {
    const message = await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [2, 3], stride: [3, 1], offset: 27 }), STORAGE);
    expect(message).toContain('size [2, 3] with stride (3, 1) at offset 27 reaches element 32 of storage 0, which holds 32 float32 values');
    // Sizes whose product is far beyond 2^53: exact (BigInt), never rounded into range.
    const huge = await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [2 ** 31, 2 ** 31, 2 ** 31], stride: [0, 0, 0] }), STORAGE);
    expect(huge).toContain('has 9903520314283042199192993792 elements');
  });

  it('says "offset" for a negative or fractional storage offset (was read as NaN)', async () => {
    for (const [offset, shown] of [
      [-1, '-1'],
      [0.5, '0.5'],
    ] as const) {
      const message = await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [4], stride: [1], offset }), STORAGE);
      expect(message).toContain(`tensor storage offset must be a non-negative integer, got ${shown}`);
      expect(message).not.toContain('NaN');
    }
  });

  it('says "size" and "stride" for bad ones', async () => {
    expect(await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [-2], stride: [1] }), STORAGE)).toContain('tensor size must be a tuple of non-negative integers, got -2 at dimension 0');
    expect(await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [2], stride: [-1] }), STORAGE)).toContain('tensor stride must be a tuple of non-negative integers, got -1');
    expect(await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: [2, 2], stride: [1] }), STORAGE)).toContain('2 sizes but 1 strides');
    expect(await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 32, size: new Array<number>(65).fill(1), stride: new Array<number>(65).fill(1) }), STORAGE)).toContain(
      'tensor size has 65 dimensions, more than 64',
    );
  });

  it('checks the storage entry when the pickle names it: missing, or of another size', async () => {
    expect(await refusal(new PickleWriter().proto().tensor({ key: '7', numel: 32, size: [4], stride: [1] }), STORAGE)).toContain('storage 7 (x/data/7) is missing');
    expect(await refusal(new PickleWriter().proto().tensor({ key: '0', numel: 64, size: [4], stride: [1] }), STORAGE)).toContain('storage 0 holds 128 bytes, expected 64 float32 values (256 bytes)');
  });
});

describe('work is bounded by the pickle length', () => {
  it('refuses _codecs.encode of one memoized string again and again', async () => {
    const w = new PickleWriter().proto().emptyList().global('_codecs', 'encode').put(0).str('x'.repeat(10_000)).put(1).str('latin1').put(2).tuple2().reduce().append();
    for (let i = 0; i < 200; i++) w.get(0).get(1).get(2).tuple2().reduce().append();
    expect(await refusal(w)).toMatch(/builds more than \d+ objects, elements and bytes from its \d+ bytes/);
  });
});

describe("Python's semantics, kept", () => {
  it('refuses APPEND to a tuple, an odd SETITEMS, a list as a dict key, a global as data, and a missing memo entry', async () => {
    expect(await refusal(new PickleWriter().proto().emptyTuple().none().append())).toContain('APPEND to a tuple');
    expect(await refusal(new PickleWriter().proto().emptyDict().mark().none().setitems())).toContain('SETITEMS with an odd number of items (1)');
    expect(await refusal(new PickleWriter().proto().emptyDict().emptyList().none().setitem())).toContain('a dict key that is a list (unhashable)');
    expect(await refusal(new PickleWriter().proto().emptyList().global('torch', 'FloatStorage').append())).toContain('a list element is a global torch.FloatStorage, not data');
    expect(await refusal(new PickleWriter().proto().get(3))).toContain('memo 3 is not set');
    expect(await refusal(new PickleWriter().proto().raw(0x32))).toContain('unsupported pickle opcode 0x32 (DUP)');
  });

  it('reads BINUNICODE with lone surrogates as Python does (surrogatepass)', async () => {
    const w = new PickleWriter().proto().raw(0x58, 3, 0, 0, 0, 0xed, 0xa0, 0x80);
    expect(await root(w)).toBe('\ud800');
    expect(await refusal(new PickleWriter().proto().raw(0x58, 2, 0, 0, 0, 0xc3, 0x28))).toContain('a 2-byte string that is not valid UTF-8');
  });

  it('reads LONG1 integers exactly', async () => {
    const values = (await root(new PickleWriter().proto().mark().long(-1n).long(255n).long(2n ** 70n).long(-(2n ** 63n)).tuple())) as PickleValue[];
    expect(values).toEqual([-1, 255, 2n ** 70n, -(2n ** 63n)]);
  });
});

describe('zip', () => {
  it('names the file and the offset of a broken directory or an entry past the end', async () => {
    const good = torchZip(new PickleWriter().proto().none().stop().bytes());
    const cdOffset = new DataView(good.buffer).getUint32(good.length - 6, true);
    const badCount = good.slice();
    new DataView(badCount.buffer).setUint16(good.length - 12, 5000, true);
    await expect(readTorchFile(badCount, { name: 'z.pt' })).rejects.toThrow(/^z\.pt: zip directory claims 5000 entries but has room for \d+ \(zip offset \d+\)$/);
    const pastEnd = good.slice();
    new DataView(pastEnd.buffer).setUint32(cdOffset + 24, 1e9, true); // data.pkl's size
    new DataView(pastEnd.buffer).setUint32(cdOffset + 20, 1e9, true);
    await expect(readTorchFile(pastEnd, { name: 'z.pt' })).rejects.toThrow(/z\.pt: x\/data\.pkl's 1000000000 bytes at offset 40 run past the end of the file/);
  });

  it(`refuses a data.pkl over ${MAX_PICKLE_BYTES} bytes before reading it`, async () => {
    const zip = storedZip([['x/data.pkl', new Uint8Array(MAX_PICKLE_BYTES + 1)]]);
    await expect(readTorchFile(zip, { name: 'z.pt' })).rejects.toThrow(`z.pt: x/data.pkl is ${MAX_PICKLE_BYTES + 1} bytes, over the ${MAX_PICKLE_BYTES} read for it`);
  });

  it('refuses a zip64 extra field too short for the values it must hold', async () => {
    const zip = storedZip([['x/data.pkl', new PickleWriter().proto().none().stop().bytes()]]);
    const v = new DataView(zip.buffer);
    const cdOffset = v.getUint32(zip.length - 6, true);
    v.setUint32(cdOffset + 24, 0xffffffff, true); // size in a zip64 field, which is not there
    await expect(readTorchFile(zip, { name: 'z.pt' })).rejects.toThrow(TorchFileError);
  });
});
