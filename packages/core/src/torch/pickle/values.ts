import type { TorchTensor } from '../tensor.js';

/**
 * What a torch pickle holds once read: dicts (as Maps, keys as stored), lists and tuples (arrays),
 * scalars, bytes and tensors. An object the pickle references twice (through its memo) is one
 * object here too, so the result is a graph, not a tree: a list may even hold itself. Walk it with
 * a visited set, never by plain recursion.
 */
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | TorchTensor | PickleOpaque | PickleValue[] | Map<PickleValue, PickleValue>;

/**
 * Data that stands for an object the pickle builds with code this reader never runs: a class used
 * as a dict key (pytorch_lightning's ModelCheckpoint in an SD checkpoint's `callbacks`), a numpy
 * scalar or array. It keeps only what it was, for messages; a checkpoint's weights never are one.
 */
export class PickleOpaque {
  constructor(readonly what: string) {}
}

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
