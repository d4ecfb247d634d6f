import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, toFloat32, toNumbers, type RawTensor, type SafetensorsFile } from '@sdtext/core';

/** The golden fixtures (copied into the repo; tests never read ../shared). */
export const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/models/', import.meta.url));
export const MODELS = ['sd2-tiny', 'sd1-tiny'] as const;
export const CASES = ['pad77', 'pad77_masked', 'longest', 'noeos', 'single'] as const;
export type ModelName = (typeof MODELS)[number];
export type CaseName = (typeof CASES)[number];

export interface GoldenCase {
  inputIds: number[][];
  attentionMask?: number[][];
  tensor(name: string): { data: Float32Array; dims: number[] };
  has(name: string): boolean;
}

function rows(t: RawTensor): number[][] {
  const flat = toNumbers(t.data);
  const [b, s] = t.shape as [number, number];
  return Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s));
}

export async function loadCase(model: ModelName, caseName: CaseName): Promise<GoldenCase> {
  const file: SafetensorsFile = await loadSafetensors(path.join(FIXTURES, model, 'outputs', `${caseName}.safetensors`));
  const get = (name: string): RawTensor => {
    const t = file.tensors.get(name);
    if (!t) throw new Error(`golden tensor ${name} missing`);
    return t;
  };
  const mask = file.tensors.get('attention_mask');
  return {
    inputIds: rows(get('input_ids')),
    attentionMask: mask ? rows(mask) : undefined,
    tensor: (name) => {
      const t = get(name);
      return { data: toFloat32(t.dtype, t.data), dims: [...t.shape] };
    },
    has: (name) => file.tensors.has(name),
  };
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let m = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/**
 * How far one [..., d] output is from another, row by row (a token's vector each): the smallest
 * cosine between matching rows and the largest |a - b| of any element. For lossy variants (q8).
 */
export function rowwiseDistance(a: Float32Array, b: Float32Array, d: number): { minCos: number; maxAbs: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let minCos = 1;
  let maxAbs = 0;
  for (let t = 0; t < a.length / d; t++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = t * d; i < (t + 1) * d; i++) {
      ab += a[i]! * b[i]!;
      aa += a[i]! * a[i]!;
      bb += b[i]! * b[i]!;
      maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    }
    minCos = Math.min(minCos, ab / Math.sqrt(aa * bb));
  }
  return { minCos, maxAbs };
}
