import { openByteReader, type ByteReader, type ByteSource } from '../safetensors/byte-reader.js';
import { TorchFileError } from './errors.js';
import { FORMAT_PROBE_BYTES, torchFormatOf } from './format.js';
import { readLegacyTorchFile } from './legacy.js';
import { unpickle } from './pickle/unpickle.js';
import type { PickleValue } from './pickle/values.js';
import { DTYPE_BYTES, StorageRef, storageAt, type TorchDtype } from './storage.js';
import { torchPickleHooks, type StorageTable } from './torch-globals.js';
import { readStoredEntry, readZipDirectory, storedEntryStart, type ZipEntry } from './zip.js';

/**
 * PyTorch's `.pt` / `.bin` / `.ckpt` files, read without unpickling: torch.save since 1.6 (a zip
 * holding `data.pkl` and one raw file per storage) and the legacy stream before it (legacy.ts).
 * The pickle's opcodes are interpreted only to rebuild dicts, lists, tuples, strings and numbers
 * and to name tensors, as torch's `weights_only` loader does (pickle/, torch-globals.ts). No code
 * runs, the work done is bounded by the file's size, and a tensor's bytes are read only when it is.
 */

/** A full SD checkpoint's data.pkl is under a MB (~200 bytes a tensor); this is 16 times that (a hostile one of this size costs ~1 GB and 3 s). */
export const MAX_PICKLE_BYTES = 16 * 1024 * 1024;
/** The most bytes one tensor read asks for (a text encoder's largest weight is ~250 MB). */
export const MAX_STORAGE_BYTES = 2 ** 31 - 1;

export interface TorchFile {
  /** The unpickled object (dicts as Maps; shared objects shared, see PickleValue). */
  root: PickleValue;
  /** 'zip' (torch.save since 1.6) or 'legacy'. */
  format: 'zip' | 'legacy';
  close(): Promise<void>;
}

/**
 * Opens a torch.save file (a path, URL, bytes or Blob; or a ByteReader) and interprets its pickle.
 * Every tensor's view is checked against its storage here; its values are read on `read()`. Call
 * `close()` when done. Neither format can be read front to back only: give a random-access reader.
 */
export async function readTorchFile(source: ByteSource | ByteReader, options: { name?: string } = {}): Promise<TorchFile> {
  const reader = isReader(source) ? source : await openByteReader(source, options.name !== undefined ? { name: options.name } : {});
  try {
    const where = reader.name;
    const size = reader.size;
    if (size === null) throw new TorchFileError(`${where}: size unknown; a torch file is read from its end`);
    const format = torchFormatOf(await reader.read(0, Math.min(size, FORMAT_PROBE_BYTES)));
    if (format === 'legacy') return { root: await readLegacyTorchFile(reader, MAX_PICKLE_BYTES, MAX_STORAGE_BYTES), format, close: () => reader.close() };
    const entries = await readZipDirectory(reader);
    const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new TorchFileError(`${where}: a zip without <name>/data.pkl: not a torch.save file`);
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const order = entries.get(`${prefix}byteorder`);
    if (order && new TextDecoder().decode(await readStoredEntry(reader, order, 16)) !== 'little') {
      throw new TorchFileError(`${where}: a big-endian torch file is not supported`);
    }
    const pickle = await readStoredEntry(reader, entries.get(pkl)!, MAX_PICKLE_BYTES);
    const root = unpickle(pickle, `${where}/${pkl}`, torchPickleHooks(zipStorages(reader, entries, prefix)));
    return { root, format: 'zip', close: () => reader.close() };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/** Storages are the entries `<prefix>data/<key>`, checked when the pickle names them, read by range when a tensor is. */
function zipStorages(reader: ByteReader, entries: ReadonlyMap<string, ZipEntry>, prefix: string): StorageTable {
  const opened = new Map<string, StorageRef>();
  return {
    open(key: string, dtype: TorchDtype, numel: number, fail: (message: string) => never): StorageRef {
      const id = `${key}:${dtype}:${numel}`;
      const known = opened.get(id);
      if (known) return known;
      const entry = entries.get(`${prefix}data/${key}`);
      if (!entry) return fail(`storage ${key} (${prefix}data/${key}) is missing`);
      const bytes = numel * DTYPE_BYTES[dtype];
      if (entry.size !== bytes) fail(`storage ${key} holds ${entry.size} bytes, expected ${numel} ${dtype} values (${bytes} bytes)`);
      let start: Promise<number> | null = null;
      const refuse = (message: string): TorchFileError => new TorchFileError(`${reader.name}: storage ${key} (${entry.name}): ${message}`);
      const storage = new StorageRef(
        key,
        dtype,
        numel,
        storageAt((offset, length) => reader.read(offset, length), () => (start ??= storedEntryStart(reader, entry)), dtype, numel, MAX_STORAGE_BYTES, refuse),
      );
      opened.set(id, storage);
      return storage;
    },
  };
}

function isReader(x: unknown): x is ByteReader {
  return typeof x === 'object' && x !== null && typeof (x as ByteReader).read === 'function' && typeof (x as ByteReader).close === 'function';
}
