import type { ByteReader } from '../safetensors/byte-reader.js';
import { safetensorsConversionHint } from './convert-hint.js';
import { TorchFileError } from './errors.js';
import type { PickleHooks } from './pickle/machine.js';
import { unpickleAt } from './pickle/unpickle.js';
import type { PickleValue } from './pickle/values.js';
import { DTYPE_BYTES, StorageRef, storageAt, type TorchDtype } from './storage.js';
import { torchPickleHooks } from './torch-globals.js';

/**
 * torch.save's legacy stream (`_use_new_zipfile_serialization=False`, and every file before torch
 * 1.6), as torch's `_legacy_load` reads it: five things in a row,
 *
 *   pickle(0x1950a86a20f9469cfc6c)   the magic number
 *   pickle(1001)                     the protocol version
 *   pickle(sys_info)                 {'protocol_version', 'little_endian', 'type_sizes'}
 *   pickle(obj)                      storages as persistent ids ('storage', type, key, location, numel, None)
 *   pickle(sorted storage keys)
 *
 * then each storage in that key order: its element count as a little-endian int64, then its bytes.
 * The pickles are read through the same bounded unpickler as a zip's data.pkl; each storage's offset
 * follows from the counts the pickle gives, checked against the count stored before it when read.
 */

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;
const COUNT_BYTES = 8;

/** The first four pickles hold only numbers, strings and dicts. */
const DATA_ONLY: PickleHooks = {
  findGlobal: (module, name, m) => m.fail(`refuses global ${module}.${name} in a legacy torch file's header`),
  call: (fn, _args, m) => m.fail(`${fn.name} cannot be called`),
  persistentLoad: (_pid, m) => m.fail('a persistent id in a legacy torch file header'),
};

interface LegacyStorage {
  dtype: TorchDtype;
  numel: number;
  /** Byte offset of its count, once the keys are read. */
  at?: number;
}

/** The object of a legacy torch file; storages are read by range when a tensor is. */
export async function readLegacyTorchFile(reader: ByteReader, maxPickleBytes: number, maxReadBytes: number): Promise<PickleValue> {
  const where = reader.name;
  const size = reader.size!;
  const head = await reader.read(0, Math.min(size, maxPickleBytes));
  const truncated = head.length < size;
  let at = 0;
  const next = (what: string, hooks: PickleHooks): PickleValue => {
    try {
      const { value, end } = unpickleAt(head, at, `${where} (legacy torch file, ${what})`, hooks);
      at = end;
      return value;
    } catch (e) {
      if (truncated && e instanceof TorchFileError && /the pickle ends early/.test(e.message)) {
        throw new TorchFileError(
          `${where}: a legacy torch file whose pickles run past the first ${maxPickleBytes} bytes, more than a checkpoint's need: refused; ${safetensorsConversionHint(where)}`,
        );
      }
      throw e;
    }
  };
  if (next('magic number', DATA_ONLY) !== MAGIC_NUMBER) throw new TorchFileError(`${where}: not a torch file (no legacy magic number)`);
  const protocol = next('protocol version', DATA_ONLY);
  if (protocol !== PROTOCOL_VERSION) throw new TorchFileError(`${where}: legacy torch protocol ${String(protocol)}, expected ${PROTOCOL_VERSION}`);
  const sysInfo = next('sys_info', DATA_ONLY);
  if (!(sysInfo instanceof Map) || sysInfo.get('little_endian') !== true) {
    throw new TorchFileError(`${where}: a legacy torch file not written little-endian (sys_info.little_endian is not True): not supported; ${safetensorsConversionHint(where)}`);
  }
  const storages = new Map<string, LegacyStorage>();
  const hooks = torchPickleHooks({
    open(key, dtype, numel, refuse) {
      const known = storages.get(key);
      if (known && (known.dtype !== dtype || known.numel !== numel)) refuse(`storage ${key} named again as ${numel} ${dtype} values (first: ${known.numel} ${known.dtype})`);
      const storage = known ?? { dtype, numel };
      storages.set(key, storage);
      return new StorageRef(key, dtype, numel, storageAt((o, n) => reader.read(o, n), () => dataStart(key, storage), dtype, numel, maxReadBytes, (message) => new TorchFileError(`${where}: storage ${key}: ${message}`)));
    },
  });
  const objectAt = at;
  const root = next('object', hooks);
  const keysAt = at;
  const keys = next('storage keys', DATA_ONLY);
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    throw new TorchFileError(`${where}: the legacy storage key list (pickle at offset ${keysAt}) is not a list of strings`);
  }
  // Storages follow in key order; their offsets follow from the counts the object pickle gave.
  let offset = at;
  const seen = new Set<string>();
  for (const key of keys as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new TorchFileError(`${where}: storage key ${JSON.stringify(key.slice(0, 40))} is listed but no tensor of the object (pickle at offset ${objectAt}) uses it`);
    if (seen.has(key)) throw new TorchFileError(`${where}: storage key ${JSON.stringify(key.slice(0, 40))} is listed twice`);
    seen.add(key);
    storage.at = offset;
    offset += COUNT_BYTES + storage.numel * DTYPE_BYTES[storage.dtype];
  }
  for (const key of storages.keys()) if (!seen.has(key)) throw new TorchFileError(`${where}: storage ${key} is used by a tensor but missing from the storage key list`);
  if (offset > size) throw new TorchFileError(`${where}: its ${keys.length} storages need ${offset} bytes, the file has ${size}: truncated`);

  const checked = new Map<string, Promise<number>>();
  function dataStart(key: string, storage: LegacyStorage): Promise<number> {
    let start = checked.get(key);
    if (!start) {
      start = reader.read(storage.at!, COUNT_BYTES).then((b) => {
        const count = new DataView(b.buffer, b.byteOffset, COUNT_BYTES).getBigInt64(0, true);
        if (count !== BigInt(storage.numel)) {
          throw new TorchFileError(`${where}: storage ${key} at offset ${storage.at} stores ${count} elements, the pickle says ${storage.numel}`);
        }
        return storage.at! + COUNT_BYTES;
      });
      checked.set(key, start);
    }
    return start;
  }
  return root;
}
