// The "Beyond CLIP" page's T5, in the cells' worker: the site's demo T5 (models/fixtures/t5-demo,
// 110 kB) on the engine the bar chose for CLIP, its tokenizer, and SD3's encode_prompt over the demo
// CLIP (standing in for both CLIP-L and CLIP-G) and this T5. Loaded only when a cell names them:
// the CLIP pages never fetch or import any T5 code.
import type { Tensor } from '@tensorflow/tfjs-core';
import type { T5Config, T5EncodeInputs, T5EncoderEngine } from '@sdtext/text-encoder/t5';
import type { LoadedTextEncoder } from '@sdtext/pipeline';
import type { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { loadPipelinePackage, loadTextEncoderPackage } from './lazy';
import { PyTensor } from './pyrepr';
import { readSafetensors } from './safetensors';
import { siteUrl } from './runtime';
import { loadTokenizer } from './tokenizer';
import type { SiteEncoder, Tf } from './site-encoder';

export const T5_DEMO_PATH = 'generated/models/t5-demo/';

/** What cells call `t5`: the engine's encode, and forward with tfjs tensors out (as `textEncoder`). */
export interface T5View {
  readonly config: T5Config;
  /** e.g. "tfjs (wasm)" or "onnxruntime-web (wasm, 2 threads)". */
  readonly backend: string;
  encode(inputs: T5EncodeInputs): ReturnType<T5EncoderEngine['encode']>;
  forward(inputs: T5EncodeInputs): Promise<{ lastHiddenState: Tensor; hiddenStates?: Tensor[] }>;
  toString(): string;
}

export interface T5Scope {
  t5Tokenizer: T5Tokenizer;
  t5: T5View;
  /** SD3's encode_prompt on the demo stack: { promptEmbeds, pooledPromptEmbeds } as tensors. */
  sd3: { encodePrompt(options: { prompt: string | string[]; maxSequenceLength?: number }): Promise<{ promptEmbeds: Tensor; pooledPromptEmbeds: Tensor }> };
  relativePositionBucket: (relativePosition: number, numBuckets: number, maxDistance: number) => number;
  /** transformers' T5EncoderModel on the demo's prompts (scripts/sd3/make-demo-t5.py): ids, mask, last_hidden_state. */
  t5Reference(): Promise<{ prompts: string[]; input_ids: number[][]; attention_mask: number[][]; last_hidden_state: PyTensor }>;
}

async function t5Reference(): ReturnType<T5Scope['t5Reference']> {
  const [manifest, bytes] = await Promise.all([
    fetch(siteUrl(`${T5_DEMO_PATH}manifest.json`)).then((r) => r.json() as Promise<{ prompts: string[] }>),
    fetch(siteUrl(`${T5_DEMO_PATH}outputs/demo.safetensors`)).then(async (r) => new Uint8Array(await r.arrayBuffer())),
  ]);
  const tensors = readSafetensors(bytes);
  const rows = (name: string): number[][] => {
    const t = tensors.get(name)!;
    return Array.from({ length: t.shape[0]! }, (_, r) => Array.from(t.data).slice(r * t.shape[1]!, (r + 1) * t.shape[1]!));
  };
  const last = tensors.get('last_hidden_state')!;
  return { prompts: manifest.prompts, input_ids: rows('input_ids'), attention_mask: rows('attention_mask'), last_hidden_state: new PyTensor(last.data, last.shape) };
}

/**
 * The demo CLIP as SD3's CLIP-L / CLIP-G: its pooled output as `text_embeds` (an identity
 * projection, what diffusers gives a single file's CLIP-L), since the demo model has no projection.
 */
function identityProjection(engine: LoadedTextEncoder): LoadedTextEncoder {
  return {
    engine: engine.engine,
    get backend() {
      return engine.backend;
    },
    config: engine.config,
    withProjection: true,
    encode: async (inputs) => {
      const out = await engine.encode(inputs);
      return { ...out, textEmbeds: out.poolerOutput };
    },
    finalLayerNorm: (x) => engine.finalLayerNorm(x),
    dispose: () => engine.dispose(),
  };
}

async function loadModel(loaded: SiteEncoder): Promise<T5EncoderEngine> {
  const url = siteUrl(T5_DEMO_PATH);
  if (loaded.inUse.engine === 'onnx') {
    const { OnnxT5EncoderModel } = await import(/* webpackChunkName: "sdtext-onnx-t5" */ '@sdtext/onnx/t5');
    const provider = loaded.inUse.backend === 'webgpu' ? 'webgpu' : 'wasm';
    return OnnxT5EncoderModel.fromPretrained(url, {
      runtime: 'web',
      executionProviders: [provider],
      threads: loaded.inUse.threads ?? 1,
      wasmPaths: siteUrl('generated/ort/'),
      cache: false,
    });
  }
  const { T5EncoderModel } = await import(/* webpackChunkName: "sdtext-t5" */ '@sdtext/text-encoder/t5');
  return T5EncoderModel.fromPretrained(url, { cache: false });
}

function view(engine: T5EncoderEngine, tf: Tf, tree: string): T5View {
  const tensorOf = (t: { data: Float32Array; dims: number[] }): Tensor => tf.tensor(t.data, t.dims, 'float32');
  return {
    config: engine.config,
    backend: engine.backend,
    encode: (inputs) => engine.encode(inputs),
    async forward(inputs) {
      const out = await engine.encode(inputs);
      return { lastHiddenState: tensorOf(out.lastHiddenState), ...(out.hiddenStates ? { hiddenStates: out.hiddenStates.map(tensorOf) } : {}) };
    },
    toString: () => tree,
  };
}

let scope: Promise<T5Scope> | null = null;

async function load(loaded: SiteEncoder): Promise<T5Scope> {
  const [{ T5Tokenizer }, { UrlSource }, t5Pipeline, { WeightScope }, { T5EncoderModel }] = await Promise.all([
    import(/* webpackChunkName: "sdtext-t5" */ '@sdtext/tokenizer/t5'),
    loadPipelinePackage(),
    import(/* webpackChunkName: "sdtext-t5" */ '@sdtext/pipeline/t5'),
    loadTextEncoderPackage(),
    import(/* webpackChunkName: "sdtext-t5" */ '@sdtext/text-encoder/t5'),
  ]);
  // Only spiece.model is served: converted as transformers' T5Converter does (T5TokenizerFast, what diffusers runs).
  const t5Tokenizer = await T5Tokenizer.fromPretrained(new UrlSource(siteUrl(T5_DEMO_PATH)), { useFast: true });
  const engine = await loadModel(loaded);
  // The module tree from the config (meta tensors), the same on both engines: the ONNX graph uses HF's names.
  const tree = String(new T5EncoderModel(WeightScope.meta().vs, engine.config, false));
  const clip = identityProjection(loaded.encoder);
  const tf = loaded.tf;
  const stage = { tokenizer: await loadTokenizer(), textEncoder: clip, useAttentionMask: false };
  return {
    t5Tokenizer,
    t5: view(engine, tf, tree),
    relativePositionBucket: t5Pipeline.relativePositionBucket,
    t5Reference,
    sd3: {
      async encodePrompt({ prompt, maxSequenceLength }) {
        const out = await t5Pipeline.encodePromptSd3(
          { clipL: stage, clipG: stage, t5: { tokenizer: t5Tokenizer, textEncoder: engine }, clipLPooled: 'text_embeds', jointAttentionDim: engine.config.d_model },
          { prompt, guidance: false, ...(maxSequenceLength !== undefined ? { maxSequenceLength } : {}), onWarning: () => undefined },
        );
        return {
          promptEmbeds: tf.tensor(out.promptEmbeds.data, out.promptEmbeds.shape, 'float32'),
          pooledPromptEmbeds: tf.tensor(out.pooledPromptEmbeds!.data, out.pooledPromptEmbeds!.shape, 'float32'),
        };
      },
    },
  };
}

/** The T5 names of the cells' scope, loaded once per worker (after the CLIP encoder: tfjs and the engine choice come from it). */
export function loadT5Scope(loaded: SiteEncoder): Promise<T5Scope> {
  scope ??= load(loaded).catch((error: unknown) => {
    scope = null;
    throw error;
  });
  return scope;
}
