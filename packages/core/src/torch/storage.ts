import { bf16BytesToFloat32, f16BytesToFloat32 } from '../safetensors/dtypes.js';
import { PickleObject } from './pickle/values.js';

/**
 * A torch storage: `numel` values of one dtype in a file (a zip entry `<name>/data/<key>`, or a
 * legacy file's raw storage), read (and widened) only when a tensor viewing it is read.
 */

export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/**
 * The storage classes a checkpoint pickles (torch.save writes the legacy typed names): the floats
 * weights are stored in, and the integer ones SD checkpoints also hold (position_ids is a
 * LongStorage, EMA's num_updates an IntStorage), which are named but never needed as weights.
 */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDtype>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
export const DTYPE_BYTES: Readonly<Record<TorchDtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};
/** Each dtype as safetensors names it (what the single-file and LoRA checks speak). */
export const SAFETENSORS_NAMES: Readonly<Record<TorchDtype, string>> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/** Where a storage's bytes are and how to read them: by element range, or whole and kept. */
export interface StorageBytes {
  /** `count` elements from element `start`, widened to float32 (a new array). */
  readRange(start: number, count: number): Promise<Float32Array>;
  /** The whole storage widened, read once and shared (strided views walk it). */
  load(): Promise<Float32Array>;
}

export class StorageRef extends PickleObject {
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    /** Elements, checked against the file when the persistent id was read. */
    readonly numel: number,
    readonly bytes: StorageBytes,
  ) {
    super();
  }
  describe(): string {
    return `storage ${this.key}`;
  }
}

/** Little-endian stored values as float32 (integers converted, bool as 0/1). */
export function widen(dtype: TorchDtype, bytes: Uint8Array): Float32Array {
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
    case 'int64':
      return Float32Array.from(new BigInt64Array(copy.buffer), Number);
    case 'int32':
      return Float32Array.from(new Int32Array(copy.buffer));
    case 'int16':
      return Float32Array.from(new Int16Array(copy.buffer));
    case 'int8':
      return Float32Array.from(new Int8Array(copy.buffer));
    case 'uint8':
    case 'bool':
      return Float32Array.from(copy);
  }
}

/** `StorageBytes` for `numel` values of `dtype` starting at byte `start` of a file read through `read`. */
export function storageAt(
  read: (offset: number, length: number) => Promise<Uint8Array>,
  start: () => Promise<number>,
  dtype: TorchDtype,
  numel: number,
  maxBytes: number,
  refuse: (message: string) => Error,
): StorageBytes {
  const size = DTYPE_BYTES[dtype];
  const range = async (first: number, count: number): Promise<Float32Array> => {
    if (first + count > numel) throw refuse(`elements [${first}, ${first + count}) lie past its ${numel}`);
    if (count * size > maxBytes) throw refuse(`a read of ${count * size} bytes, over the ${maxBytes} read at once`);
    return widen(dtype, await read((await start()) + first * size, count * size));
  };
  let whole: Promise<Float32Array> | null = null;
  return { readRange: range, load: () => (whole ??= range(0, numel)) };
}
