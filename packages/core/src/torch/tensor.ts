import type { Item } from './pickle/values.js';
import type { StorageRef, TorchDtype } from './storage.js';

/** A tensor of a torch file: its storage is read (and widened to float32) only by `read()`. */
export interface TorchTensor {
  readonly kind: 'tensor';
  readonly dtype: TorchDtype;
  readonly shape: number[];
  /** The tensor's values, row-major: a new array each call. */
  read(): Promise<Float32Array>;
}

export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && (v as TorchTensor).kind === 'tensor';
}

/** More dimensions than any tensor op supports (PyTorch's own limit is 64 too). */
export const MAX_TENSOR_DIMS = 64;

/** `_rebuild_tensor_v2`'s view of a storage: where it starts, its sizes and strides (in elements). */
export interface TensorView {
  offset: number;
  shape: number[];
  stride: number[];
  numel: number;
}

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const show = (x: unknown): string => (typeof x === 'number' || typeof x === 'bigint' ? String(x) : Array.isArray(x) ? 'a list' : typeof x === 'string' ? 'a string' : String(typeof x));

/**
 * Checks a view against its storage before anything is allocated, in exact integer arithmetic:
 * offset, sizes and strides non-negative integers; the highest element it reaches,
 * `offset + sum((size - 1) * stride)`, inside the storage; and no more elements than the storage
 * holds. A view with more elements than its storage must repeat some (stride 0, overlapping rows):
 * torch.save never writes one for a checkpoint, and reading it would expand a few bytes of file into
 * gigabytes, so it is refused. Copies the sizes and strides (the tuples may change afterwards).
 */
export function checkView(storage: StorageRef, offset: Item, size: Item, stride: Item, fail: (message: string) => never): TensorView {
  if (!isIndex(offset)) fail(`tensor storage offset must be a non-negative integer, got ${show(offset)}`);
  const dims = (x: Item, what: 'size' | 'stride'): number[] => {
    if (!Array.isArray(x)) fail(`tensor ${what} must be a tuple of non-negative integers, got ${show(x)}`);
    if (x.length > MAX_TENSOR_DIMS) fail(`tensor ${what} has ${x.length} dimensions, more than ${MAX_TENSOR_DIMS}`);
    const bad = x.findIndex((d) => !isIndex(d));
    if (bad >= 0) fail(`tensor ${what} must be a tuple of non-negative integers, got ${show(x[bad])} at dimension ${bad}`);
    return [...(x as number[])];
  };
  const shape = dims(size, 'size');
  const strides = dims(stride, 'stride');
  const geometry = (): string => `size [${shape.join(', ')}] with stride (${strides.join(', ')}) at offset ${offset}`;
  if (shape.length !== strides.length) fail(`tensor ${geometry()}: ${shape.length} sizes but ${strides.length} strides`);
  let numel = 1n;
  let last = BigInt(offset);
  for (let d = 0; d < shape.length; d++) {
    numel *= BigInt(shape[d]!);
    if (shape[d]! > 0) last += BigInt(shape[d]! - 1) * BigInt(strides[d]!);
  }
  const storageNumel = BigInt(storage.numel);
  if (numel > 0n && last >= storageNumel) {
    fail(`tensor ${geometry()} reaches element ${last} of ${storage.describe()}, which holds ${storage.numel} ${storage.dtype} values`);
  }
  if (numel > storageNumel) {
    fail(
      `tensor ${geometry()} has ${numel} elements but ${storage.describe()} holds ${storage.numel}: an expanded view (stride 0 or overlapping rows), ` +
        'which torch.save does not write for a checkpoint; refused rather than expanded in memory',
    );
  }
  return { offset, shape, stride: strides, numel: Number(numel) };
}

/**
 * The tensor a checked view makes. `read()` reads a contiguous view's own bytes only (a checkpoint's
 * tensor is one, so a 2 GB storage is never read for a tensor of it); any other view walks the
 * whole storage, read once and kept.
 */
export function viewTensor(storage: StorageRef, view: TensorView): TorchTensor {
  return {
    kind: 'tensor',
    dtype: storage.dtype,
    shape: [...view.shape],
    async read() {
      if (view.numel === 0) return new Float32Array(0); // its offset may lie anywhere: nothing to read
      if (isContiguous(view)) return storage.bytes.readRange(view.offset, view.numel);
      return readView(await storage.bytes.load(), view);
    },
  };
}

/** Whether a view's elements are `numel` consecutive storage elements in row-major order. */
export function isContiguous({ shape, stride }: TensorView): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d]! !== 1 && stride[d]! !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Copies a view's elements out of `data`, row-major: one slice when contiguous, else a strided walk. */
export function readView(data: Float32Array, view: TensorView): Float32Array {
  const { offset, shape, stride, numel } = view;
  if (isContiguous(view) || numel === 0) return data.slice(offset, offset + numel);
  const out = new Float32Array(numel);
  const index = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let i = 0; i < numel; i++) {
    out[i] = data[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) {
        at += stride[d]!;
        break;
      }
      at -= (shape[d]! - 1) * stride[d]!;
      index[d] = 0;
    }
  }
  return out;
}
