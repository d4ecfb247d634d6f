// The browser half of the golden parity suite (golden.spec.ts drives it). Bundled by esbuild with
// the "@sdtext/source" condition, so it runs this package's src/ in chromium. Models and golden
// outputs are fetched from the test's local server: the models through fromPretrained(URL).
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, toFloat32, toNumbers, type FileSource, type RawTensor, type SafetensorsFile } from '@sdtext/core';
import { CLIPTextModel, CLIPTextModelWithProjection, selectBackend, type BackendName } from '../../src/index.js';

export interface ParityOptions {
  backend: BackendName;
  /** Server root, e.g. http://127.0.0.1:1234 (models under /models/<name>/, wasm under /wasm/). */
  origin: string;
  models: readonly string[];
  cases: readonly string[];
}

export interface ParityRow {
  model: string;
  case: string;
  output: string;
  /** Max abs error vs the golden tensor; Infinity for NaN or a shape mismatch. */
  maxAbs: number;
  shape: number[];
  expectedShape: number[];
}

export interface ParityResult {
  backend: string;
  /** What the backend runs on: tfjs flags and the GPU adapter, for the report. */
  environment: Record<string, unknown>;
  rows: ParityRow[];
  /** Tensors left behind per model/case (0 when the forward passes dispose everything). */
  leaks: { model: string; case: string; leaked: number }[];
  ms: number;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** A FileSource over a base URL with config.json fields overridden (the first-EOS pooling rule). */
function overriddenSource(base: string, overrides: Record<string, unknown>): FileSource {
  return {
    name: `${base} (config overridden)`,
    async readText(path) {
      const response = await fetch(`${base}/${path}`);
      if (response.status === 404) return null;
      const text = await response.text();
      return path.endsWith('config.json') ? JSON.stringify({ ...JSON.parse(text), ...overrides }) : text;
    },
    async readBytes(path) {
      const response = await fetch(`${base}/${path}`);
      if (response.status === 404) return null;
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}

function golden(file: SafetensorsFile, name: string): RawTensor {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`golden tensor ${name} missing`);
  return t;
}

function rows(t: RawTensor): number[][] {
  const flat = toNumbers(t.data);
  const [b, s] = t.shape as [number, number];
  return Array.from({ length: b }, (_, i) => flat.slice(i * s, (i + 1) * s));
}

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let m = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

async function environment(backend: BackendName): Promise<Record<string, unknown>> {
  const env: Record<string, unknown> = { crossOriginIsolated: globalThis.crossOriginIsolated };
  if (backend === 'webgl') {
    for (const flag of ['WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_FORCE_F16_TEXTURES', 'WEBGL_PACK']) {
      env[flag] = tf.env().get(flag);
    }
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    env.renderer = gl && info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl?.getParameter(gl.RENDERER);
  }
  if (backend === 'webgpu') {
    // GPUAdapter.info is newer than the @webgpu/types that tfjs brings.
    type AdapterInfo = { vendor: string; architecture: string; description: string };
    const adapter = (await navigator.gpu?.requestAdapter()) as { info?: AdapterInfo } | null;
    const info = adapter?.info;
    env.adapter = info ? `${info.vendor} ${info.architecture} ${info.description}`.trim() : null;
    env.WEBGPU_USE_GLSL = tf.env().getFlags().WEBGPU_USE_GLSL;
  }
  if (backend === 'wasm') env.WASM_HAS_SIMD_SUPPORT = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return env;
}

export async function runParity(options: ParityOptions): Promise<ParityResult> {
  const start = performance.now();
  const { backend, origin } = options;
  if (backend === 'webgl') {
    // float32 textures (tfjs would fall back to f16 only on a device without them): the package
    // registers its flags on import, before selectBackend starts it.
    await import('@tensorflow/tfjs-backend-webgl');
    tf.env().set('WEBGL_FORCE_F16_TEXTURES', false);
  }
  if (backend === 'webgpu') {
    if (!('gpu' in navigator)) throw new Error('navigator.gpu is missing: WebGPU is off in this browser (chromium needs --enable-unsafe-webgpu)');
    if ((await navigator.gpu.requestAdapter()) === null) throw new Error('navigator.gpu.requestAdapter() returned null: no WebGPU adapter');
  }
  // The wasm backend fetches its .wasm files from the server; every other backend needs no paths.
  await selectBackend(backend, { wasmPaths: `${origin}/wasm/` });

  const result: ParityResult = { backend: tf.getBackend(), environment: await environment(backend), rows: [], leaks: [], ms: 0 };
  for (const model of options.models) {
    const base = `${origin}/models/${model}`;
    const plain = await CLIPTextModel.fromPretrained(`${base}/text_model`, { backend });
    const projection = await CLIPTextModelWithProjection.fromPretrained(base, { subfolder: 'text_model_with_projection', backend });
    // Same weights, eos_token_id set to CLIP's real EOS: pools at its first occurrence.
    const firstEos = await CLIPTextModel.fromPretrained(overriddenSource(base, { eos_token_id: 49407 }), {
      subfolder: 'text_model',
      backend,
    });

    for (const caseName of options.cases) {
      const g = readSafetensors(await fetchBytes(`${base}/outputs/${caseName}.safetensors`), `${model}/${caseName}`);
      const inputIds = rows(golden(g, 'input_ids'));
      const attentionMask = g.tensors.has('attention_mask') ? rows(golden(g, 'attention_mask')) : undefined;
      const check = async (output: string, actual: tf.Tensor, expectedName = output): Promise<void> => {
        const expected = golden(g, expectedName);
        const sameShape = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
        const data = await actual.data();
        result.rows.push({
          model,
          case: caseName,
          output,
          maxAbs: sameShape ? maxAbsDiff(data, toFloat32(expected.dtype, expected.data)) : Infinity,
          shape: actual.shape,
          expectedShape: [...expected.shape],
        });
      };

      const before = tf.memory().numTensors;
      const out = plain.forward({ inputIds, attentionMask, outputHiddenStates: true });
      await check('last_hidden_state', out.lastHiddenState);
      await check('pooler_output', out.poolerOutput);
      await check('pooler_output_legacy_argmax', out.poolerOutput);
      const stacked = tf.stack(out.hiddenStates!);
      await check('hidden_states', stacked);
      stacked.dispose();

      const proj = projection.forward({ inputIds, attentionMask });
      await check('text_embeds', proj.textEmbeds);
      await check('projection last_hidden_state', proj.lastHiddenState, 'last_hidden_state');

      const eos = firstEos.forward({ inputIds, attentionMask });
      await check('pooler_output_first_eos', eos.poolerOutput);

      tf.dispose([...Object.values(out).flat(), ...Object.values(proj), ...Object.values(eos)]);
      result.leaks.push({ model, case: caseName, leaked: tf.memory().numTensors - before });
    }
    plain.dispose();
    projection.dispose();
    firstEos.dispose();
  }
  result.ms = performance.now() - start;
  return result;
}

declare global {
  interface Window {
    sdtextParity: typeof runParity;
  }
}
window.sdtextParity = runParity;
