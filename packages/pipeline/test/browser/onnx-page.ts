// Runs in chromium (bundled by onnx-bundle.spec.ts with esbuild): loadTextEncoder with 'auto' in a
// browser bundle, once with @sdtext/onnx handed in as an import the bundler sees, once without
// (the pipeline's own lazy import of the optional peer cannot resolve in a page).
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { loadTextEncoder, type LoadedTextEncoder } from '../../src/index.js';

export interface OnnxBundleReport {
  isolated: boolean;
  handedIn: { engine: string; backend: string; fallbackReason: string | null; maxAbs: Record<string, number> };
  bare: { engine: string; fallbackReason: string | null };
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

async function run(origin: string): Promise<OnnxBundleReport> {
  const model = `${origin}/models/sd2-tiny`;
  const golden = await loadSafetensors(`${model}/outputs/pad77_masked.safetensors`);
  const rows = (name: string): number[][] => {
    const t = golden.tensors.get(name)!;
    const flat = Array.from(new Int32Array(toFloat32(t.dtype, t.data).map(Math.round)));
    const [b, s] = t.shape as [number, number];
    return Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s));
  };
  const expected = (name: string): Float32Array => {
    const t = golden.tensors.get(name)!;
    return toFloat32(t.dtype, t.data);
  };
  const inputs = { inputIds: rows('input_ids'), attentionMask: rows('attention_mask') };

  const handedIn: LoadedTextEncoder = await loadTextEncoder(`${model}/text_model`, {
    engine: 'auto',
    onnx: () => import('@sdtext/onnx'),
    runtime: 'web',
    executionProviders: ['wasm'],
    wasmPaths: `${origin}/ort/`,
    cache: false,
  });
  const out = await handedIn.encode(inputs);
  const report: OnnxBundleReport['handedIn'] = {
    engine: handedIn.engine,
    backend: handedIn.backend,
    fallbackReason: handedIn.fallbackReason ?? null,
    maxAbs: {
      last_hidden_state: maxAbs(out.lastHiddenState.data, expected('last_hidden_state')),
      pooler_output: maxAbs(out.poolerOutput.data, expected('pooler_output')),
    },
  };
  await handedIn.dispose();
  const bare = await loadTextEncoder(`${model}/text_model`, { engine: 'auto', backend: 'cpu' });
  const result = { isolated: crossOriginIsolated, handedIn: report, bare: { engine: bare.engine, fallbackReason: bare.fallbackReason ?? null } };
  await bare.dispose();
  return result;
}

declare global {
  interface Window {
    onnxBundleTest: (origin: string) => Promise<OnnxBundleReport>;
  }
}
window.onnxBundleTest = run;
