import { openByteReader, type ByteReader, type ByteSource } from './safetensors/byte-reader.js';
import { bf16BytesToFloat32, f16BytesToFloat32 } from './safetensors/dtypes.js';

/**
 * PyTorch's `.pt` / `.bin` files (torch.save since 1.6: a zip holding `data.pkl` and one raw file
 * per storage), read without unpickling: the pickle's opcodes are interpreted only to rebuild
 * dicts, lists, tuples, strings and numbers and to name tensors, as ComfyUI's and torch's
 * `weights_only` loaders do. No code runs: a global other than the few tensor constructors below
 * is refused, naming the file and the opcode's offset.
 */

export class TorchFileError extends Error {
  override name = 'TorchFileError';
}

/** A tensor of a torch file: its storage is read (and widened to float32) only by `read()`. */
export interface TorchTensor {
  readonly kind: 'tensor';
  readonly dtype: TorchDtype;
  readonly shape: number[];
  read(): Promise<Float32Array>;
}

export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64';

/** What the pickle holds: dicts (as Maps, keys as stored), lists, tuples (arrays), scalars, tensors. */
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | TorchTensor | PickleValue[] | Map<PickleValue, PickleValue>;

export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && (v as TorchTensor).kind === 'tensor';
}

const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
};
const DTYPE_BYTES: Record<TorchDtype, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

// ---------------------------------------------------------------------------------------------
// zip (stored entries only: torch.save writes them uncompressed)

interface ZipEntry {
  name: string;
  method: number;
  size: number;
  compressedSize: number;
  localHeader: number;
}

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 0x100000000;

async function readZipDirectory(reader: ByteReader): Promise<Map<string, ZipEntry>> {
  const where = reader.name;
  const size = reader.size;
  if (size === null) throw new TorchFileError(`${where}: size unknown; a torch file is read from its end`);
  if (size < 22) throw new TorchFileError(`${where}: not a torch zip file (${size} bytes)`);
  const tailLength = Math.min(size, 22 + 65535 + 20);
  const tailStart = size - tailLength;
  const tail = await reader.read(tailStart, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const legacy = tail.length > 0 && (await reader.read(0, 2))[0] === 0x80;
    throw new TorchFileError(
      `${where}: not a zip file` +
        (legacy ? ': a legacy (pre-1.6) torch pickle, which cannot be read without running it; re-save it with torch.save or as .safetensors' : ''),
    );
  }
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(tail, locator) !== 0x07064b50) throw new TorchFileError(`${where}: zip64 end record missing`);
    const recordAt = u64(tail, locator + 8);
    const record = await reader.read(recordAt, 56);
    if (u32(record, 0) !== 0x06064b50) throw new TorchFileError(`${where}: bad zip64 end record at offset ${recordAt}`);
    count = u64(record, 32);
    cdSize = u64(record, 40);
    cdOffset = u64(record, 48);
  }
  if (cdOffset + cdSize > size) throw new TorchFileError(`${where}: zip central directory at ${cdOffset} runs past the end (${size} bytes)`);
  const cd = await reader.read(cdOffset, cdSize);
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.length || u32(cd, at) !== 0x02014b50) throw new TorchFileError(`${where}: bad zip directory entry at offset ${cdOffset + at}`);
    const method = u16(cd, at + 10);
    let compressedSize = u32(cd, at + 20);
    let entrySize = u32(cd, at + 24);
    const nameLength = u16(cd, at + 28);
    const extraLength = u16(cd, at + 30);
    const commentLength = u16(cd, at + 32);
    let localHeader = u32(cd, at + 42);
    const name = new TextDecoder().decode(cd.subarray(at + 46, at + 46 + nameLength));
    // zip64 extra field: the 64-bit values of the fields that hold 0xffffffff, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(cd, extra);
      const length = u16(cd, extra + 2);
      if (id === 0x0001) {
        let p = extra + 4;
        if (entrySize === 0xffffffff) {
          entrySize = u64(cd, p);
          p += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(cd, p);
          p += 8;
        }
        if (localHeader === 0xffffffff) localHeader = u64(cd, p);
      }
      extra += 4 + length;
    }
    entries.set(name, { name, method, size: entrySize, compressedSize, localHeader });
    at = extraEnd + commentLength;
  }
  return entries;
}

