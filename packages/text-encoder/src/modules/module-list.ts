import type { WeightScope } from '../weight-scope.js';
import { Module } from './module.js';

/** PyTorch's nn.ModuleList: children named 0, 1, 2, ... under one key segment. */
export class ModuleList<M extends Module> extends Module {
  readonly typeName = 'ModuleList';
  readonly items: readonly M[];

  constructor(vs: WeightScope, length: number, make: (vs: WeightScope, index: number) => M) {
    super(vs);
    this.items = Array.from({ length }, (_, i) => make(vs.pp(i), i));
  }

  override children(): Module[] {
    return [...this.items];
  }
}
