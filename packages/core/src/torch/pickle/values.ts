import type { TorchTensor } from '../tensor.js';

/**
 * What a torch pickle holds once read: dicts (as Maps, keys as stored), lists and tuples (arrays),
 * scalars, bytes and tensors. An object the pickle references twice (through its memo) is one
 * object here too, so the result is a graph, not a tree: a list may even hold itself. Walk it with
 * a visited set, never by plain recursion.
 */
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | TorchTensor | PickleValue[] | Map<PickleValue, PickleValue>;

/**
 * What the unpickler keeps on its stack and in tuples but never lets into the data: an allowed
 * global (a function to REDUCE with) or a storage (for a tensor to view).
 */
export abstract class PickleObject {
  /** For messages: "global torch.FloatStorage", "storage 0". */
  abstract describe(): string;
}

export class PickleGlobal extends PickleObject {
  constructor(readonly name: string) {
    super();
  }
  describe(): string {
    return `global ${this.name}`;
  }
}

/** A stack entry: a value, a global or storage, or a tuple that may hold one (REDUCE's arguments). */
export type Item = PickleValue | PickleObject | Item[];
