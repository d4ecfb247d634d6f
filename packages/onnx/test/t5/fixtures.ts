import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, toFloat32, toNumbers, type FloatTensor, type RawTensor } from '@sdtext/core';

/** The T5 fixtures made by scripts/t5/make-t5-references.py (HF's T5EncoderModel followed in torch 1.13). */
export const T5_FIXTURES = fileURLToPath(new URL('../../../../models/fixtures/t5/', import.meta.url));

/** Each fixture model's weight files: the label of its reference outputs and how to load it. */
export const T5_WEIGHT_FILES: Record<string, { label: string; variant?: string; file?: string }[]> = {
  't5-gated-a': [{ label: 'fp32' }, { label: 'fp16', variant: 'fp16' }, { label: 'bf16', variant: 'bf16' }, { label: 'scaled_fp8', file: 't5-gated-a_fp8_e4m3fn_scaled.safetensors' }],
  't5-relu-b': [{ label: 'fp32' }, { label: 'fp16', variant: 'fp16' }, { label: 'bf16', variant: 'bf16' }, { label: 'fp8', variant: 'fp8' }],
  't5-gelu-c': [{ label: 'fp32' }, { label: 'fp16', variant: 'fp16' }, { label: 'bf16', variant: 'bf16' }],
};
export const T5_CASES = ['masked', 'nomask', 'long'] as const;

export interface T5Case {
  inputIds: number[][];
  attentionMask?: number[][];
  expected(label: string): { lastHiddenState: RawTensor; hiddenStates?: RawTensor };
}

function rows(t: RawTensor): number[][] {
  const flat = toNumbers(t.data);
  const [b, s] = t.shape as [number, number];
  return Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s));
}

export async function loadT5Case(model: string, name: string): Promise<T5Case> {
  const file = await loadSafetensors(path.join(T5_FIXTURES, model, 'outputs', `${name}.safetensors`));
  const get = (key: string): RawTensor => {
    const t = file.tensors.get(key);
    if (!t) throw new Error(`reference ${model}/${name} has no ${key}`);
    return t;
  };
  const mask = file.tensors.get('attention_mask');
  return {
    inputIds: rows(get('input_ids')),
    ...(mask ? { attentionMask: rows(mask) } : {}),
    expected: (label) => ({ lastHiddenState: get(`${label}.last_hidden_state`), ...(file.tensors.has(`${label}.hidden_states`) ? { hiddenStates: get(`${label}.hidden_states`) } : {}) }),
  };
}

/** Tensors stacked along a new first axis. */
export function stack(ts: readonly FloatTensor[]): FloatTensor {
  const data = new Float32Array(ts.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of ts) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return { data, dims: [ts.length, ...ts[0]!.dims] };
}

/** max |actual - expected| / max |expected|: the error relative to the output's scale. */
export function relativeError(actual: FloatTensor, expected: RawTensor): number {
  const want = toFloat32(expected.dtype, expected.data);
  if (actual.data.length !== want.length) throw new Error(`length ${actual.data.length} != ${want.length}`);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    const d = Math.abs(actual.data[i]! - want[i]!);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err / scale;
}

/**
 * A copy of a fixture model's `file` as a sharded checkpoint in `dir` (config.json,
 * model.safetensors.index.json, model-00001-of-00002.safetensors, model-00002-of-00002.safetensors),
 * its tensors split in file order.
 */
export function writeShardedCopy(model: string, file: string, dir: string): void {
  const bytes = new Uint8Array(fs.readFileSync(path.join(T5_FIXTURES, model, file)));
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header)
    .filter((k) => k !== '__metadata__')
    .sort((a, b) => header[a]!.data_offsets[0] - header[b]!.data_offsets[0]);
  const halves = [names.slice(0, names.length >> 1), names.slice(names.length >> 1)];
  const weightMap: Record<string, string> = {};
  fs.mkdirSync(dir, { recursive: true });
  halves.forEach((part, i) => {
    const shard = `model-0000${i + 1}-of-00002.safetensors`;
    const entries: Record<string, unknown> = {};
    const blobs: Uint8Array[] = [];
    let offset = 0;
    for (const name of part) {
      const { dtype, shape, data_offsets: [begin, end] } = header[name]!;
      entries[name] = { dtype, shape, data_offsets: [offset, offset + end - begin] };
      blobs.push(bytes.subarray(8 + n + begin, 8 + n + end));
      offset += end - begin;
      weightMap[name] = shard;
    }
    const head = new TextEncoder().encode(JSON.stringify(entries));
    const out = new Uint8Array(8 + head.length + offset);
    new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
    out.set(head, 8);
    let at = 8 + head.length;
    for (const b of blobs) {
      out.set(b, at);
      at += b.length;
    }
    fs.writeFileSync(path.join(dir, shard), out);
  });
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  fs.copyFileSync(path.join(T5_FIXTURES, model, 'config.json'), path.join(dir, 'config.json'));
}
