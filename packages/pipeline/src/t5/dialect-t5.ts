import { encodeComfyFlux, encodeComfySd3, type ComfyT5Encoder, type SdxlEncoder } from '@sdtext/prompt';
import { repeatRows, stackRows, zeros } from '../array-ops.js';
import { asArray, checkDialect, sameLength, stackRepeated, type DialectEncoder } from '../dialect-prompt.js';
import type { ArrayTensor, PromptEmbeddings } from '../embeddings.js';
import { imagesPerPrompt, negativeList, promptList, type EncodePromptOptions } from '../encode-prompt.js';

/** The encoders a dialect drives on SD3 / Flux: CLIP caches giving CLIP-L's pooler_output (as ComfyUI takes it), T5's cache. */
export interface T5DialectStages {
  clipL: DialectEncoder;
  /** SD3's CLIP-G; null on Flux. */
  clipG: DialectEncoder | null;
  t5: ComfyT5Encoder | null;
  /** Width the SD3 CLIP pair is padded to (ComfyUI's 4096): T5's d_model, or joint_attention_dim without T5. */
  jointWidth: number;
}

/**
 * `encodePrompt({ dialect: 'comfy' })` on SD3 and Flux: ComfyUI's SD3ClipModel / FluxClipModel per
 * prompt (@sdtext/prompt's encodeComfySd3 / encodeComfyFlux), a batch joined as ComfyUI joins
 * conditionings (each repeated along the sequence to a common length), and the negative prompt
 * ("" by default on SD3; on Flux only when given) brought to the prompt's length the same way.
 * ComfyUI's CLIPSetLastLayer also cuts T5 on these models: not supported (clipSkip is refused).
 */
export async function encodeT5Dialect(stages: T5DialectStages, options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>> {
  const dialect = checkDialect(options.dialect);
  const flux = stages.clipG === null;
  const model = flux ? 'Flux' : 'SD3';
  if (dialect !== 'comfy') throw new Error(`${model} prompts take dialect 'comfy' (ComfyUI's ${flux ? 'flux' : 'sd3_clip'} code); webui's and compel's ${model} conditioning are not implemented`);
  if (options.clipSkip !== undefined && options.clipSkip !== 0) throw new Error(`clipSkip in the comfy dialect on ${model}: ComfyUI's CLIPSetLastLayer also cuts T5 there, which is not supported`);
  if (options.promptEmbeds !== undefined || options.negativePromptEmbeds !== undefined) throw new Error('`dialect` reads prompt text: pass `prompt` (and `negativePrompt`), not precomputed embeddings');
  for (const name of ['prompt2', 'prompt3', 'negativePrompt2', 'negativePrompt3'] as const) {
    if (options[name] !== undefined) throw new Error(`\`dialect\` prompts go to every encoder, as ComfyUI sends them: \`${name}\` is not taken`);
  }
  if (options.maxSequenceLength !== undefined) throw new Error('ComfyUI never cuts the T5 prompt (its rows are padded to 77 on SD3, 256 on Flux): `maxSequenceLength` is not taken in the comfy dialect');
  if (flux && !stages.t5) throw new Error('Flux needs its T5 encoder');
  const n = imagesPerPrompt(options);
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const prompts = promptList(options.prompt, undefined)!;
  const wantsNegative = (options.guidance ?? true) && (!flux || options.negativePrompt !== undefined);
  const negatives = wantsNegative ? negativeList(options.negativePrompt, prompts.length, prompts) : null;
  const clip = (e: DialectEncoder): SdxlEncoder => ({ tokenizer: e.tokenizer, cache: e.cache });

  const encode = async (texts: readonly string[]): Promise<{ embeds: ArrayTensor; pooled: ArrayTensor }> => {
    const rows: ArrayTensor[] = [];
    const pooled: ArrayTensor[] = [];
    for (const text of texts) {
      const out = flux
        ? await encodeComfyFlux(text, clip(stages.clipL), stages.t5!, {
            hiddenSize: stages.clipL.hiddenSize,
            onWarning: warn,
            ...(stages.clipL.comfyEmbeddings ? { embeddings: stages.clipL.comfyEmbeddings } : {}),
          })
        : await encodeComfySd3(text, clip(stages.clipL), clip(stages.clipG!), stages.t5, {
            jointWidth: stages.jointWidth,
            hiddenSizes: { l: stages.clipL.hiddenSize, g: stages.clipG!.hiddenSize },
            onWarning: warn,
            ...(stages.clipL.comfyEmbeddings && stages.clipG!.comfyEmbeddings ? { embeddings: { l: stages.clipL.comfyEmbeddings, g: stages.clipG!.comfyEmbeddings } } : {}),
          });
      rows.push(asArray(out.embeds));
      pooled.push(asArray(out.pooled));
    }
    return { embeds: stackRepeated(rows), pooled: stackRows(pooled) };
  };
  const prompt = await encode(prompts);
  let negative: { embeds: ArrayTensor; pooled: ArrayTensor } | null = null;
  if (negatives) {
    negative = await encode(negatives);
    const [a, b] = await sameLength('comfy', prompt.embeds, negative.embeds, () => Promise.reject(new Error('ComfyUI repeats, it does not pad')));
    prompt.embeds = a;
    negative.embeds = b;
  }
  return {
    promptEmbeds: repeatRows(prompt.embeds, n),
    negativePromptEmbeds: negative && repeatRows(negative.embeds, n),
    pooledPromptEmbeds: repeatRows(prompt.pooled, n),
    negativePooledPromptEmbeds: negative && repeatRows(negative.pooled, n),
    ...(flux ? { textIds: zeros([prompt.embeds.shape[1]!, 3]) } : {}),
  };
}
