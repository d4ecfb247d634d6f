import type * as tf from '@tensorflow/tfjs-core';
import type { EncodeOutputs, FloatTensor, TextEncoderEngine } from '@sdtext/core';
import type { EncoderCache } from '@sdtext/prompt';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import { concatLastAxis, repeatRows, zerosLike } from './array-ops.js';
import { checkDialect, encodeDialectPair, encodeDialectPairSdxl, type PromptDialect } from './dialect-prompt.js';
import { toArrayTensor, type ArrayTensor, type PromptEmbeddings } from './embeddings.js';
import { truncationWarning } from './truncation-warning.js';

/** diffusers' `encode_prompt` arguments, camelCased. */
export interface EncodePromptOptions {
  /** One prompt or a batch; or pass `promptEmbeds` instead. */
  prompt?: string | readonly string[];
  /** SDXL: the prompt for the second encoder; default `prompt`. */
  prompt2?: string | readonly string[];
  /** Default: "" for every prompt (SDXL with force_zeros_for_empty_prompt: zeros). A string applies to every prompt. */
  negativePrompt?: string | readonly string[];
  /** SDXL: the negative prompt for the second encoder; default `negativePrompt`. */
  negativePrompt2?: string | readonly string[];
  /** Rows per prompt in the output (each repeated in place: a, a, b, b). Default 1. */
  numImagesPerPrompt?: number;
  /** Classifier-free guidance (diffusers' `do_classifier_free_guidance`, true when guidance_scale > 1): also make the negative embeddings. Default true. */
  guidance?: boolean;
  /**
   * Layers to skip from the end. SD: `hidden_states[-(clipSkip + 1)]` through the final LayerNorm;
   * SDXL: `hidden_states[-(clipSkip + 2)]`, no LayerNorm. As in diffusers it applies to the prompt only,
   * not to the negative prompt.
   */
  clipSkip?: number;
  /** Precomputed embeddings (tensors stay the caller's; the result holds copies). */
  promptEmbeds?: tf.Tensor | ArrayTensor;
  negativePromptEmbeds?: tf.Tensor | ArrayTensor;
  /** SDXL: required with `promptEmbeds`. */
  pooledPromptEmbeds?: tf.Tensor | ArrayTensor;
  negativePooledPromptEmbeds?: tf.Tensor | ArrayTensor;
  /** Where diffusers logs warnings (prompt truncation). Default console.warn. */
  onWarning?: (message: string) => void;
  /**
   * Also return the (first) encoder's pass over the prompt, as `encoderOutputs`: its input ids and
   * raw outputs (last_hidden_state, pooler_output, text_embeds), so a caller that wants both never
   * tokenizes or encodes the prompt twice.
   */
  returnEncoderOutputs?: boolean;
  /** With `returnEncoderOutputs`: include every layer's hidden state in them. */
  outputHiddenStates?: boolean;
  /**
   * Read prompts in a front end's syntax and condition as it does (@sdtext/prompt): 'a1111'
   * (`(x:1.3)`, `[x]`, BREAK, 75-token chunks, emphasis with the mean restored), 'comfy'
   * (`(x:1.3)` as a lerp from the empty prompt, word-preserving chunks) or 'compel' (`word+`,
   * `(x)1.3`, `.blend()`, `.and()`, down-weighting by masking; long prompts kept whole). Embeddings are then
   * [B, 77 * chunks, H]; the negative prompt is brought to the same length as that front end does.
   * `clipSkip` keeps diffusers' meaning (0 = last layer) and, as in those front ends, applies to
   * the negative prompt too. Without it (default) the prompt is plain text, as diffusers reads it.
   */
  dialect?: PromptDialect;
}

/** The first encoder's pass over the prompt (`returnEncoderOutputs`). */
export interface PromptEncoderPass {
  /** [B][S] token ids as the encoder saw them (padded to 77, truncated). */
  inputIds: number[][];
  /** The attention mask passed to the encoder (use_attention_mask), or null. */
  attentionMask: number[][] | null;
  outputs: EncodeOutputs;
}