async function entryDataOffset(reader: ByteReader, entry: ZipEntry): Promise<number> {
  const local = await reader.read(entry.localHeader, 30);
  if (u32(local, 0) !== 0x04034b50) throw new TorchFileError(`${reader.name}: bad zip local header of ${entry.name} at offset ${entry.localHeader}`);
  return entry.localHeader + 30 + u16(local, 26) + u16(local, 28);
}

async function readEntry(reader: ByteReader, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.method !== 0) {
    throw new TorchFileError(`${reader.name}: ${entry.name} is compressed (zip method ${entry.method}); torch.save stores entries uncompressed`);
  }
  if (entry.compressedSize !== entry.size) throw new TorchFileError(`${reader.name}: ${entry.name}: stored entry with mismatched sizes`);
  return reader.read(await entryDataOffset(reader, entry), entry.size);
}

// ---------------------------------------------------------------------------------------------
// pickle

interface Global {
  global: string;
}
interface StorageRef {
  storage: true;
  key: string;
  dtype: TorchDtype;
  numel: number;
}
interface PendingTensor {
  rebuild: true;
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
type Item = PickleValue | Global | StorageRef | PendingTensor | typeof MARK | Item[] | Map<Item, Item>;
const MARK = Symbol('mark');

const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._tensor._rebuild_from_type_v2',
  'torch.nn.parameter.Parameter',
  '_codecs.encode',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

const isGlobal = (x: unknown): x is Global => typeof x === 'object' && x !== null && typeof (x as Global).global === 'string';
const isStorage = (x: unknown): x is StorageRef => typeof x === 'object' && x !== null && (x as StorageRef).storage === true;
const isPending = (x: unknown): x is PendingTensor => typeof x === 'object' && x !== null && (x as PendingTensor).rebuild === true;

function intList(v: Item, what: string, fail: (m: string) => never): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) fail(`${what} is not a tuple of sizes`);
  return v as number[];
}

