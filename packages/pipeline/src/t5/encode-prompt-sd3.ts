import { concatLastAxis, concatSequence, padLastAxis, repeatRows } from '../array-ops.js';
import { toArrayTensor, type ArrayTensor, type PromptEmbeddings } from '../embeddings.js';
import { encodeClipStage, imagesPerPrompt, promptList, sameShape, type EncodePromptOptions, type TextStage } from '../encode-prompt.js';
import { promptsOf, pyOr } from './python-or.js';
import { checkMaxSequenceLength, t5PromptEmbeds, type T5Stage } from './t5-prompt.js';

/** SD3's three text encoders as encodePromptSd3 drives them. */
export interface Sd3Stages {
  /** CLIP-L (`tokenizer`, `text_encoder`). */
  clipL: TextStage;
  /** CLIP-G (`tokenizer_2`, `text_encoder_2`), with projection. */
  clipG: TextStage;
  /** T5 (`tokenizer_3`, `text_encoder_3`), or null: loaded without it, its part is zeros. */
  t5: T5Stage | null;
  /**
   * CLIP-L's pooled output: `text_embeds` of a diffusers CLIPTextModelWithProjection, or
   * `pooler_output` where diffusers gives it an identity projection (single files, lone files).
   */
  clipLPooled: 'text_embeds' | 'pooler_output';
  /** The transformer's joint_attention_dim (4096): the width of T5's zeros when there is no T5. */
  jointAttentionDim: number;
}

export const SD3_MAX_SEQUENCE_LENGTH = 256;

interface Sd3Embeds {
  embeds: ArrayTensor; // [B, 77 + S, W]
  pooled: ArrayTensor; // [B, P_L + P_G]
}

/**
 * StableDiffusion3Pipeline.encode_prompt: CLIP-L's and CLIP-G's `hidden_states[-(clipSkip + 2)]`
 * side by side, zero-padded to T5's width and followed by T5's `max_sequence_length` rows; pooled =
 * both CLIPs' pooled outputs side by side. Negative prompts ("" by default; `negativePrompt2` /
 * `negativePrompt3` default to `negativePrompt`) are never clip-skipped. As diffusers, passed
 * `promptEmbeds` are returned as given (not repeated for numImagesPerPrompt).
 */
export async function encodePromptSd3(stages: Sd3Stages, options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>> {
  const n = imagesPerPrompt(options);
  const guidance = options.guidance ?? true;
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const maxSequenceLength = checkMaxSequenceLength(options.maxSequenceLength, SD3_MAX_SEQUENCE_LENGTH);
  const prompts = promptList(options.prompt, options.promptEmbeds);
  const encode = (p1: readonly string[], p2: readonly string[], p3: readonly string[], clipSkip: number | undefined): Promise<Sd3Embeds> =>
    encodeSd3Once(stages, [p1, p2, p3], clipSkip, maxSequenceLength, warn);

  let promptEmbeds: ArrayTensor;
  let pooled: ArrayTensor;
  if (options.promptEmbeds !== undefined) {
    for (const name of ['prompt2', 'prompt3'] as const) {
      if (options[name] !== undefined) throw new Error(`Cannot forward both \`${name}\` and \`promptEmbeds\`. Please make sure to only forward one of the two.`);
    }
    if (options.pooledPromptEmbeds === undefined) throw new Error('If `promptEmbeds` is provided, `pooledPromptEmbeds` also has to be passed (SD3).');
    promptEmbeds = await toArrayTensor(options.promptEmbeds, 3, 'promptEmbeds');
    pooled = await toArrayTensor(options.pooledPromptEmbeds, 2, 'pooledPromptEmbeds');
  } else {
    const p2 = promptsOf(pyOr<string | readonly string[]>(options.prompt2, prompts!), prompts!.length, 'prompt2');
    const p3 = promptsOf(pyOr<string | readonly string[]>(options.prompt3, prompts!), prompts!.length, 'prompt3');
    const out = await encode(prompts!, p2, p3, options.clipSkip);
    promptEmbeds = repeatRows(out.embeds, n);
    pooled = repeatRows(out.pooled, n);
  }
  const batch = prompts ? prompts.length : promptEmbeds.shape[0]!;

  let negative: ArrayTensor | null = null;
  let negativePooled: ArrayTensor | null = null;
  if (guidance && options.negativePromptEmbeds !== undefined) {
    negative = await toArrayTensor(options.negativePromptEmbeds, 3, 'negativePromptEmbeds');
    sameShape(negative, promptEmbeds, 'negativePromptEmbeds', 'promptEmbeds');
    if (options.negativePooledPromptEmbeds === undefined) throw new Error('If `negativePromptEmbeds` is provided, `negativePooledPromptEmbeds` also has to be passed (SD3).');
    negativePooled = await toArrayTensor(options.negativePooledPromptEmbeds, 2, 'negativePooledPromptEmbeds');
  } else if (guidance) {
    const n1 = pyOr<string | readonly string[]>(options.negativePrompt, '');
    const first = promptsOf(n1, batch, 'negativePrompt');
    const n2 = promptsOf(pyOr(options.negativePrompt2, n1), batch, 'negativePrompt2');
    const n3 = promptsOf(pyOr(options.negativePrompt3, n1), batch, 'negativePrompt3');
    const out = await encode(first, n2, n3, undefined);
    negative = repeatRows(out.embeds, n);
    negativePooled = repeatRows(out.pooled, n);
  }
  return { promptEmbeds, negativePromptEmbeds: negative, pooledPromptEmbeds: pooled, negativePooledPromptEmbeds: negativePooled };
}

/** One set of prompts through the three encoders (diffusers' _get_clip_prompt_embeds twice, _get_t5_prompt_embeds, the joins). */
async function encodeSd3Once(
  stages: Sd3Stages,
  [p1, p2, p3]: readonly [readonly string[], readonly string[], readonly string[]],
  clipSkip: number | undefined,
  maxSequenceLength: number,
  warn: (m: string) => void,
): Promise<Sd3Embeds> {
  // diffusers pads both CLIP prompts to `self.tokenizer_max_length`, the first tokenizer's.
  const clipMaxLength = stages.clipL.tokenizer.modelMaxLength;
  const l = await encodeClipStage(stages.clipL, p1, clipMaxLength, 'sdxl', clipSkip, warn);
  const g = await encodeClipStage(stages.clipG, p2, clipMaxLength, 'sdxl', clipSkip, warn);
  const pooledL = stages.clipLPooled === 'text_embeds' ? l.pooled : { data: l.pass.outputs.poolerOutput.data, shape: l.pass.outputs.poolerOutput.dims };
  if (pooledL === null) throw new Error("SD3's text_encoder gives no text_embeds: it must be a CLIPTextModelWithProjection");
  if (g.pooled === null) throw new Error("SD3's text_encoder_2 gives no text_embeds: it must be a CLIPTextModelWithProjection");
  const t5 = await t5PromptEmbeds(stages.t5, p3, maxSequenceLength, { clipMaxLength, jointAttentionDim: stages.jointAttentionDim, warn });
  const clip = padLastAxis(concatLastAxis(l.embeds, g.embeds), t5.shape[2]!);
  return { embeds: concatSequence(clip, t5), pooled: concatLastAxis(pooledL, g.pooled) };
}
