/**
 * The adapters a text-encoder LoRA file may hold for one Linear, and the weight each makes, as
 * LyCORIS's own network modules compute it in their forward pass (lycoris/modules/locon.py,
 * loha.py, lokr.py at KohakuBlueleaf/LyCORIS f49d30d): what images are made with.
 *
 *   LoRA / LoCon   dW = up @ down                               scale alpha / r
 *   LoHa           dW = (w1_a @ w1_b) * (w2_a @ w2_b)           scale alpha / r (r: rows of w1_b)
 *   LoKr           dW = kron(w1 | w1_a @ w1_b, w2 | w2_a @ w2_b)  scale alpha / r (r: columns of
 *                  w1_a, else of w2_a); 1 when both factors are full matrices
 *
 *   W' = W + multiplier * scale * dW                            (no dora_scale)
 *   W' = (W + scale * dW) * s,  s = dora_scale / (||W + scale * dW|| + eps),
 *                               s = multiplier * (s - 1) + 1 when multiplier != 1   (DoRA)
 *
 * The norm runs along each output row for a dora_scale of [out, 1] (LyCORIS's wd_on_out, its
 * default) and along each input column for [1, in] (wd_on_out=False, what webui also computes).
 * LoHa and LoKr take an alpha of 0 (or none) as r, as LyCORIS does; plain LoRA keeps the
 * kohya / diffusers reading this package had (a missing alpha is r, a stored 0 scales by 0).
 * LyCORIS's merge utility (`lycoris.utils.merge` -> get_merged_weight -> get_diff_weight) applies
 * alpha / r a second time for LoHa and LoKr, whose get_weight already holds it; its forward
 * applies it once, and that is what is followed here.
 */

export type AdapterKind = 'lora' | 'loha' | 'lokr';

/** A row-major matrix of a file. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** DoRA's magnitude: [out, 1] (norm per output row) or [1, in] (per input column). */
export interface DoraScale {
  axis: 'out' | 'in';
  data: Float32Array;
}

interface AdapterShape {
  outFeatures: number;
  inFeatures: number;
  /** As stored (LoHa / LoKr: 0 means r); a missing alpha is r. */
  alpha: number;
  dora?: DoraScale;
}

/** kohya LoRA, LyCORIS LoCon on a Linear, peft / diffusers LoRA: up [out, r], down [r, in]. */
export interface LowRankAdapter extends AdapterShape {
  kind: 'lora';
  up: Float32Array;
  down: Float32Array;
  rank: number;
}

/** LoHa: the Hadamard product of two low-rank pairs, each [out, r] @ [r, in]. */
export interface HadamardAdapter extends AdapterShape {
  kind: 'loha';
  w1a: Matrix;
  w1b: Matrix;
  w2a: Matrix;
  w2b: Matrix;
  rank: number;
}

/** One Kronecker factor: a full matrix, or a low-rank pair a @ b. */
export type KroneckerFactor = { full: Matrix } | { a: Matrix; b: Matrix };

/** LoKr: kron(w1, w2), out = w1.rows * w2.rows, in = w1.cols * w2.cols. */
export interface KroneckerAdapter extends AdapterShape {
  kind: 'lokr';
  w1: KroneckerFactor;
  w2: KroneckerFactor;
  /** r of the first low-rank pair (w1's, else w2's); null when both are full (scale 1). */
  rank: number | null;
}

/** One Linear's adapter, as its file stores it. */
export type LoraLayer = LowRankAdapter | HadamardAdapter | KroneckerAdapter;

/** The factor LyCORIS's forward multiplies dW by (before the user's multiplier). */
export function adapterScale(layer: LoraLayer): number {
  switch (layer.kind) {
    case 'lora':
      return layer.alpha / layer.rank;
    case 'loha':
      return (layer.alpha === 0 ? layer.rank : layer.alpha) / layer.rank;
    case 'lokr':
      if (layer.rank === null) return 1;
      return (layer.alpha === 0 ? layer.rank : layer.alpha) / layer.rank;
  }
}

