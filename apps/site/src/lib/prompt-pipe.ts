// What the cells call `pipe`: the tokenizer and text encoder the page loaded, plus
// `encodePrompt`, which is @sdtext/pipeline's own encodePromptSd (what TextPipeline.encodePrompt
// runs for SD 1.x/2.x), over the site's encoder. The site loads a bare CLIPTextModel (the demo
// model, or SD2's), not a TextPipeline, so the engine interface and the prompt cache the pipeline
// keeps are built here around it. Browser only: import()ed by the runner.
import type { Tensor } from '@tensorflow/tfjs-core';
import type { EncodePromptOptions, PromptEmbeddings, ArrayTensor } from '@sdtext/pipeline';
import type { EncoderCache, engineEncoder } from '@sdtext/prompt';
import type { TextModel, Tokenizer } from './contracts';
import type { Tf } from './runtime';
import { loadPipelinePackage, loadPromptPackage } from './lazy';

/** @sdtext/core's TextEncoderEngine, as @sdtext/prompt's engineEncoder takes it. */
type Engine = Parameters<typeof engineEncoder>[0];
type EncodeInputs = Parameters<Engine['encode']>[0];
type EncodeOutputs = Awaited<ReturnType<Engine['encode']>>;
type FloatTensor = EncodeOutputs['lastHiddenState'];

export interface SitePipe {
  tokenizer: Tokenizer;
  textEncoder: TextModel;
  /**
   * TextPipeline.encodePrompt for SD 1.x/2.x: `output: 'array'` gives Float32Arrays with shapes;
   * otherwise tfjs tensors (disposed with the cell).
   */
  encodePrompt(options: EncodePromptOptions & { output?: 'tensor' | 'array' }): Promise<PromptEmbeddings<ArrayTensor> | PromptEmbeddings<Tensor>>;
  /** The encoder outputs of `dialect` prompts by chunk ids (TextPipeline keeps one too): `encoderCalls` counts real runs. */
  promptCache: EncoderCache;
}

async function plain(t: Tensor): Promise<FloatTensor> {
  return { data: (await t.data()) as Float32Array, dims: [...t.shape] };
}

/** The tfjs CLIPTextModel behind the engine interface (as TfjsTextEncoder does, without its cache). */
export function modelEngine(model: TextModel, tf: Tf): Engine {
  return {
    engine: 'tfjs',
    get backend() {
      return `tfjs (${tf.getBackend()})`;
    },
    config: model.config,
    withProjection: false,
    async encode({ inputIds, attentionMask, outputHiddenStates = false }: EncodeInputs): Promise<EncodeOutputs> {
      const out = model.forward({
        inputIds,
        attentionMask: attentionMask ?? undefined,
        outputHiddenStates,
      });
      const all: Tensor[] = [out.lastHiddenState, out.poolerOutput, ...(out.hiddenStates ?? [])];
      try {
        const result: EncodeOutputs = { lastHiddenState: await plain(out.lastHiddenState), poolerOutput: await plain(out.poolerOutput) };
        if (out.hiddenStates) result.hiddenStates = await Promise.all(out.hiddenStates.map(plain));
        return result;
      } finally {
        tf.dispose(all);
      }
    },
    async finalLayerNorm(x: FloatTensor): Promise<FloatTensor> {
      const y = tf.tidy(() => model.textModel.finalLayerNorm.forward(tf.tensor(x.data, x.dims, 'float32')));
      try {
        return await plain(y);
      } finally {
        y.dispose();
      }
    },
    async dispose(): Promise<void> {
      // The model belongs to the runtime.
    },
  };
}

/** One pipe (and one prompt cache) per loaded model: a weight-only edit in a later cell still hits the cache. */
const pipes = new WeakMap<TextModel, SitePipe>();

export async function sitePipe(tokenizer: Tokenizer, model: TextModel, tf: Tf): Promise<SitePipe> {
  const known = pipes.get(model);
  if (known) return known;
  const [{ encodePromptSd }, { EncoderCache, engineEncoder }] = await Promise.all([loadPipelinePackage(), loadPromptPackage()]);
  const engine = modelEngine(model, tf);
  const promptCache = new EncoderCache(engineEncoder(engine));
  const pipe: SitePipe = {
    tokenizer,
    textEncoder: model,
    promptCache,
    async encodePrompt(options) {
      // SD 2's text_encoder config has no use_attention_mask: diffusers passes no mask.
      const result = await encodePromptSd({ tokenizer, textEncoder: engine, useAttentionMask: false, promptCache }, options);
      if (options.output === 'array') return result;
      const toTensor = (a: ArrayTensor | null): Tensor | null => a && tf.tensor(a.data, a.shape, 'float32');
      return {
        promptEmbeds: toTensor(result.promptEmbeds)!,
        negativePromptEmbeds: toTensor(result.negativePromptEmbeds),
        pooledPromptEmbeds: toTensor(result.pooledPromptEmbeds),
        negativePooledPromptEmbeds: toTensor(result.negativePooledPromptEmbeds),
      };
    },
  };
  pipes.set(model, pipe);
  return pipe;
}
