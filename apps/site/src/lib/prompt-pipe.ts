// What the cells call `pipe`: the tokenizer and text encoder the worker loaded, plus
// `encodePrompt`, which is @sdtext/pipeline's own encodePromptSd (what TextPipeline.encodePrompt
// runs for SD 1.x/2.x) over the loaded engine (tfjs or ONNX Runtime Web, behind @sdtext/core's
// engine interface), and the prompt cache the pipeline keeps. Browser only: import()ed by the runner.
import type { Tensor } from '@tensorflow/tfjs-core';
import type { EncodePromptOptions, PromptEmbeddings, PromptSchedule, ArrayTensor } from '@sdtext/pipeline';
import type { EncoderCache } from '@sdtext/prompt';
import type { TextModel, Tokenizer } from './contracts';
import { loadPipelinePackage, loadPromptPackage } from './lazy';
import type { OnnxTextModelView } from './onnx-text-model';
import type { SiteEncoder } from './site-encoder';

export interface SitePipe {
  tokenizer: Tokenizer;
  textEncoder: TextModel | OnnxTextModelView;
  /** The engine behind the text encoder: `encode` on plain arrays, `backend`. */
  encoder: SiteEncoder['encoder'];
  /**
   * TextPipeline.encodePrompt for SD 1.x/2.x: `output: 'array'` gives Float32Arrays with shapes;
   * otherwise tfjs tensors (disposed with the cell).
   */
  encodePrompt(
    options: EncodePromptOptions & { output?: 'tensor' | 'array' },
  ): Promise<PromptEmbeddings<ArrayTensor> | PromptEmbeddings<Tensor> | PromptSchedule<ArrayTensor>>;
  /** The encoder outputs of `dialect` prompts by chunk ids (TextPipeline keeps one too): `encoderCalls` counts real runs. */
  promptCache: EncoderCache;
}

/** One pipe (and one prompt cache) per loaded model: a weight-only edit in a later cell still hits the cache. */
const pipes = new WeakMap<SiteEncoder, SitePipe>();

export async function sitePipe(tokenizer: Tokenizer, loaded: SiteEncoder): Promise<SitePipe> {
  const known = pipes.get(loaded);
  if (known) return known;
  const [{ encodePromptSd, encodePromptScheduleSd }, { EncoderCache, engineEncoder }] = await Promise.all([loadPipelinePackage(), loadPromptPackage()]);
  const { encoder, tf } = loaded;
  const promptCache = new EncoderCache(engineEncoder(encoder));
  const pipe: SitePipe = {
    tokenizer,
    textEncoder: loaded.textEncoder,
    encoder,
    promptCache,
    async encodePrompt(options) {
      // SD 2's text_encoder config has no use_attention_mask: diffusers passes no mask.
      const stage = { tokenizer, textEncoder: encoder, useAttentionMask: false, promptCache };
      // With `steps`, an A1111 prompt with editing or AND is a schedule (arrays), as TextPipeline gives it.
      if (options.steps !== undefined) return encodePromptScheduleSd(stage, options);
      const result = await encodePromptSd(stage, options);
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
  pipes.set(loaded, pipe);
  return pipe;
}