/** One tokenizer + text encoder, and whether the encoder config asks for the attention mask. */
export interface TextStage {
  tokenizer: CLIPTokenizer;
  /** Either engine (tfjs or ONNX Runtime), through @sdtext/core's common interface. */
  textEncoder: TextEncoderEngine;
  /** text_encoder/config.json's `use_attention_mask` (diffusers passes the mask only then; SDXL never). */
  useAttentionMask: boolean;
  /** Encoder outputs by chunk ids, for `dialect` prompts: a weight-only edit runs no encoder. */
  promptCache?: EncoderCache;
}

type Flavor = 'sd' | 'sdxl';

interface Encoded {
  embeds: ArrayTensor; // [B, S, H]
  pooled: ArrayTensor | null; // [B, P], encoders with projection only
  pass: PromptEncoderPass;
}

/** The options `encode` takes for the prompt pass: what the caller wants back from the encoder. */
interface PassOptions {
  /** The pass is handed out: embeddings must not share its arrays. */
  returned: boolean;
  outputHiddenStates: boolean;
}

const NO_PASS: PassOptions = { returned: false, outputHiddenStates: false };

function passOptions(options: EncodePromptOptions): PassOptions {
  const returned = options.returnEncoderOutputs === true;
  return { returned, outputHiddenStates: returned && options.outputHiddenStates === true };
}

