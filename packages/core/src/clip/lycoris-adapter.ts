import { LoraError } from './lora-error.js';
import type { DoraScale, KroneckerFactor, LoraLayer, Matrix } from './lycoris.js';

/**
 * One Linear's stored parts -> its adapter, with every shape checked to fit, as LyCORIS's
 * `make_module_from_state_dict` reads them: which kind is decided by the parts present (LyCORIS's
 * `algo_check`: `hada_w1_a` is LoHa, `lokr_w1` / `lokr_w1_a` LoKr, `lora_up` LoCon / LoRA).
 */

/** Which part of an adapter a key is. */
export type LoraRole =
  | 'up'
  | 'down'
  | 'alpha'
  | 'dora_scale'
  | 'hada_w1_a'
  | 'hada_w1_b'
  | 'hada_w2_a'
  | 'hada_w2_b'
  | 'lokr_w1'
  | 'lokr_w1_a'
  | 'lokr_w1_b'
  | 'lokr_w2'
  | 'lokr_w2_a'
  | 'lokr_w2_b';

export interface StoredPart {
  data: Float32Array;
  shape: number[];
}

const KIND_ROLES: Record<LoraLayer['kind'], readonly LoraRole[]> = {
  lora: ['up', 'down'],
  loha: ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b'],
  lokr: ['lokr_w1', 'lokr_w1_a', 'lokr_w1_b', 'lokr_w2', 'lokr_w2_a', 'lokr_w2_b'],
};

const dims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function buildAdapter(stored: ReadonlyMap<LoraRole, StoredPart>, where: string): LoraLayer {
  const kinds = (Object.keys(KIND_ROLES) as LoraLayer['kind'][]).filter((k) => KIND_ROLES[k].some((r) => stored.has(r)));
  if (kinds.length === 0) throw new LoraError(`${where}: only ${[...stored.keys()].join(' and ')}, no adapter matrices`);
  if (kinds.length > 1) throw new LoraError(`${where}: mixes ${kinds.join(' and ')} parts (${[...stored.keys()].join(', ')})`);
  const kind = kinds[0]!;
  const fail = (message: string): never => {
    throw new LoraError(`${where}: ${message}`);
  };
  const need = (role: LoraRole, missing: string): Matrix => {
    const part = stored.get(role) ?? fail(`has no ${missing}`);
    return { data: part.data, rows: part.shape[0]!, cols: part.shape[1]! };
  };
  const alpha = stored.get('alpha')?.data[0];
  let layer: LoraLayer;
  if (kind === 'lora') {
    const up = need('up', 'up matrix');
    const down = need('down', 'down matrix');
    if (up.cols !== down.rows) fail(`up is [${up.rows}, ${up.cols}] and down [${down.rows}, ${down.cols}]: ranks differ`);
    layer = { kind, up: up.data, down: down.data, rank: up.cols, outFeatures: up.rows, inFeatures: down.cols, alpha: alpha ?? up.cols };
  } else if (kind === 'loha') {
    const [w1a, w1b, w2a, w2b] = (['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b'] as const).map((r) => need(r, r)) as [Matrix, Matrix, Matrix, Matrix];
    const pairs: [string, Matrix, Matrix][] = [
      ['hada_w1', w1a, w1b],
      ['hada_w2', w2a, w2b],
    ];
    for (const [name, a, b] of pairs) if (a.cols !== b.rows) fail(`${name}_a is [${a.rows}, ${a.cols}] and ${name}_b [${b.rows}, ${b.cols}]: ranks differ`);
    if (w1a.rows !== w2a.rows || w1b.cols !== w2b.cols || w1b.rows !== w2b.rows) {
      fail(`its two Hadamard factors differ in shape or rank: w1 [${w1a.rows}, ${w1a.cols}] @ [${w1b.rows}, ${w1b.cols}], w2 [${w2a.rows}, ${w2a.cols}] @ [${w2b.rows}, ${w2b.cols}]`);
    }
    // LyCORIS's lora_dim is w1_b's rows; an alpha of 0 means lora_dim (lycoris.ts).
    layer = { kind, w1a, w1b, w2a, w2b, rank: w1b.rows, outFeatures: w1a.rows, inFeatures: w1b.cols, alpha: alpha ?? w1b.rows };
  } else {
    const factor = (n: 1 | 2): KroneckerFactor => {
      const full = stored.get(`lokr_w${n}`);
      const a = stored.get(`lokr_w${n}_a`);
      const b = stored.get(`lokr_w${n}_b`);
      if (full && (a || b)) fail(`has both lokr_w${n} and lokr_w${n}_a/_b`);
      if (full) return { full: need(`lokr_w${n}`, `lokr_w${n}`) };
      const ma = need(`lokr_w${n}_a`, `lokr_w${n} (or lokr_w${n}_a and _b)`);
      const mb = need(`lokr_w${n}_b`, `lokr_w${n}_b`);
      if (ma.cols !== mb.rows) fail(`lokr_w${n}_a is [${ma.rows}, ${ma.cols}] and lokr_w${n}_b [${mb.rows}, ${mb.cols}]: ranks differ`);
      return { a: ma, b: mb };
    };
    const w1 = factor(1);
    const w2 = factor(2);
    const shapeOf = (f: KroneckerFactor): [number, number] => ('full' in f ? [f.full.rows, f.full.cols] : [f.a.rows, f.b.cols]);
    const [r1, c1] = shapeOf(w1);
    const [r2, c2] = shapeOf(w2);
    // LyCORIS's lora_dim: w1_a's columns, else w2_a's; with both factors full the scale is 1.
    const rank = 'a' in w1 ? w1.a.cols : 'a' in w2 ? w2.a.cols : null;
    layer = { kind, w1, w2, rank, outFeatures: r1 * r2, inFeatures: c1 * c2, alpha: alpha ?? rank ?? 1 };
  }
  const dora = stored.get('dora_scale');
  if (dora) layer.dora = doraScale(dora, layer.outFeatures, layer.inFeatures, fail);
  return layer;
}

/** dora_scale [out, 1] (norm per output row) or [1, in] (per input column), positive. */
function doraScale({ data, shape }: StoredPart, out: number, inner: number, fail: (message: string) => never): DoraScale {
  const axis = shape[0] === out && shape[1] === 1 ? 'out' : shape[0] === 1 && shape[1] === inner ? 'in' : null;
  if (axis === null) return fail(`dora_scale is ${dims(shape)}, expected [${out}, 1] or [1, ${inner}] for a [${out}, ${inner}] weight`);
  return { axis, data };
}
