// The page half of browser-bench.mjs: bundled by esbuild, run in headless chromium on a cross-origin
// isolated page (wasm threads). Each engine loads the SD2-shaped random checkpoint by URL, as the
// tutorial site's worker does: @sdtext/text-encoder on tfjs (wasm, every core), @sdtext/onnx on
// onnxruntime-web (wasm, every core), and transformers.js's CLIPTextModel on its own
// onnxruntime-web build (the standard-ops ONNX export of the same weights).
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { TfjsTextEncoder, selectBackend } from '@sdtext/text-encoder';
import { OnnxCLIPTextModel } from '../../packages/onnx/dist/index.js';
import { CLIPTextModel as TjsCLIPTextModel, Tensor as TjsTensor, env as tjsEnv } from '@huggingface/transformers';

const idsOf = (batch) =>
  Array.from({ length: batch }, (_, b) => Array.from({ length: 77 }, (_, s) => (s === 0 ? 49406 : s < 12 ? 320 + b + s : 49407)));

/**
 * The load's first part: when the last byte of the weights arrived (onProgress), from the load's
 * start. What follows is the engine's own setup (tfjs: little; ONNX Runtime: the session).
 */
function weightsRead() {
  const t0 = performance.now();
  let at = null;
  return {
    onProgress: (p) => {
      if (/\.safetensors$/.test(p.file) && p.total !== null && p.loaded >= p.total) at = performance.now() - t0;
    },
    ms: () => at,
  };
}

/** tfjs's wasm pool is min(asked, hardwareConcurrency / 2): reported doubled while it starts, as the site does. */
async function withCoresForTfjs(cores, start) {
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 2 * cores });
  try {
    return await start();
  } finally {
    delete navigator.hardwareConcurrency;
  }
}

/** @sdtext/onnx on onnxruntime-web's wasm provider, with `extra` load options. */
async function onnxWasm(o, extra) {
  const read = weightsRead();
  const model = await OnnxCLIPTextModel.fromPretrained(`${o.origin}/models/sd2-random`, {
    onProgress: read.onProgress,
    subfolder: 'text_encoder',
    variant: 'fp16',
    runtime: 'web',
    executionProviders: ['wasm'],
    threads: o.threads,
    wasmPaths: `${o.origin}/ort/`,
    cache: false,
    ...extra,
  });
  return {
    label: `@sdtext/onnx, ${model.backend}`,
    readMs: read.ms(),
    async forward(batch) {
      return (await model.encode({ inputIds: idsOf(batch) })).lastHiddenState.data;
    },
    dispose: () => model.dispose(),
  };
}

/** Each engine: load() -> { label, forward(batch) -> Float32Array of last_hidden_state, dispose() }. */
const ENGINES = {
  async 'tfjs-wasm'(o) {
    setWasmPaths(`${o.origin}/tfjs-wasm/`);
    setThreadsCount(o.threads);
    await withCoresForTfjs(o.threads, () => selectBackend('wasm'));
    const read = weightsRead();
    const encoder = await TfjsTextEncoder.fromPretrained(`${o.origin}/models/sd2-random`, { subfolder: 'text_encoder', variant: 'fp16', cache: false, onProgress: read.onProgress });
    return {
      label: `@sdtext/text-encoder, tfjs wasm (${getThreadsCount()} threads)`,
      readMs: read.ms(),
      async forward(batch) {
        return (await encoder.encode({ inputIds: idsOf(batch) })).lastHiddenState.data;
      },
      dispose: () => encoder.dispose(),
    };
  },
  async 'tfjs-webgl'(o) {
    await selectBackend('webgl');
    const encoder = await TfjsTextEncoder.fromPretrained(`${o.origin}/models/sd2-random`, { subfolder: 'text_encoder', variant: 'fp16', cache: false });
    return {
      label: '@sdtext/text-encoder, tfjs webgl',
      async forward(batch) {
        return (await encoder.encode({ inputIds: idsOf(batch) })).lastHiddenState.data;
      },
      dispose: () => encoder.dispose(),
    };
  },
  'onnx-wasm': (o) => onnxWasm(o, {}),
  /** The same with ORT's weight prepacking on (prepackWeights: true; off by default in browsers): faster passes, a longer load. */
  'onnx-wasm-prepacked': (o) => onnxWasm(o, { prepackWeights: true }),
  async 'onnx-webgpu'(o) {
    const model = await OnnxCLIPTextModel.fromPretrained(`${o.origin}/models/sd2-random`, {
      subfolder: 'text_encoder',
      variant: 'fp16',
      runtime: 'web',
      executionProviders: ['webgpu'],
      wasmPaths: `${o.origin}/ort/`,
      cache: false,
    });
    return {
      label: `@sdtext/onnx, ${model.backend}`,
      async forward(batch) {
        return (await model.encode({ inputIds: idsOf(batch) })).lastHiddenState.data;
      },
      dispose: () => model.dispose(),
    };
  },
  async 'transformers-wasm'(o) {
    tjsEnv.allowRemoteModels = false;
    tjsEnv.allowLocalModels = true;
    tjsEnv.localModelPath = `${o.origin}/models/`;
    tjsEnv.useBrowserCache = false;
    tjsEnv.backends.onnx.wasm.wasmPaths = `${o.origin}/tjs-ort/`;
    tjsEnv.backends.onnx.wasm.numThreads = o.threads;
    const model = await TjsCLIPTextModel.from_pretrained('sd2-random-onnx', { dtype: 'fp32', device: 'wasm', model_file_name: 'model' });
    return {
      label: `transformers.js ${tjsEnv.version}, its onnxruntime-web (wasm, ${o.threads} threads)`,
      async forward(batch) {
        const ids = BigInt64Array.from(idsOf(batch).flat(), BigInt);
        const out = await model({
          input_ids: new TjsTensor('int64', ids, [batch, 77]),
          attention_mask: new TjsTensor('int64', new BigInt64Array(batch * 77).fill(1n), [batch, 77]),
        });
        return out.last_hidden_state.data;
      },
      dispose: () => model.dispose(),
    };
  },
};

/**
 * One engine in this page (the driver opens a fresh browser per engine and round, so no other
 * engine's idle threads share the cores): the load, timed from the first request to a model ready
 * to run, one warm-up pass, then `runs` passes at 1 x 77 and 2 x 77.
 */
async function bench(o) {
  const t0 = performance.now();
  const engine = await ENGINES[o.engine](o);
  const loadMs = performance.now() - t0;
  await engine.forward(1); // first run: kernels compiled, buffers allocated
  const times = { 1: [], 2: [] };
  for (let r = 0; r < o.runs; r++) {
    for (const batch of [1, 2]) {
      const t = performance.now();
      await engine.forward(batch);
      times[batch].push(performance.now() - t);
    }
  }
  // The first 8192 values of last_hidden_state at 2 x 77: the driver holds the engines to each other (a sanity check).
  const head = Array.from((await engine.forward(2)).subarray(0, 8192));
  await engine.dispose();
  return { label: engine.label, loadMs, readMs: engine.readMs ?? null, times, head, isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
}

window.browserBench = bench;
