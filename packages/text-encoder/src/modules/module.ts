import type * as tf from '@tensorflow/tfjs-core';
import { disposeParam, type WeightScope } from '../weight-scope.js';

/** Python's repr of a float (`1e-05`, `0.5`, `1.0`), for printouts that match PyTorch's. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const [mantissa, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

const indent = (s: string): string => s.split('\n').join('\n  ');

/**
 * A module of the tree, as in PyTorch: named after its attribute in the parent (the scope's last
 * key segment), with children in registration order and its own parameters.
 */
export abstract class Module {
  /** The attribute name in the parent, e.g. "self_attn" (HF's, so also the key segment). */
  readonly name: string;
  /** The class name PyTorch prints (explicit, so minified bundles still print it right). */
  abstract readonly typeName: string;

  constructor(vs: WeightScope) {
    this.name = vs.name;
  }

  /** Sub-modules in PyTorch's order (the order HF assigns them in `__init__`). */
  children(): Module[] {
    return [];
  }

  /** This module's own tensors. */
  parameters(): tf.Tensor[] {
    return [];
  }

  /** What a leaf prints between its parentheses (PyTorch's `extra_repr`). */
  extraRepr(): string {
    return '';
  }

  /** The tree as PyTorch's `print(model)` shows it. */
  toString(): string {
    const lines = this.extraRepr() ? this.extraRepr().split('\n') : [];
    const kids = this.children().map((c) => `(${c.name}): ${indent(c.toString())}`);
    if (lines.length === 1 && kids.length === 0) return `${this.typeName}(${lines[0]})`;
    const all = [...lines, ...kids];
    return all.length === 0 ? `${this.typeName}()` : `${this.typeName}(\n  ${all.join('\n  ')}\n)`;
  }

  /** Number of weights in this module and below. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0) + this.children().reduce((n, c) => n + c.numParameters(), 0);
  }

  /** Frees this module's weights and its children's. */
  dispose(): void {
    for (const p of this.parameters()) disposeParam(p);
    for (const c of this.children()) c.dispose();
  }
}
