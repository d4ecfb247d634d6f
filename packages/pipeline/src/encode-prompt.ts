import type * as tf from '@tensorflow/tfjs-core';
import type { EncodeInputs, EncodeOutputs, FloatTensor, TextEncoderEngine } from '@sdtext/core';
import { takesInputsEmbeds, usesPromptEditing, type A1111Embeddings, type ComfyEmbeddings, type ConditioningStep, type EncoderCache } from '@sdtext/prompt';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import { concatLastAxis, repeatRows, zerosLike } from './array-ops.js';
import {
  checkDialect,
  encodeA1111Steps,
  encodeA1111StepsSdxl,
  encodeDialectPair,
  encodeDialectPairSdxl,
  type DialectEncoder,
  type DialectSettings,
  type PromptDialect,
} from './dialect-prompt.js';
import { toArrayTensor, type ArrayTensor, type PromptEmbeddings } from './embeddings.js';
import type { PromptSchedule, ScheduledConditioning } from './schedule-embeddings.js';
import { truncationWarning } from './truncation-warning.js';

/** diffusers' `encode_prompt` arguments, camelCased. */
export interface EncodePromptOptions {
  /** One prompt or a batch; or pass `promptEmbeds` instead. */
  prompt?: string | readonly string[];
  /** SDXL and SD3: the prompt for the second encoder (CLIP-G); Flux: the prompt for T5. Default `prompt`. */
  prompt2?: string | readonly string[];
  /** SD3: the prompt for T5 (`text_encoder_3`); default `prompt`. */
  prompt3?: string | readonly string[];
  /** Default: "" for every prompt (SDXL with force_zeros_for_empty_prompt: zeros). A string applies to every prompt. */
  negativePrompt?: string | readonly string[];
  /** SDXL and SD3: the negative prompt for the second encoder; Flux: for T5. Default `negativePrompt`. */
  negativePrompt2?: string | readonly string[];
  /** SD3: the negative prompt for T5; default `negativePrompt`. */
  negativePrompt3?: string | readonly string[];
  /**
   * SD3 and Flux: the T5 prompt's length in tokens (diffusers' `max_sequence_length`, at most 512):
   * prompts are padded to it and cut there with diffusers' warning. Default 256 (SD3), 512 (Flux).
   */
  maxSequenceLength?: number;
  /** Rows per prompt in the output (each repeated in place: a, a, b, b). Default 1. */
  numImagesPerPrompt?: number;
  /** Classifier-free guidance (diffusers' `do_classifier_free_guidance`, true when guidance_scale > 1): also make the negative embeddings. Default true. */
  guidance?: boolean;
  /**
   * Layers to skip from the end, numbered as the prompt's front end numbers them. Plain prompts
   * (diffusers): SD `hidden_states[-(clipSkip + 1)]` through the final LayerNorm; SDXL
   * `hidden_states[-(clipSkip + 2)]`, no LayerNorm (SD3: both CLIPs the same way; Flux has none);
   * the prompt only, not the negative prompt.
   * With a `dialect` it applies to both, read as that front end reads it: 'a1111' webui's
   * "Clip skip" (1 = last layer; SD 2.x and SDXL ignore it, as webui does, see `sdxlClipLSkip`),
   * 'comfy' CLIPSetLastLayer (-1 = last layer, -2 = penultimate; on SD 2.x ComfyUI counts
   * OpenCLIP's whole tower, so its default is -2), 'compel' diffusers' numbering.
   */
  clipSkip?: number;
  /** Precomputed embeddings (tensors stay the caller's; the result holds copies). */
  promptEmbeds?: tf.Tensor | ArrayTensor;
  negativePromptEmbeds?: tf.Tensor | ArrayTensor;
  /** SDXL, SD3 and Flux: required with `promptEmbeds`. */
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
   * [B, 77 * chunks, H]; the negative prompt gets that front end's length (webui: its own, see
   * `padCondUncond`; ComfyUI: repeated to a common length; compel: padded alike). Without it
   * (default) the prompt is plain text, as diffusers reads it.
   */
  dialect?: PromptDialect;
  /**
   * The sampling steps the conditioning is scheduled over: `encodePrompt` then returns a
   * `PromptSchedule` (what the UNet is conditioned on at each step) instead of single embeddings.
   * Needed for 'a1111' prompts with prompt editing (`[a:b:0.5]`, `[a:b:10]`), alternation
   * (`[a|b]`) or `AND` (composable diffusion: one conditioning per part, with its weight); webui's
   * step boundaries exactly (its end_at_step). Other dialects and plain prompts give one entry.
   * webui passes its sampler's total steps (second-order samplers count steps twice).
   */
  steps?: number;
  /** With `steps`: the hires-fix pass's steps; `steps` is then the first pass's (webui's 1.6+ scheduling: `[a:b:1.5]`). */
  hiresSteps?: number;
  /**
   * 'a1111': webui's "Pad prompt/negative prompt" option. Off (default, as in webui) the prompt and
   * negative prompt keep their own lengths (in 77-token chunks); on, the shorter gets encoded
   * empty-prompt chunks until they match.
   */
  padCondUncond?: boolean;
  /** 'a1111' on SDXL: webui's "Clip skip SDXL" (off by default): Clip skip then takes CLIP-L's `hidden_states[-n]`. */
  sdxlClipLSkip?: boolean;
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
  /** Textual inversion by name in the dialects: webui's (file stems) and ComfyUI's (`embedding:path`). */
  embeddings?: { a1111?: A1111Embeddings | undefined; comfy?: ComfyEmbeddings | undefined };
  /** Rows of tokens added after loading (ids past the encoder's table): passed as inputs_embeds. */
  extraTokens?: ReadonlyMap<number, Float32Array>;
}

