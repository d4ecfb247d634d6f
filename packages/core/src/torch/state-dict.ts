import { TorchFileError } from './errors.js';
import type { PickleValue } from './pickle/values.js';
import { isTorchTensor, type TorchTensor } from './tensor.js';

/**
 * The tensors of a torch checkpoint's state dict, by name, in the pickle's order: the root dict
 * itself, or its `state_dict` (what pytorch_lightning saves, beside `global_step`, `epoch`,
 * `callbacks`, `optimizer_states`: an SD `.ckpt`). Entries that are not string -> tensor (an
 * EMA's `num_updates` is a tensor too, and kept) are skipped.
 */
export function torchStateDict(root: PickleValue, where: string): Map<string, TorchTensor> {
  if (!(root instanceof Map)) throw new TorchFileError(`${where}: the pickle holds no dict, so no state dict`);
  const nested = root.get('state_dict');
  const dict = nested instanceof Map ? nested : root;
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of dict) if (typeof k === 'string' && isTorchTensor(v)) out.set(k, v);
  return out;
}
