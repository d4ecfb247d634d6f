import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, toFloat32, toNumbers } from '@sdtext/core';
import { tinyModelDir } from './paths.js';

/**
 * A tolerance per engine (tfjs on its cpu backend, ONNX Runtime; both float32 on the CPU): about 3x
 * the largest error that engine reached in the test, re-measured before any change.
 */
export type EngineBound = Record<'tfjs' | 'onnx', number>;

export interface Golden {
  texts: string[];
  /** [B, 77, H] */
  lastHiddenState: Float32Array;
  /** [L + 1, B, 77, H] */
  hiddenStates: Float32Array;
  /** [B, P] */
  textEmbeds: Float32Array;
  shape: { batch: number; seq: number; hidden: number; layers: number };
}

/** The reference outputs of one golden case (transformers on the tiny model). */
export async function loadGolden(model: 'sd2-tiny' | 'sd1-tiny', caseName: 'pad77' | 'pad77_masked'): Promise<Golden> {
  const manifest = JSON.parse(await readFile(join(tinyModelDir(model), 'manifest.json'), 'utf8')) as {
    cases: Record<string, { texts: string[] }>;
  };
  const file = await loadSafetensors(join(tinyModelDir(model), 'outputs', `${caseName}.safetensors`));
  const get = (name: string): Float32Array => {
    const t = file.tensors.get(name);
    if (!t) throw new Error(`golden ${name} missing`);
    return Float32Array.from(toFloat32(t.dtype, t.data));
  };
  const hs = file.tensors.get('hidden_states')!.shape as [number, number, number, number];
  return {
    texts: manifest.cases[caseName]!.texts,
    lastHiddenState: get('last_hidden_state'),
    hiddenStates: get('hidden_states'),
    textEmbeds: get('text_embeds'),
    shape: { layers: hs[0] - 1, batch: hs[1], seq: hs[2], hidden: hs[3] },
  };
}

/** Rows `rows` of a [B, ...] array whose rows have `rowSize` values. */
export function takeRows(data: Float32Array, rowSize: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((r, i) => out.set(data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
  return out;
}

/** hidden_states[index] of the golden, [B, S, H]. */
export function hiddenState(g: Golden, index: number): Float32Array {
  const size = g.shape.batch * g.shape.seq * g.shape.hidden;
  const i = index < 0 ? g.shape.layers + 1 + index : index;
  return g.hiddenStates.slice(i * size, (i + 1) * size);
}

/**
 * diffusers' encode_prompt with clip_skip on the golden case pad77 ([B, 77, H]):
 * final_layer_norm(hidden_states[-(clipSkip + 1)]), as scripts/make_clip_skip_references.py ran
 * diffusers' lines on a torch CLIP checked against transformers' outputs.
 */
export async function clipSkipReference(model: 'sd2-tiny' | 'sd1-tiny', clipSkip: 1 | 2): Promise<Float32Array> {
  const file = await loadSafetensors(fileURLToPath(new URL('../fixtures/clip-skip.safetensors', import.meta.url)));
  const golden = await loadSafetensors(join(tinyModelDir(model), 'outputs', 'pad77.safetensors'));
  const ids = (f: typeof file, name: string) => toNumbers(f.tensors.get(name)!.data).join(',');
  if (ids(file, `${model}.input_ids`) !== ids(golden, 'input_ids')) throw new Error(`clip-skip.safetensors holds other input_ids than ${model} pad77`);
  const t = file.tensors.get(`${model}.clip_skip_${clipSkip}`)!;
  return Float32Array.from(toFloat32(t.dtype, t.data));
}

/** Columns [from, to) of the last axis of a [..., width] array. */
export function sliceLastAxis(data: Float32Array, width: number, from: number, to: number): Float32Array {
  const rows = data.length / width;
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * width + from, r * width + to), r * (to - from));
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