export type Flavor = 'sd' | 'sdxl';

export interface Encoded {
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
  if (options.steps !== undefined) throw new Error('with `steps` the result is a schedule: call encodePromptScheduleSd');
  if (options.dialect !== undefined) return encodePromptDialect(stage, options);
  const n = imagesPerPrompt(options);
  const guidance = options.guidance ?? true;
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const prompts = promptList(options.prompt, options.promptEmbeds);

  const encoded = options.promptEmbeds === undefined ? await encodeClipStage(stage, prompts!, promptLength(stage), 'sd', options.clipSkip, warn, passOptions(options)) : null;
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
      negative = (await encodeClipStage(stage, uncond, promptEmbeds.shape[1]!, 'sd', undefined, null)).embeds;
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
  const n = imagesPerPrompt(options);
  const prompts = promptList(options.prompt, undefined)!;
  const negatives = (options.guidance ?? true) ? negativeList(options.negativePrompt, prompts.length, prompts) : null;
  if (dialect === 'a1111') needsNoSteps(prompts, negatives);
  const { prompt: promptEmbeds, negative } = await encodeDialectPair(dialectSettings(dialect, options), prompts, negatives, dialectEncoder(stage));
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
  if (options.steps !== undefined) throw new Error('with `steps` the result is a schedule: call encodePromptScheduleSdxl');
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
  const n = imagesPerPrompt(options);
  const prompts = promptList(options.prompt, undefined)!;
  const negatives = (options.guidance ?? true) ? negativeList(options.negativePrompt, prompts.length, prompts) : null;
  if (dialect === 'a1111') needsNoSteps(prompts, negatives);
  const out = await encodeDialectPairSdxl(dialectSettings(dialect, options), prompts, negatives, dialectEncoder(stages[0]), dialectEncoder(stages[1]));
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
  const first = await encodeClipStage(stages[0], texts[0], maxLength ?? promptLength(stages[0]), 'sdxl', clipSkip, warn, pass);
  const second = await encodeClipStage(stages[1], texts[1], maxLength ?? promptLength(stages[1]), 'sdxl', clipSkip, warn);
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
export async function encodeClipStage(
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
  const out = await encodeIds(stage, { inputIds: tokens.inputIds, attentionMask, outputHiddenStates: wantHidden });
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
export function promptLength(stage: TextStage): number {
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

/**
 * The encoder on ids, tokens added after loading included: their rows go in as inputs_embeds
 * (the encoder's lookup for the others), and their ids still pick the pooled position, as
 * diffusers' grown token table does.
 */
async function encodeIds(stage: TextStage, inputs: EncodeInputs & { inputIds: number[][] }): Promise<EncodeOutputs> {
  const engine = stage.textEncoder;
  const vocab = engine.config.vocab_size;
  const extra = stage.extraTokens;
  if (!extra || extra.size === 0 || !inputs.inputIds.some((row) => row.some((id) => id >= vocab))) return engine.encode(inputs);
  if (!takesInputsEmbeds(engine)) throw new Error(`tokens added after loading need an encoder that takes inputs_embeds; ${engine.backend} does not`);
  const embeds = await engine.embedTokens(inputs.inputIds.map((row) => row.map((id) => (id >= vocab ? 0 : id))));
  const H = engine.config.hidden_size;
  inputs.inputIds.flat().forEach((id, at) => {
    if (id < vocab) return;
    const row = extra.get(id);
    if (!row) throw new Error(`token id ${id} is past the encoder's ${vocab} embeddings and no added embedding has it`);
    embeds.data.set(row, at * H);
  });
  return engine.encode({ ...inputs, inputsEmbeds: embeds });
}

/** The dialect options of encodePrompt. */
export function dialectSettings(dialect: PromptDialect, options: EncodePromptOptions): DialectSettings {
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  if (options.padCondUncond !== undefined && dialect !== 'a1111') throw new Error('padCondUncond is webui\'s option: it applies to the a1111 dialect only');
  return { dialect, clipSkip: options.clipSkip, padCondUncond: options.padCondUncond ?? false, sdxlClipLSkip: options.sdxlClipLSkip ?? false, warn };
}

export function dialectEncoder(stage: TextStage): DialectEncoder {
  if (!stage.promptCache) throw new Error('a dialect needs stage.promptCache on every encoder (TextPipeline provides them)');
  return {
    tokenizer: stage.tokenizer,
    cache: stage.promptCache,
    layers: stage.textEncoder.config.num_hidden_layers,
    hiddenSize: stage.textEncoder.config.hidden_size,
    a1111Embeddings: stage.embeddings?.a1111,
    comfyEmbeddings: stage.embeddings?.comfy,
  };
}

/** A prompt webui conditions step by step cannot be one tensor: say to pass `steps`. */
function needsNoSteps(prompts: readonly string[], negatives: readonly string[] | null): void {
  const which = prompts.find((p) => usesPromptEditing(p)) ?? negatives?.find((p) => usesPromptEditing(p, { negative: true }));
  if (which !== undefined) {
    throw new Error(
      `${JSON.stringify(which.length > 60 ? `${which.slice(0, 57)}...` : which)} has prompt editing, alternation or AND: webui conditions it step by step; ` +
        'pass `steps` (the sampling steps) to get its schedule of conditionings',
    );
  }
}

/** `fromEnd` for `hidden_states[-fromEnd]`, with a clear error when the model is too shallow for the clip skip. */
export function checkClipSkip(clipSkip: number, fromEnd: number, layers: number): number {
  if (!Number.isInteger(clipSkip) || clipSkip < 0) throw new Error(`clipSkip must be a non-negative integer, got ${clipSkip}`);
  if (fromEnd > layers + 1) throw new Error(`clipSkip ${clipSkip} reaches past the embeddings: the encoder has ${layers} layers`);
  return fromEnd;
}

export function imagesPerPrompt(options: EncodePromptOptions): number {
  const n = options.numImagesPerPrompt ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new Error(`numImagesPerPrompt must be a positive integer, got ${n}`);
  return n;
}

export function asList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

export function promptList(prompt: string | readonly string[] | undefined, embeds: unknown): readonly string[] | null {
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
export function negativeList(negative: string | readonly string[] | undefined, batch: number, prompts: readonly string[] | null): readonly string[] {
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

export function sameShape(a: ArrayTensor, b: ArrayTensor, aName: string, bName: string): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(`\`${aName}\` and \`${bName}\` must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}

/** encodePrompt({ steps }) on SD 1.x/2.x: the conditioning at each sampling step (see PromptSchedule). */
export async function encodePromptScheduleSd(stage: TextStage, options: EncodePromptOptions): Promise<PromptSchedule<ArrayTensor>> {
  const steps = scheduleSteps(options);
  if (options.dialect === 'a1111') {
    const n = imagesPerPrompt(options);
    const { prompts, negatives } = dialectPrompts(options);
    const schedule = await encodeA1111Steps(dialectSettings('a1111', options), prompts, negatives, dialectEncoder(stage), steps);
    return fromConditioningSteps(schedule, n);
  }
  return oneEntry(await encodePromptSd(stage, { ...options, steps: undefined, hiresSteps: undefined }), options, steps);
}

/** encodePrompt({ steps }) on SDXL. */
export async function encodePromptScheduleSdxl(
  stages: readonly [TextStage, TextStage],
  forceZerosForEmptyPrompt: boolean,
  options: EncodePromptOptions,
): Promise<PromptSchedule<ArrayTensor>> {
  const steps = scheduleSteps(options);
  if (options.dialect === 'a1111') {
    if (options.prompt2 !== undefined || options.negativePrompt2 !== undefined) {
      throw new Error('`dialect` prompts go to both SDXL encoders, as the front ends send them: `prompt2` / `negativePrompt2` are not taken');
    }
    const n = imagesPerPrompt(options);
    const { prompts, negatives } = dialectPrompts(options);
    const schedule = await encodeA1111StepsSdxl(dialectSettings('a1111', options), prompts, negatives, dialectEncoder(stages[0]), dialectEncoder(stages[1]), steps);
    return fromConditioningSteps(schedule, n);
  }
  return oneEntry(await encodePromptSdxl(stages, forceZerosForEmptyPrompt, { ...options, steps: undefined, hiresSteps: undefined }), options, steps);
}

function scheduleSteps(options: EncodePromptOptions): { steps: number; hiresSteps?: number } {
  const check = (v: number, name: string): number => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
    return v;
  };
  if (options.steps === undefined) throw new Error('a schedule needs `steps`');
  const steps = check(options.steps, 'steps');
  return options.hiresSteps === undefined ? { steps } : { steps, hiresSteps: check(options.hiresSteps, 'hiresSteps') };
}

function dialectPrompts(options: EncodePromptOptions): { prompts: readonly string[]; negatives: readonly string[] | null } {
  if (options.promptEmbeds !== undefined || options.negativePromptEmbeds !== undefined) {
    throw new Error('`dialect` reads prompt text: pass `prompt` (and `negativePrompt`), not precomputed embeddings');
  }
  const prompts = promptList(options.prompt, undefined)!;
  return { prompts, negatives: (options.guidance ?? true) ? negativeList(options.negativePrompt, prompts.length, prompts) : null };
}

/** @sdtext/prompt's steps as the pipeline returns them: parts [n, T, H], negatives [B * n, T', H]; equal tensors shared. */
function fromConditioningSteps(schedule: readonly ConditioningStep[], n: number): PromptSchedule<ArrayTensor> {
  const made = new Map<unknown, ArrayTensor>();
  const once = (key: unknown, make: () => ArrayTensor): ArrayTensor => {
    let t = made.get(key);
    if (!t) made.set(key, (t = make()));
    return t;
  };
  const ids = new Map<unknown, number>();
  const idOf = (x: unknown): number => ids.get(x) ?? (ids.set(x, ids.size), ids.size - 1);
  const repeated = (t: { data: Float32Array; dims: number[] }): ArrayTensor => once(t, () => repeatRows({ data: t.data, shape: [1, ...t.dims] }, n));
  const stacked = (ts: readonly { data: Float32Array; dims: number[] }[]): ArrayTensor =>
    once(ts.map(idOf).join(','), () => {
      const data = new Float32Array(ts.reduce((s, t) => s + t.data.length, 0));
      ts.reduce((at, t) => (data.set(t.data, at), at + t.data.length), 0);
      return repeatRows({ data, shape: [ts.length, ...ts[0]!.dims] }, n);
    });
  return {
    schedule: schedule.map(
      (entry): ScheduledConditioning<ArrayTensor> => ({
        untilStep: entry.untilStep,
        parts: entry.parts.map((p) => ({ prompt: p.prompt, weight: p.weight, text: p.text, embeds: repeated(p.embeds), pooledEmbeds: p.pooled ? repeated(p.pooled) : null })),
        negativePromptEmbeds: entry.negatives ? stacked(entry.negatives.map((x) => x.embeds)) : null,
        negativePooledPromptEmbeds: entry.negatives?.[0]?.pooled ? stacked(entry.negatives.map((x) => x.pooled!)) : null,
      }),
    ),
  };
}

/** Embeddings without a schedule as one entry: each prompt's rows its one part, weight 1. */
function oneEntry(out: PromptEmbeddings<ArrayTensor>, options: EncodePromptOptions, steps: { steps: number; hiresSteps?: number }): PromptSchedule<ArrayTensor> {
  const n = imagesPerPrompt(options);
  const texts = options.prompt === undefined ? [] : asList(options.prompt);
  const batch = out.promptEmbeds.shape[0]! / n;
  const rows = (t: ArrayTensor, b: number): ArrayTensor => {
    const size = t.data.length / t.shape[0]!;
    return { data: t.data.slice(b * n * size, (b + 1) * n * size), shape: [n, ...t.shape.slice(1)] };
  };
  return {
    schedule: [
      {
        untilStep: steps.hiresSteps ?? steps.steps,
        parts: Array.from({ length: batch }, (_, b) => ({
          prompt: b,
          weight: 1,
          text: texts[b] ?? '',
          embeds: rows(out.promptEmbeds, b),
          pooledEmbeds: out.pooledPromptEmbeds ? rows(out.pooledPromptEmbeds, b) : null,
        })),
        negativePromptEmbeds: out.negativePromptEmbeds,
        negativePooledPromptEmbeds: out.negativePooledPromptEmbeds,
      },
    ],
  };
}