/** a @ b in float64, row-major [a.rows, b.cols]. */
function product(a: Matrix, b: Matrix): Float64Array {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    const row = i * b.cols;
    for (let r = 0; r < a.cols; r++) {
      const u = a.data[i * a.cols + r]!;
      if (u === 0) continue;
      const d = r * b.cols;
      for (let j = 0; j < b.cols; j++) out[row + j]! += u * b.data[d + j]!;
    }
  }
  return out;
}

const factorOf = (f: KroneckerFactor): { data: ArrayLike<number>; rows: number; cols: number } =>
  'full' in f ? f.full : { data: product(f.a, f.b), rows: f.a.rows, cols: f.b.cols };

/** dW, unscaled, [out, in] row-major in float64. */
export function adapterProduct(layer: LoraLayer): Float64Array {
  switch (layer.kind) {
    case 'lora':
      return product({ data: layer.up, rows: layer.outFeatures, cols: layer.rank }, { data: layer.down, rows: layer.rank, cols: layer.inFeatures });
    case 'loha': {
      const one = product(layer.w1a, layer.w1b);
      const two = product(layer.w2a, layer.w2b);
      for (let i = 0; i < one.length; i++) one[i]! *= two[i]!;
      return one;
    }
    case 'lokr': {
      // torch.kron: out[i1 * b.rows + i2, j1 * b.cols + j2] = a[i1, j1] * b[i2, j2].
      const a = factorOf(layer.w1);
      const b = factorOf(layer.w2);
      const cols = a.cols * b.cols;
      const out = new Float64Array(a.rows * b.rows * cols);
      for (let i1 = 0; i1 < a.rows; i1++) {
        for (let j1 = 0; j1 < a.cols; j1++) {
          const x = a.data[i1 * a.cols + j1]!;
          if (x === 0) continue;
          for (let i2 = 0; i2 < b.rows; i2++) {
            const row = (i1 * b.rows + i2) * cols + j1 * b.cols;
            for (let j2 = 0; j2 < b.cols; j2++) out[row + j2] = x * b.data[i2 * b.cols + j2]!;
          }
        }
      }
      return out;
    }
  }
}

/** float32's machine epsilon: LyCORIS adds torch.finfo(float32).eps to each norm. */
const F32_EPS = 2 ** -23;

/**
 * What the adapter adds to `weight` ([out, in], unchanged) at `multiplier`: LyCORIS's
 * `new_weight - base_weight`, in float64. Several adapters on one Linear each add theirs against
 * the same W (LyCORIS's stacked wrappers each take the module's own weight as base).
 */
export function adapterDelta(layer: LoraLayer, weight: Float32Array, multiplier: number): Float64Array {
  const delta = adapterProduct(layer);
  const scale = adapterScale(layer);
  const { dora } = layer;
  if (!dora) {
    const factor = multiplier * scale;
    for (let i = 0; i < delta.length; i++) delta[i]! *= factor;
    return delta;
  }
  const out = layer.outFeatures;
  const inner = layer.inFeatures;
  const merged = new Float64Array(delta.length);
  for (let i = 0; i < delta.length; i++) merged[i] = weight[i]! + scale * delta[i]!;
  const norms = new Float64Array(dora.axis === 'out' ? out : inner);
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < inner; j++) norms[dora.axis === 'out' ? i : j]! += merged[i * inner + j]! ** 2;
  }
  const factors = norms.map((n, k) => {
    const s = dora.data[k]! / (Math.sqrt(n) + F32_EPS);
    return multiplier === 1 ? s : multiplier * (s - 1) + 1;
  });
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < inner; j++) {
      const at = i * inner + j;
      delta[at] = merged[at]! * factors[dora.axis === 'out' ? i : j]! - weight[at]!;
    }
  }
  return delta;
}
