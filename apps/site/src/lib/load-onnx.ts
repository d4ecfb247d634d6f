// Loads the text encoder on ONNX Runtime Web (in the cells' worker), through @sdtext/pipeline with
// @sdtext/onnx handed in (`onnx: () => import('@sdtext/onnx')`, which webpack splits into a chunk
// of its own): wasm with SIMD, threads on every core where the page is cross-origin isolated, or
// the WebGPU execution provider. onnxruntime-web's glue (.mjs) and binary (.wasm) are served by the
// site (scripts/prepare-static.mjs); its pthread workers start from that .mjs file.
import type { LoadedTextEncoder } from '@sdtext/pipeline';
import type { BackendName, ModelChoice } from './contracts';
import { SD2_REPO, SD2_REVISION, TINY_PATH } from './contracts';
import { loadOnnxPackage, loadPipelinePackage, loadTextEncoderPackage } from './lazy';
import { EngineStartError, type LoadContext } from './load-context';
import { loadTf } from './load-tfjs';
import { OnnxTextModelView } from './onnx-text-model';
import type { SiteEncoder } from './site-encoder';

type Provider = 'webgpu' | 'wasm';

interface Loaded {
  encoder: LoadedTextEncoder;
  dispose(): Promise<void>;
}

async function loadModel(model: ModelChoice, provider: Provider, threads: number, ctx: LoadContext): Promise<Loaded> {
  const engineOptions = {
    onnx: loadOnnxPackage,
    runtime: 'web' as const,
    executionProviders: [provider],
    threads,
    wasmPaths: ctx.siteUrl('generated/ort/'),
    // No embedding cache: a cell's time is the forward pass it ran (the prompt cell keeps its own).
    cache: false as const,
  };
  const { loadTextEncoder, TextPipeline } = await loadPipelinePackage();
  if (model === 'tiny') {
    const encoder = await loadTextEncoder(ctx.siteUrl(`${TINY_PATH}text_model`), { ...engineOptions, engine: 'onnx' });
    return { encoder, dispose: () => encoder.dispose() };
  }
  const pipe = await TextPipeline.fromPretrained(SD2_REPO, {
    revision: SD2_REVISION,
    engine: 'onnx',
    engineOptions,
    onProgress: ctx.onProgress,
    offline: ctx.offline,
    ...(ctx.hubEndpoint ? { endpoint: ctx.hubEndpoint } : {}),
  });
  return { encoder: pipe.encoder, dispose: () => pipe.dispose() };
}

export async function loadOnOnnx(order: readonly BackendName[], model: ModelChoice, ctx: LoadContext): Promise<SiteEncoder> {
  const { EngineUnavailableError } = await loadPipelinePackage();
  // onnxruntime-web runs one thread unless the page is isolated (and warns if asked for more).
  const threads = ctx.platform.isolated ? ctx.platform.cores : 1;
  for (const backend of order) {
    if (backend !== 'webgpu' && backend !== 'wasm') continue;
    let loaded: Loaded;
    try {
      loaded = await loadModel(model, backend, threads, ctx);
    } catch (error) {
      // Only "this provider cannot start here" moves on; a missing file or a bad checkpoint is the answer.
      if (!(error instanceof EngineUnavailableError)) throw error;
      ctx.skip(`ONNX Runtime Web ${backend}: ${error.message}`);
      continue;
    }
    // tfjs holds the cells' tensors; its cpu backend needs no binaries and no GPU.
    const tf = await loadTf();
    const { selectBackend, describeCLIPTextModel, describeCLIPTextTransformer } = await loadTextEncoderPackage();
    await selectBackend('cpu');
    const { encoder } = loaded;
    const used = backend === 'wasm' ? threads : null;
    return {
      inUse: { engine: 'onnx', backend, threads: used, model, label: encoder.backend },
      encoder,
      textEncoder: new OnnxTextModelView(encoder, tf, {
        model: (config) => describeCLIPTextModel(config, { withProjection: encoder.withProjection }),
        transformer: describeCLIPTextTransformer,
      }),
      tf,
      dispose: loaded.dispose,
    };
  }
  throw new EngineStartError(`ONNX Runtime Web could not start (tried ${order.filter((b) => b === 'webgpu' || b === 'wasm').join(', ')})`);
}
