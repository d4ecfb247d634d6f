import { bf16BytesToFloat32, f16BytesToFloat32 } from '../safetensors/dtypes.js';
import { PickleObject } from './pickle/values.js';

/** A torch storage: one zip entry `<name>/data/<key>` of `numel` values, read (and widened) on first use. */

export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64';

export const STORAGE_DTYPES: Readonly<Record<string, TorchDtype>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
};
export const DTYPE_BYTES: Readonly<Record<TorchDtype, number>> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

export class StorageRef extends PickleObject {
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    /** Elements, checked against the entry's size when the persistent id was read. */
    readonly numel: number,
    /** The storage widened to float32 (read once, shared by every tensor viewing it). */
    readonly load: () => Promise<Float32Array>,
  ) {
    super();
  }
  describe(): string {
    return `storage ${this.key}`;
  }
}

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
  }
}
