// The browser half of the golden parity suite (golden.spec.ts drives it), bundled by esbuild with
// the "@sdtext/source" condition: this package's src/ on onnxruntime-web in chromium. Checkpoints
// and golden outputs come from the test's local server (fromPretrained by URL).
import { loadSafetensors, toFloat32, toNumbers, type RawTensor, type FloatTensor } from '@sdtext/core';
import { OnnxCLIPTextModel, type WebExecutionProvider } from '../../src/index.js';

export interface PageOptions {
  executionProvider: WebExecutionProvider;
  /** Server root (checkpoints under /models/<name>/, onnxruntime-web's files under /ort/). */
  origin: string;
  models: readonly string[];
  cases: readonly string[];
}

export interface PageRow {
  model: string;
  case: string;
  output: string;
  maxAbs: number;
}

export interface PageResult {
  backend: string;
  rows: PageRow[];
  ms: number;
}

function maxAbs(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let m = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

const stack = (ts: readonly FloatTensor[]): Float32Array => {
  const out = new Float32Array(ts.reduce((n, t) => n + t.data.length, 0));
  ts.reduce((at, t) => (out.set(t.data, at), at + t.data.length), 0);
  return out;
};

async function parity(o: PageOptions): Promise<PageResult> {
  const started = performance.now();
  const rows: PageRow[] = [];
  let backend = '';
  const session = { runtime: 'web', executionProviders: [o.executionProvider], wasmPaths: `${o.origin}/ort/`, cache: false } as const;
  for (const model of o.models) {
    const base = `${o.origin}/models/${model}`;
    const plain = await OnnxCLIPTextModel.fromPretrained(`${base}/text_model`, session);
    const projection = await OnnxCLIPTextModel.fromPretrained(`${base}/text_model_with_projection`, session);
    backend = plain.backend;
    for (const caseName of o.cases) {
      const g = await loadSafetensors(`${base}/outputs/${caseName}.safetensors`);
      const get = (name: string): RawTensor => g.tensors.get(name)!;
      const asRows = (t: RawTensor): number[][] => {
        const flat = toNumbers(t.data);
        const [b, s] = t.shape as [number, number];
        return Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s));
      };
      const inputs = { inputIds: asRows(get('input_ids')), attentionMask: g.tensors.has('attention_mask') ? asRows(get('attention_mask')) : undefined };
      const check = (output: string, actual: Float32Array, name: string): void => {
        const t = get(name);
        rows.push({ model, case: caseName, output, maxAbs: maxAbs(actual, toFloat32(t.dtype, t.data)) });
      };
      const out = await plain.encode({ ...inputs, outputHiddenStates: true });
      check('last_hidden_state', out.lastHiddenState.data, 'last_hidden_state');
      check('pooler_output', out.poolerOutput.data, 'pooler_output');
      check('hidden_states', stack(out.hiddenStates!), 'hidden_states');
      const proj = await projection.encode(inputs);
      check('text_embeds', proj.textEmbeds!.data, 'text_embeds');
    }
    await plain.dispose();
    await projection.dispose();
  }
  return { backend, rows, ms: performance.now() - started };
}

declare global {
  interface Window {
    sdtextOnnxParity: (o: PageOptions) => Promise<PageResult>;
  }
}
window.sdtextOnnxParity = parity;