/** StableDiffusionPipeline.encode_prompt (SD 1.x / 2.x), on plain arrays. */
export async function encodePromptSd(stage: TextStage, options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>> {
  if (options.dialect !== undefined) return encodePromptDialect(stage, options);
  const n = imagesPerPrompt(options);
  const guidance = options.guidance ?? true;
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const prompts = promptList(options.prompt, options.promptEmbeds);

  const encoded = options.promptEmbeds === undefined ? await encode(stage, prompts!, promptLength(stage), 'sd', options.clipSkip, warn, passOptions(options)) : null;
  const promptEmbeds = encoded ? encoded.embeds : await toArrayTensor(options.promptEmbeds!, 3, 'promptEmbeds');
  const batch = promptEmbeds.shape[0]!;

  let negative: ArrayTensor | null = null;
  if (guidance) {
    if (options.negativePromptEmbeds !== undefined) {
      negative = await toArrayTensor(options.negativePromptEmbeds, 3, 'negativePromptEmbeds');
      sameShape(negative, promptEmbeds, 'negativePromptEmbeds', 'promptEmbeds');
    } else {
      const uncond = negativeList(options.negativePrompt, batch, prompts);
      // The negative prompt is padded to the prompt's length and never clip-skipped (as diffusers).
      negative = (await encode(stage, uncond, promptEmbeds.shape[1]!, 'sd', undefined, null)).embeds;
    }
  }
  return {
    promptEmbeds: repeatRows(promptEmbeds, n),
    negativePromptEmbeds: negative && repeatRows(negative, n),
    pooledPromptEmbeds: null,
    negativePooledPromptEmbeds: null,
    ...(options.returnEncoderOutputs && encoded ? { encoderOutputs: encoded.pass } : {}),
  };
}

/** encodePromptSd for prompts in a front end's syntax (`options.dialect`). */
async function encodePromptDialect(stage: TextStage, options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>> {
  const dialect = checkDialect(options.dialect);
  if (options.promptEmbeds !== undefined || options.negativePromptEmbeds !== undefined) {
    throw new Error('`dialect` reads prompt text: pass `prompt` (and `negativePrompt`), not precomputed embeddings');
  }
  if (!stage.promptCache) throw new Error('encodePromptSd with a dialect needs stage.promptCache (TextPipeline provides it)');
  const n = imagesPerPrompt(options);
  const prompts = promptList(options.prompt, undefined)!;
  // The front ends count clip skip from 1 (the last layer): diffusers' k is their k + 1.
  const clipSkip = options.clipSkip === undefined ? 1 : checkClipSkip(options.clipSkip, options.clipSkip + 1, stage.textEncoder.config.num_hidden_layers);
  const negatives = (options.guidance ?? true) ? negativeList(options.negativePrompt, prompts.length, prompts) : null;
  const { prompt: promptEmbeds, negative } = await encodeDialectPair(dialect, prompts, negatives, stage.tokenizer, stage.promptCache, clipSkip);
  return {
    promptEmbeds: repeatRows(promptEmbeds, n),
    negativePromptEmbeds: negative && repeatRows(negative, n),
    pooledPromptEmbeds: null,
    negativePooledPromptEmbeds: null,
  };
}

/** StableDiffusionXLPipeline.encode_prompt: both encoders' penultimate states side by side, pooled from the second. */
export async function encodePromptSdxl(
  stages: readonly [TextStage, TextStage],
  forceZerosForEmptyPrompt: boolean,
  options: EncodePromptOptions,
): Promise<PromptEmbeddings<ArrayTensor>> {
  if (options.dialect !== undefined) return encodePromptSdxlDialect(stages, options);
  const n = imagesPerPrompt(options);
  const guidance = options.guidance ?? true;
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const prompts = promptList(options.prompt, options.promptEmbeds);
  let promptEmbeds: ArrayTensor;
  let pooled: ArrayTensor;
  let pass: PromptEncoderPass | null = null;
  if (options.promptEmbeds !== undefined) {
    if (options.pooledPromptEmbeds === undefined) {
      throw new Error('If `promptEmbeds` is provided, `pooledPromptEmbeds` also has to be passed (SDXL).');
    }
    promptEmbeds = await toArrayTensor(options.promptEmbeds, 3, 'promptEmbeds');
    pooled = await toArrayTensor(options.pooledPromptEmbeds, 2, 'pooledPromptEmbeds');
  } else {
    const prompts2 = options.prompt2 === undefined ? prompts! : asList(options.prompt2);
    if (prompts2.length !== prompts!.length) {
      throw new Error(`prompt2 has batch size ${prompts2.length}, but prompt has batch size ${prompts!.length}.`);
    }
    ({ embeds: promptEmbeds, pooled, pass } = await encodePair(stages, [prompts!, prompts2], 'prompt', options.clipSkip, warn, undefined, passOptions(options)));
  }
  const batch = promptEmbeds.shape[0]!;

  let negative: ArrayTensor | null = null;
  let negativePooled: ArrayTensor | null = null;
  if (guidance) {
    const zeroOut = options.negativePrompt === undefined && forceZerosForEmptyPrompt;
    if (options.negativePromptEmbeds !== undefined) {
      negative = await toArrayTensor(options.negativePromptEmbeds, 3, 'negativePromptEmbeds');
      sameShape(negative, promptEmbeds, 'negativePromptEmbeds', 'promptEmbeds');
      if (options.negativePooledPromptEmbeds === undefined) {
        throw new Error('If `negativePromptEmbeds` is provided, `negativePooledPromptEmbeds` also has to be passed (SDXL).');
      }
      negativePooled = await toArrayTensor(options.negativePooledPromptEmbeds, 2, 'negativePooledPromptEmbeds');
    } else if (zeroOut) {
      negative = zerosLike(promptEmbeds);
      negativePooled = zerosLike(pooled);
    } else {
      const uncond = negativeList(options.negativePrompt ?? '', batch, prompts);
      const uncond2 = negativeList(options.negativePrompt2 ?? options.negativePrompt ?? '', batch, prompts);
      ({ embeds: negative, pooled: negativePooled } = await encodePair(stages, [uncond, uncond2], 'negative', undefined, null, promptEmbeds.shape[1]!));
    }
  }
  return {
    promptEmbeds: repeatRows(promptEmbeds, n),
    negativePromptEmbeds: negative && repeatRows(negative, n),
    pooledPromptEmbeds: repeatRows(pooled, n),
    negativePooledPromptEmbeds: negativePooled && repeatRows(negativePooled, n),
    ...(options.returnEncoderOutputs && pass ? { encoderOutputs: pass } : {}),
  };
}

/** encodePromptSdxl for prompts in a front end's syntax: each stage needs its own promptCache. */
async function encodePromptSdxlDialect(stages: readonly [TextStage, TextStage], options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>> {
  const dialect = checkDialect(options.dialect);
  if (options.promptEmbeds !== undefined || options.negativePromptEmbeds !== undefined) {
    throw new Error('`dialect` reads prompt text: pass `prompt` (and `negativePrompt`), not precomputed embeddings');
  }
  if (options.prompt2 !== undefined || options.negativePrompt2 !== undefined) {
    throw new Error('`dialect` prompts go to both SDXL encoders, as the front ends send them: `prompt2` / `negativePrompt2` are not taken');
  }
  const [l, g] = stages;
  if (!l.promptCache || !g.promptCache) throw new Error('encodePromptSdxl with a dialect needs a promptCache on both stages (TextPipeline provides them)');
  const n = imagesPerPrompt(options);
  const prompts = promptList(options.prompt, undefined)!;
  if (options.clipSkip !== undefined) checkClipSkip(options.clipSkip, options.clipSkip + 2, Math.min(l.textEncoder.config.num_hidden_layers, g.textEncoder.config.num_hidden_layers));
  const negatives = (options.guidance ?? true) ? negativeList(options.negativePrompt, prompts.length, prompts) : null;
  const out = await encodeDialectPairSdxl(
    dialect,
    prompts,
    negatives,
    { tokenizer: l.tokenizer, cache: l.promptCache },
    { tokenizer: g.tokenizer, cache: g.promptCache },
    options.clipSkip,
  );
  return {
    promptEmbeds: repeatRows(out.prompt, n),
    negativePromptEmbeds: out.negative && repeatRows(out.negative, n),
    pooledPromptEmbeds: repeatRows(out.pooled, n),
    negativePooledPromptEmbeds: out.negativePooled && repeatRows(out.negativePooled, n),
  };
}

async function encodePair(
  stages: readonly [TextStage, TextStage],
  texts: readonly [readonly string[], readonly string[]],
  what: string,
  clipSkip: number | undefined,
  warn: ((m: string) => void) | null,
  maxLength?: number,
  pass: PassOptions = NO_PASS,
): Promise<{ embeds: ArrayTensor; pooled: ArrayTensor; pass: PromptEncoderPass }> {
  const first = await encode(stages[0], texts[0], maxLength ?? promptLength(stages[0]), 'sdxl', clipSkip, warn, pass);
  const second = await encode(stages[1], texts[1], maxLength ?? promptLength(stages[1]), 'sdxl', clipSkip, warn);
  // Only the last encoder's pooled output is kept, as diffusers does.
  const pooled = second.pooled ?? first.pooled;
  if (pooled === null) throw new Error(`SDXL needs text_encoder_2 to be a CLIPTextModelWithProjection (no text_embeds for the ${what}).`);
  if (first.embeds.shape[1] !== second.embeds.shape[1]) {
    throw new Error(`the two tokenizers padded the ${what} to different lengths (${first.embeds.shape[1]} and ${second.embeds.shape[1]})`);
  }
  return { embeds: concatLastAxis(first.embeds, second.embeds), pooled, pass: first.pass }; // [B, S, H1 + H2]
}

/**
 * Tokenize (padding to `maxLength`, truncating with diffusers' warning) and run one encoder.
 * SD: last hidden state, or `hidden_states[-(clipSkip + 1)]` through final_layer_norm; attention
 * mask only if the config asks. SDXL: `hidden_states[-(clipSkip ?? 0) - 2]`, never a mask.
 */
async function encode(
  stage: TextStage,
  texts: readonly string[],
  maxLength: number,
  flavor: Flavor,
  clipSkip: number | undefined,
  warn: ((m: string) => void) | null,
  pass: PassOptions = NO_PASS,
): Promise<Encoded> {
  const layers = stage.textEncoder.config.num_hidden_layers;
  const fromEnd = clipSkip === undefined ? null : checkClipSkip(clipSkip, flavor === 'sd' ? clipSkip + 1 : clipSkip + 2, layers);
  const tokens = stage.tokenizer.encode(texts, { padding: 'max_length', maxLength, truncation: true });
  const message = warn && truncationWarning(tokens.truncation, maxLength);
  if (message) warn!(message);
  const attentionMask = flavor === 'sd' && stage.useAttentionMask ? tokens.attentionMask : null;
  const wantHidden = flavor === 'sdxl' || clipSkip !== undefined || pass.outputHiddenStates;
  const out = await stage.textEncoder.encode({ inputIds: tokens.inputIds, attentionMask, outputHiddenStates: wantHidden });
  const hidden = out.hiddenStates ?? [];
  const encoderPass: PromptEncoderPass = { inputIds: tokens.inputIds, attentionMask, outputs: out };
  const copy = (t: FloatTensor): ArrayTensor => (pass.returned ? { data: t.data.slice(), shape: [...t.dims] } : asArray(t));
  if (flavor === 'sd') {
    if (fromEnd === null) return { embeds: copy(out.lastHiddenState), pooled: null, pass: encoderPass };
    return { embeds: asArray(await stage.textEncoder.finalLayerNorm(hidden[hidden.length - fromEnd]!)), pooled: null, pass: encoderPass };
  }
  return { embeds: copy(hidden[hidden.length - (fromEnd ?? 2)]!), pooled: out.textEmbeds ? copy(out.textEmbeds) : null, pass: encoderPass };
}

/**
 * The length prompts are padded to: the tokenizer's model_max_length (77), checked against the
 * encoder's positions before anything is padded; a tokenizer without a limit (1e30 in
 * tokenizer_config.json) pads to the encoder's positions.
 */
function promptLength(stage: TextStage): number {
  const maxLength = stage.tokenizer.modelMaxLength;
  const positions = stage.textEncoder.config.max_position_embeddings;
  if (maxLength === Infinity) return positions;
  if (maxLength > positions) {
    throw new Error(
      `tokenizer model_max_length ${maxLength} exceeds the text encoder's max_position_embeddings ${positions}: ` +
        `fix tokenizer_config.json (Stable Diffusion uses 77)`,
    );
  }
  return maxLength;
}


function asArray(t: FloatTensor): ArrayTensor {
  return { data: t.data, shape: t.dims };
}

/** `fromEnd` for `hidden_states[-fromEnd]`, with a clear error when the model is too shallow for the clip skip. */
function checkClipSkip(clipSkip: number, fromEnd: number, layers: number): number {
  if (!Number.isInteger(clipSkip) || clipSkip < 0) throw new Error(`clipSkip must be a non-negative integer, got ${clipSkip}`);
  if (fromEnd > layers + 1) throw new Error(`clipSkip ${clipSkip} reaches past the embeddings: the encoder has ${layers} layers`);
  return fromEnd;
}

function imagesPerPrompt(options: EncodePromptOptions): number {
  const n = options.numImagesPerPrompt ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new Error(`numImagesPerPrompt must be a positive integer, got ${n}`);
  return n;
}

function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

function promptList(prompt: string | readonly string[] | undefined, embeds: unknown): readonly string[] | null {
  if (prompt !== undefined && embeds !== undefined) {
    throw new Error('Cannot forward both `prompt` and `promptEmbeds`. Please make sure to only forward one of the two.');
  }
  if (prompt === undefined && embeds === undefined) {
    throw new Error('Provide either `prompt` or `promptEmbeds`. Cannot leave both `prompt` and `promptEmbeds` undefined.');
  }
  if (prompt === undefined) return null;
  const list = asList(prompt);
  if (list.length === 0) throw new Error('prompt is an empty list');
  return list;
}

/** diffusers' uncond_tokens: "" per prompt by default; a string applies to every prompt; a list must match. */
function negativeList(negative: string | readonly string[] | undefined, batch: number, prompts: readonly string[] | null): readonly string[] {
  if (negative === undefined) return Array.from({ length: batch }, () => '');
  if (typeof negative === 'string') return Array.from({ length: batch }, () => negative);
  if (negative.length !== batch) {
    throw new Error(
      `\`negativePrompt\` has batch size ${negative.length}, but \`prompt\`${prompts ? '' : ' (promptEmbeds)'} has batch size ${batch}. ` +
        'Please make sure that passed `negativePrompt` matches the batch size of `prompt`.',
    );
  }
  return negative;
}

function sameShape(a: ArrayTensor, b: ArrayTensor, aName: string, bName: string): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(`\`${aName}\` and \`${bName}\` must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}
