import { safetensorsConversionHint } from './convert-hint.js';
import type { PickleHooks, PickleMachine } from './pickle/machine.js';
import { shorten } from './pickle/text.js';
import { PickleGlobal, PickleOpaque, type Item, type PickleValue } from './pickle/values.js';
import { STORAGE_DTYPES, StorageRef, type TorchDtype } from './storage.js';
import { checkView, isTorchTensor, viewTensor } from './tensor.js';

/**
 * What a torch.save pickle may call, as PyTorch's weights_only allowlist has it for tensors in
 * dicts: the tensor and parameter rebuilders, OrderedDict, `_codecs.encode` (bytes in protocol 2)
 * and the storage types. Beyond it, what real Stable Diffusion `.ckpt` files pickle (webui's
 * modules/safe.py allow-list): pytorch_lightning's ModelCheckpoint class as a `callbacks` key,
 * numpy scalars and arrays, `set`, `torch.float32`. Those become PickleOpaque data: their classes
 * are never called, their state never applied. Any other global (`os.system`, ...) is refused;
 * nothing runs.
 */

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_FROM_TYPE = 'torch._tensor._rebuild_from_type_v2';
const NUMPY_SCALAR = ['numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar'];
const NUMPY_RECONSTRUCT = ['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct'];
const SETS = ['builtins.set', '__builtin__.set'];

export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  REBUILD_TENSOR,
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  REBUILD_FROM_TYPE,
  'torch.nn.parameter.Parameter',
  '_codecs.encode',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
  // Data constructors whose result is kept opaque (numpy.ndarray is _reconstruct's argument).
  'numpy.dtype',
  'numpy.ndarray',
  ...NUMPY_SCALAR,
  ...NUMPY_RECONSTRUCT,
  ...SETS,
]);

/** Globals that stand as data themselves (a class as a dict key, a dtype), never called. */
export const DATA_GLOBALS: ReadonlySet<string> = new Set([
  'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint',
  'pytorch_lightning.callbacks.model_checkpoint',
  'torch.float32',
]);

/** Where storages come from: the zip's `data/<key>` entries (torch-file.ts). */
export interface StorageTable {
  /** The storage `key`, checked to hold `numel` values of `dtype`; or `fail(...)`. */
  open(key: string, dtype: TorchDtype, numel: number, fail: (message: string) => never): StorageRef;
}

const failWith =
  (m: PickleMachine) =>
  (message: string): never =>
    m.fail(message);

export function torchPickleHooks(storages: StorageTable): PickleHooks {
  return {
    findGlobal(module: string, name: string, m: PickleMachine): Item {
      const full = `${module}.${name}`;
      if (DATA_GLOBALS.has(full)) return new PickleOpaque(full);
      if (!ALLOWED_GLOBALS.has(full)) {
        m.fail(`refuses global ${shorten(full)}: only tensors, dicts, lists, strings and numbers are read from a torch file (nothing is executed); convert it to .safetensors`);
      }
      return new PickleGlobal(full);
    },
    call(fn: PickleGlobal, args: Item[], m: PickleMachine): Item {
      // _rebuild_from_type_v2(func, new_type, args, state) is func(*args): unwrapped in a loop, not by recursion.
      while (fn.name === REBUILD_FROM_TYPE) {
        const [inner, , innerArgs] = args;
        if (!(inner instanceof PickleGlobal) || innerArgs === undefined || !m.isTuple(innerArgs)) m.fail(`${REBUILD_FROM_TYPE} without a function and its argument tuple`);
        [fn, args] = [inner, innerArgs];
      }
      return callAllowed(fn, args, m);
    },
    persistentLoad(pid: Item, m: PickleMachine): Item {
      // ('storage', storage_type, key, location, numel); a legacy file adds view_metadata, None since torch 0.4.
      if (!m.isTuple(pid) || !(pid.length === 5 || pid.length === 6) || pid[0] !== 'storage') m.fail('a persistent id that is not a torch storage');
      if (pid.length === 6 && pid[5] !== null) m.fail(`a storage view (legacy view_metadata, written by torch before 0.4) is not read; ${safetensorsConversionHint(m.where.replace(/ \(legacy torch file.*$/, ''))}`);
      const [, type, key, , numel] = pid;
      if (!(type instanceof PickleGlobal)) m.fail('a storage whose type is not a storage class');
      const dtype = STORAGE_DTYPES[type.name.replace(/^torch\./, '')];
      if (dtype === undefined) return m.fail(`storage type ${shorten(type.name)} is not a torch storage class`);
      if (typeof key !== 'string') m.fail('a storage whose key is not a string');
      if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) m.fail(`storage ${shorten(key)}: its size must be a non-negative integer`);
      return storages.open(key, dtype, numel, failWith(m));
    },
  };
}

function callAllowed(fn: PickleGlobal, a: Item[], m: PickleMachine): Item {
  switch (fn.name) {
    case 'collections.OrderedDict':
      // torch.save writes OrderedDict() and then SETITEMS; an argument would be items to copy.
      if (a.length > 0) m.fail('OrderedDict with arguments is not read');
      return new Map();
    case REBUILD_TENSOR: {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, size, stride] = a;
      if (!(storage instanceof StorageRef)) m.fail(`${REBUILD_TENSOR} without a storage`);
      const view = checkView(storage, offset ?? null, size ?? null, stride ?? null, failWith(m));
      m.charge(2 * view.shape.length); // the view's copies of size and stride
      return viewTensor(storage, view);
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
    case 'torch.nn.parameter.Parameter': {
      const data = a[0];
      if (!isTorchTensor(data)) m.fail(`${fn.name} of something that is not a tensor`);
      return data;
    }
    case '_codecs.encode': {
      // _codecs.encode(text, 'latin1'): bytes, as protocol 2 writes them.
      const [text, encoding] = a;
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) m.fail("_codecs.encode other than of a str to 'latin1'");
      m.charge(text.length);
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0xff) m.fail(`_codecs.encode: character U+${c.toString(16).padStart(4, '0')} at ${i} is not latin1`);
        out[i] = c;
      }
      return out;
    }
    case 'numpy.dtype':
      // numpy.dtype('f8', False, True), then BUILD with its byte order: a scalar's type, kept opaque.
      return new PickleOpaque(`numpy.dtype(${typeof a[0] === 'string' ? shorten(a[0], 16) : '?'})`);
    default:
      if (NUMPY_SCALAR.includes(fn.name)) return new PickleOpaque('a numpy scalar');
      if (NUMPY_RECONSTRUCT.includes(fn.name)) return new PickleOpaque('a numpy array');
      if (SETS.includes(fn.name)) return setOf(a, m);
      return m.fail(`${fn.name} cannot be called`);
  }
}

/** `set(iterable)` as protocol 2 pickles a set: its elements, as a list. */
function setOf(a: Item[], m: PickleMachine): PickleValue[] {
  if (a.length === 0) return [];
  const items = a[0]!;
  if (a.length > 1 || !Array.isArray(items)) m.fail('set() of something that is not a list');
  m.charge(items.length);
  return items.map((x) => m.value(x, 'a set element'));
}