/** Interprets a pickle's data opcodes; tensors come back as PendingTensor. */
function unpickle(bytes: Uint8Array, where: string): Item {
  const stack: Item[] = [];
  const memo = new Map<number, Item>();
  let pos = 0;
  let opAt = 0;
  const fail = (message: string): never => {
    throw new TorchFileError(`${where}: ${message} (pickle opcode at offset ${opAt})`);
  };
  const need = (n: number): number => {
    if (pos + n > bytes.length) fail('the pickle ends early');
    const at = pos;
    pos += n;
    return at;
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = (n: number): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(need(n), pos));
  const latin1 = (n: number): string => String.fromCharCode(...bytes.subarray(need(n), pos));
  const pop = (): Item => (stack.length > 0 ? stack.pop()! : fail('stack underflow'));
  const popMark = (): Item[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('no mark on the stack');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const value = (x: Item, what: string): PickleValue => {
    if (x === MARK || isGlobal(x) || isStorage(x)) fail(`${what} is not a value`);
    return x as PickleValue;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated GLOBAL');
    const s = String.fromCharCode(...bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) {
      fail(`refuses global ${full}: only tensors, dicts, lists, strings and numbers are read from a torch file (nothing is executed); convert it to .safetensors`);
    }
    return { global: full };
  };
  const setItems = (dict: Item, items: Item[]): void => {
    if (!(dict instanceof Map)) fail('SETITEM on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<Item, Item>).set(value(items[i]!, 'a key'), items[i + 1]!);
  };
  const call = (fn: Item, args: Item): Item => {
    if (!isGlobal(fn)) fail('REDUCE of something that is not an allowed global');
    if (!Array.isArray(args)) fail('REDUCE without an argument tuple');
    const a = args as Item[];
    switch ((fn as Global).global) {
      case 'collections.OrderedDict':
        return new Map();
      case 'torch._utils._rebuild_tensor_v2': {
        const [storage, offset, size, stride] = a;
        if (!isStorage(storage)) fail('_rebuild_tensor_v2 without a storage');
        if (typeof offset !== 'number') fail('_rebuild_tensor_v2: bad storage offset');
        return { rebuild: true, storage: storage as StorageRef, offset: offset as number, shape: intList(size!, 'size', fail), stride: intList(stride!, 'stride', fail) };
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch.nn.parameter.Parameter':
        return a[0]!;
      case 'torch._tensor._rebuild_from_type_v2':
        return call(a[0]!, a[2]!);
      case '_codecs.encode':
        return typeof a[0] === 'string' ? Uint8Array.from(a[0], (c) => c.charCodeAt(0) & 0xff) : fail('_codecs.encode of a non-string');
      default:
        return fail(`${(fn as Global).global} cannot be called`);
    }
  };

  for (;;) {
    opAt = pos;
    const op = bytes[need(1)]!;
    switch (op) {
      case 0x80: // PROTO
        need(1);
        break;
      case 0x95: // FRAME
        need(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack`);
        return stack[0]!;
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]!);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x8a: {
        // LONG1: n little-endian two's complement bytes
        const n = bytes[need(1)]!;
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(view.getUint32(need(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(bytes[need(1)]!));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(Number(view.getBigUint64(need(8), true))));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(view.getUint32(need(4), true)));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(bytes[need(1)]!));
        break;
      case 0x42: {
        // BINBYTES
        const n = view.getUint32(need(4), true);
        stack.push(bytes.slice(need(n), pos));
        break;
      }
      case 0x43: {
        // SHORT_BINBYTES
        const n = bytes[need(1)]!;
        stack.push(bytes.slice(need(n), pos));
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const dict = new Map();
        setItems(dict, items);
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const list = stack.at(-1);
        if (!Array.isArray(list)) fail('APPEND to a non-list');
        (list as Item[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = stack.at(-1);
        if (!Array.isArray(list)) fail('APPENDS to a non-list');
        (list as Item[]).push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(stack.at(-1)!, [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(stack.at(-1)!, items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(bytes[need(1)]!, stack.at(-1)!);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(need(4), true), stack.at(-1)!);
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack.at(-1)!);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? bytes[need(1)]! : view.getUint32(need(4), true);
        if (!memo.has(key)) fail(`memo ${key} is not set`);
        stack.push(memo.get(key)!);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of non-strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: // BUILD: state of an OrderedDict or a tensor (hooks, attributes): nothing to keep
        pop();
        break;
      case 0x51: {
        // BINPERSID: ('storage', storage_type, key, location, numel)
        const pid = pop();
        if (!Array.isArray(pid) || pid[0] !== 'storage' || !isGlobal(pid[1]) || typeof pid[2] !== 'string' || typeof pid[4] !== 'number') {
          fail('a persistent id that is not a torch storage');
        }
        const type = ((pid as Item[])[1] as Global).global.replace(/^torch\./, '');
        const dtype = STORAGE_DTYPES[type];
        if (!dtype) fail(`storage type ${type} is not a float type`);
        stack.push({ storage: true, key: (pid as Item[])[2] as string, dtype: dtype!, numel: (pid as Item[])[4] as number });
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)}`);
    }
  }
}

function widen(dtype: TorchDtype, bytes: Uint8Array): Float32Array {
  const copy = bytes.slice();
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer);
    case 'float16':
      return f16BytesToFloat32(copy);
    case 'bfloat16':
      return bf16BytesToFloat32(copy);
    case 'float64':
      return Float32Array.from(new Float64Array(copy.buffer));
  }
}

export interface TorchFile {
  /** The unpickled object (dicts as Maps). */
  root: PickleValue;
  close(): Promise<void>;
}

/**
 * Opens a torch.save file (a path, URL, bytes or Blob; or a ByteReader) and interprets its pickle.
 * Tensors are read on `read()` from their storage's zip entry (strided views handled); call
 * `close()` when done.
 */
export async function readTorchFile(source: ByteSource | ByteReader, options: { name?: string } = {}): Promise<TorchFile> {
  const reader = isReader(source) ? source : await openByteReader(source, options.name !== undefined ? { name: options.name } : {});
  try {
    const where = reader.name;
    const entries = await readZipDirectory(reader);
    const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new TorchFileError(`${where}: a zip without <name>/data.pkl: not a torch.save file`);
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const order = entries.get(`${prefix}byteorder`);
    if (order && new TextDecoder().decode(await readEntry(reader, order)) !== 'little') {
      throw new TorchFileError(`${where}: a big-endian torch file is not supported`);
    }
    const root = unpickle(await readEntry(reader, entries.get(pkl)!), `${where}/${pkl}`);
    const storages = new Map<string, Promise<Float32Array>>();
    const storage = (ref: StorageRef): Promise<Float32Array> => {
      let data = storages.get(ref.key);
      if (!data) {
        const entry = entries.get(`${prefix}data/${ref.key}`);
        if (!entry) throw new TorchFileError(`${where}: storage ${ref.key} (${prefix}data/${ref.key}) is missing`);
        if (entry.size !== ref.numel * DTYPE_BYTES[ref.dtype]) {
          throw new TorchFileError(`${where}: storage ${ref.key} holds ${entry.size} bytes, expected ${ref.numel} ${ref.dtype} values`);
        }
        data = readEntry(reader, entry).then((bytes) => widen(ref.dtype, bytes));
        storages.set(ref.key, data);
      }
      return data;
    };
    const materialize = (x: Item): PickleValue => {
      if (isPending(x)) return tensorOf(x, storage, where);
      if (x instanceof Map) return new Map([...x].map(([k, v]) => [materialize(k), materialize(v)]));
      if (Array.isArray(x)) return x.map((v) => materialize(v));
      if (x === MARK || isGlobal(x) || isStorage(x)) throw new TorchFileError(`${where}: the pickle leaves a ${isGlobal(x) ? x.global : 'marker'} in its data`);
      return x;
    };
    return { root: materialize(root), close: () => reader.close() };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

function isReader(x: unknown): x is ByteReader {
  return typeof x === 'object' && x !== null && typeof (x as ByteReader).read === 'function' && typeof (x as ByteReader).close === 'function';
}

function tensorOf(t: PendingTensor, storage: (ref: StorageRef) => Promise<Float32Array>, where: string): TorchTensor {
  const { shape, stride, offset } = t;
  if (shape.length !== stride.length) throw new TorchFileError(`${where}: tensor with ${shape.length} sizes and ${stride.length} strides`);
  const numel = shape.reduce((a, b) => a * b, 1);
  let last = offset;
  for (let d = 0; d < shape.length; d++) if (shape[d]! > 0) last += (shape[d]! - 1) * stride[d]!;
  if (numel > 0 && last >= t.storage.numel) throw new TorchFileError(`${where}: tensor [${shape.join(', ')}] runs past its storage of ${t.storage.numel} values`);
  return {
    kind: 'tensor',
    dtype: t.storage.dtype,
    shape: [...shape],
    async read() {
      const data = await storage(t.storage);
      const out = new Float32Array(numel);
      // Row-major walk of the strided view.
      const index = new Array<number>(shape.length).fill(0);
      for (let i = 0; i < numel; i++) {
        let at = offset;
        for (let d = 0; d < shape.length; d++) at += index[d]! * stride[d]!;
        out[i] = data[at]!;
        for (let d = shape.length - 1; d >= 0; d--) {
          if (++index[d]! < shape[d]!) break;
          index[d] = 0;
        }
      }
      return out;
    },
  };
}
