import * as tf from '@tensorflow/tfjs-core';

/** Where a WeightScope gets its tensors. */
export interface WeightStore {
  /** The tensor stored under `key`, which must have exactly `shape`. */
  take(key: string, shape: readonly number[]): tf.Tensor;
}

/** Marks tensors that carry a shape and no data (see WeightScope.meta). */
const META_DATA_ID: object = Object.freeze({ meta: true });

export function isMetaTensor(t: tf.Tensor): boolean {
  return t.dataId === META_DATA_ID;
}

/** Disposes a parameter unless it is a meta tensor (which the engine never knew about). */
export function disposeParam(t: tf.Tensor | null): void {
  if (t && !isMetaTensor(t)) t.dispose();
}

export class WeightError extends Error {
  override name = 'WeightError';
}

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * A key prefix over a WeightStore, like candle's VarBuilder: `vs.pp('encoder').pp('layers').pp(0)`
 * spells `encoder.layers.0`, so module constructors spell the Hugging Face key path and checkpoint
 * keys map 1:1 with no rename table.
 */
export class WeightScope {
  private constructor(
    private readonly store: WeightStore,
    readonly path: readonly string[],
  ) {}

  /** A scope over a store. */
  static over(store: WeightStore): WeightScope {
    return new WeightScope(store, []);
  }

  /**
   * A scope of meta tensors (PyTorch's "meta" device): right shapes, no data, no backend needed.
   * Building a model on it gives the module tree and the expected key -> shape table for free.
   */
  static meta(): { vs: WeightScope; expected: Map<string, number[]> } {
    const expected = new Map<string, number[]>();
    const store: WeightStore = {
      take(key, shape) {
        expected.set(key, [...shape]);
        return new tf.Tensor([...shape], 'float32', META_DATA_ID, -1);
      },
    };
    return { vs: WeightScope.over(store), expected };
  }

  /** A scope that hands out the tensors of `tensors` (the model then owns them), checking each shape. */
  static fromTensors(tensors: Map<string, tf.Tensor>): WeightScope {
    return WeightScope.over({
      take(key, shape) {
        const t = tensors.get(key);
        if (!t) throw new WeightError(`missing weight "${key}" (expected shape ${shapeStr(shape)})`);
        if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
          throw new WeightError(`weight "${key}" has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`);
        }
        return t;
      },
    });
  }

  /** The scope one segment down ("push prefix"). */
  pp(segment: string | number): WeightScope {
    return new WeightScope(this.store, [...this.path, String(segment)]);
  }

  /** The last segment: the module's attribute name in its parent (HF's), '' at the root. */
  get name(): string {
    return this.path[this.path.length - 1] ?? '';
  }

  /** The full key of `name` under this scope. */
  key(name: string): string {
    return [...this.path, name].join('.');
  }

  get<R extends tf.Rank>(name: string, shape: readonly number[]): tf.Tensor<R> {
    return this.store.take(this.key(name), shape) as tf.Tensor<R>;
  }
}
