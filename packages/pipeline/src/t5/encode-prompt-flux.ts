import { repeatRows, zeros } from '../array-ops.js';
import { toArrayTensor, type ArrayTensor, type PromptEmbeddings } from '../embeddings.js';
import { encodeClipStage, imagesPerPrompt, promptList, sameShape, type EncodePromptOptions, type TextStage } from '../encode-prompt.js';
import { promptsOf, pyOr } from './python-or.js';
import { checkMaxSequenceLength, t5PromptEmbeds, type T5Stage } from './t5-prompt.js';

/** Flux's two text encoders: CLIP-L (`tokenizer`, `text_encoder`) and T5 (`tokenizer_2`, `text_encoder_2`). */
export interface FluxStages {
  clipL: TextStage;
  t5: T5Stage;
}

export const FLUX_MAX_SEQUENCE_LENGTH = 512;

/**
 * FluxPipeline.encode_prompt: T5's last hidden state ([B * n, maxSequenceLength, D]) is the
 * conditioning, CLIP-L's pooler_output ([B * n, 768]) the pooled vector, `textIds` zeros
 * [maxSequenceLength, 3]. `prompt2` (T5's prompt) defaults to `prompt`. Negative embeddings (true
 * CFG, what FluxPipeline's `negative_prompt` makes) only when a negative prompt is given; a string
 * applies to every prompt. Flux has no clip skip.
 */
export async function encodePromptFlux(stages: FluxStages, options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>> {
  if (options.clipSkip !== undefined) throw new Error('Flux has no clip skip: its CLIP gives only the pooled output');
  for (const name of ['prompt3', 'negativePrompt3'] as const) if (options[name] !== undefined) throw new Error(`${name} is SD3's (its T5 prompt); Flux's T5 takes prompt2`);
  const n = imagesPerPrompt(options);
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const maxSequenceLength = checkMaxSequenceLength(options.maxSequenceLength, FLUX_MAX_SEQUENCE_LENGTH);
  const prompts = promptList(options.prompt, options.promptEmbeds);
  const encode = async (p1: readonly string[], p2: readonly string[]): Promise<{ embeds: ArrayTensor; pooled: ArrayTensor }> => {
    const clipMaxLength = stages.clipL.tokenizer.modelMaxLength;
    const clip = await encodeClipStage({ ...stages.clipL, useAttentionMask: false }, p1, clipMaxLength, 'sd', undefined, warn);
    const pooled = clip.pass.outputs.poolerOutput;
    const embeds = await t5PromptEmbeds(stages.t5, p2, maxSequenceLength, { clipMaxLength, jointAttentionDim: stages.t5.textEncoder.config.d_model, warn });
    return { embeds: repeatRows(embeds, n), pooled: repeatRows({ data: pooled.data, shape: pooled.dims }, n) };
  };

  let promptEmbeds: ArrayTensor;
  let pooled: ArrayTensor;
  if (options.promptEmbeds !== undefined) {
    if (options.prompt2 !== undefined) throw new Error('Cannot forward both `prompt2` and `promptEmbeds`. Please make sure to only forward one of the two.');
    if (options.pooledPromptEmbeds === undefined) throw new Error('If `promptEmbeds` is provided, `pooledPromptEmbeds` also has to be passed (Flux).');
    promptEmbeds = await toArrayTensor(options.promptEmbeds, 3, 'promptEmbeds');
    pooled = await toArrayTensor(options.pooledPromptEmbeds, 2, 'pooledPromptEmbeds');
  } else {
    ({ embeds: promptEmbeds, pooled } = await encode(prompts!, promptsOf(pyOr<string | readonly string[]>(options.prompt2, prompts!), prompts!.length, 'prompt2')));
  }
  const batch = prompts ? prompts.length : promptEmbeds.shape[0]!;

  let negative: ArrayTensor | null = null;
  let negativePooled: ArrayTensor | null = null;
  if ((options.guidance ?? true) && options.negativePromptEmbeds !== undefined) {
    negative = await toArrayTensor(options.negativePromptEmbeds, 3, 'negativePromptEmbeds');
    sameShape(negative, promptEmbeds, 'negativePromptEmbeds', 'promptEmbeds');
    if (options.negativePooledPromptEmbeds === undefined) throw new Error('If `negativePromptEmbeds` is provided, `negativePooledPromptEmbeds` also has to be passed (Flux).');
    negativePooled = await toArrayTensor(options.negativePooledPromptEmbeds, 2, 'negativePooledPromptEmbeds');
  } else if ((options.guidance ?? true) && options.negativePrompt !== undefined) {
    const n1 = promptsOf(options.negativePrompt, batch, 'negativePrompt');
    ({ embeds: negative, pooled: negativePooled } = await encode(n1, promptsOf(pyOr<string | readonly string[]>(options.negativePrompt2, n1), batch, 'negativePrompt2')));
  }
  return {
    promptEmbeds,
    negativePromptEmbeds: negative,
    pooledPromptEmbeds: pooled,
    negativePooledPromptEmbeds: negativePooled,
    textIds: zeros([promptEmbeds.shape[1]!, 3]),
  };
}
