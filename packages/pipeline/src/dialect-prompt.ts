import {
  DIALECTS,
  a1111BatchEncoder,
  a1111SdxlBatchEncoder,
  encodeA1111,
  encodeA1111Schedule,
  encodeA1111Sdxl,
  encodeComfy,
  encodeComfySdxl,
  encodeCompel,
  encodeCompelSdxl,
  tokenizeWithWeights,
  type A1111Embeddings,
  type ComfyEmbeddings,
  type Dialect,
  type ConditioningStep,
  type EncoderCache,
  type SdxlEncoder,
  type Tensor,
} from '@sdtext/prompt';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import { dialectClipSkip } from './dialect-clip-skip.js';
import type { ArrayTensor } from './embeddings.js';

/** Prompt syntaxes `encodePrompt` understands besides diffusers' plain text. */
export type PromptDialect = Dialect;
export const PROMPT_DIALECTS: readonly PromptDialect[] = DIALECTS;

export function checkDialect(dialect: unknown): PromptDialect {
  if (!PROMPT_DIALECTS.includes(dialect as PromptDialect)) {
    throw new TypeError(`dialect must be one of ${PROMPT_DIALECTS.map((d) => `"${d}"`).join(', ')}, got ${JSON.stringify(dialect)}`);
  }
  return dialect as PromptDialect;
}

/** How a dialect prompt is encoded: the options of encodePrompt that front ends have. */
export interface DialectSettings {
  dialect: PromptDialect;
  /** As the front end numbers it (see dialectClipSkip). */
  clipSkip: number | undefined;
  /** webui's "Pad prompt/negative prompt" (a1111 only). */
  padCondUncond: boolean;
  /** webui's "Clip skip SDXL" (a1111 on SDXL only). */
  sdxlClipLSkip: boolean;
  warn: (message: string) => void;
}

/** One text encoder as the dialects drive it. */
export interface DialectEncoder {
  tokenizer: CLIPTokenizer;
  cache: EncoderCache;
  /** The encoder's layers and width. */
  layers: number;
  hiddenSize: number;
  /** Embeddings by name: webui's (file stems) and ComfyUI's (`embedding:path`). */
  a1111Embeddings?: A1111Embeddings | undefined;
  comfyEmbeddings?: ComfyEmbeddings | undefined;
}

/** SD 2.x's OpenCLIP-H tokenizer pads with "!" (0), SD 1.x's CLIP-L with EOS: what webui and ComfyUI also go by. */
const isOpenClip = (e: DialectEncoder): boolean => e.tokenizer.padTokenId !== e.tokenizer.eosTokenId;

/**
 * Prompts and (with guidance) negative prompts in a dialect, as that front end hands them to a
 * UNet. compel encodes both in one call, which pads them alike (`pad_conditioning_tensors_to_same_length`),
 * with long prompts kept whole (`truncate_long_prompts=False`); ComfyUI repeats the shorter to a
 * common length; webui runs each at its own length unless "Pad prompt/negative prompt" is on.
 */
export async function encodeDialectPair(
  settings: DialectSettings,
  prompts: readonly string[],
  negatives: readonly string[] | null,
  encoder: DialectEncoder,
): Promise<{ prompt: ArrayTensor; negative: ArrayTensor | null }> {
  const { dialect } = settings;
  const clipSkip = dialectClipSkip(dialect, settings.clipSkip, { openClip: isOpenClip(encoder), layers: encoder.layers }, settings.warn);
  const { tokenizer, cache } = encoder;
  if (dialect === 'compel') {
    const all = [...prompts, ...(negatives ?? [])];
    const out = asArray((await encodeCompel(all, tokenizer, cache, { clipSkip, truncateLongPrompts: false, padTokenId: tokenizer.padTokenId })).embeds);
    return { prompt: sliceRows(out, 0, prompts.length), negative: negatives ? sliceRows(out, prompts.length, all.length) : null };
  }
  const encode = (texts: readonly string[]): Promise<ArrayTensor> => encodeDialect(dialect, texts, encoder, clipSkip, settings.warn);
  const prompt = await encode(prompts);
  if (!negatives) return { prompt, negative: null };
  const negative = await encode(negatives);
  if (dialect === 'a1111' && !settings.padCondUncond) return { prompt, negative };
  const [a, b] = await sameLength(dialect, prompt, negative, () => encode(['']));
  return { prompt: a, negative: b };
}

/** SDXL's embeddings in a dialect: [B, S, H_L + H_G] and CLIP-G's pooled [B, P], prompt and negative. */
export interface SdxlDialectPair {
  prompt: ArrayTensor;
  pooled: ArrayTensor;
  negative: ArrayTensor | null;
  negativePooled: ArrayTensor | null;
}

/**
 * encodeDialectPair for SDXL's two encoders (@sdtext/prompt's encode*Sdxl). Clip skip as each front
 * end has it on SDXL: webui ignores it unless "Clip skip SDXL" (`sdxlClipLSkip`: CLIP-L
 * `hidden_states[-n]`, unnormed); ComfyUI's CLIPSetLastLayer(-n) sets both encoders to
 * `hidden_states[-n]` (its default is -2); compel's SDXL has none. webui zeroes an all-empty
 * negative prompt.
 */
export async function encodeDialectPairSdxl(
  settings: DialectSettings,
  prompts: readonly string[],
  negatives: readonly string[] | null,
  clipL: DialectEncoder,
  clipG: DialectEncoder,
): Promise<SdxlDialectPair> {
  const { dialect } = settings;
  const l: SdxlEncoder = { tokenizer: clipL.tokenizer, cache: clipL.cache };
  const g: SdxlEncoder = { tokenizer: clipG.tokenizer, cache: clipG.cache };
  if (dialect === 'compel') {
    if (settings.clipSkip) throw new Error("compel's SDXL conditioning has no clip skip (PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED)");
    const all = [...prompts, ...(negatives ?? [])];
    const out = await encodeCompelSdxl(all, l, g, { truncateLongPrompts: false });
    const embeds = asArray(out.embeds);
    const pooled = asArray(out.pooled);
    const n = prompts.length;
    return {
      prompt: sliceRows(embeds, 0, n),
      pooled: sliceRows(pooled, 0, n),
      negative: negatives ? sliceRows(embeds, n, all.length) : null,
      negativePooled: negatives ? sliceRows(pooled, n, all.length) : null,
    };
  }
  const encode = async (texts: readonly string[], isNegativePrompt: boolean): Promise<{ embeds: ArrayTensor; pooled: ArrayTensor }> => {
    if (dialect === 'a1111') {
      const out = await encodeA1111Sdxl(texts, l, g, { ...a1111SdxlSkip(settings, clipL), ...a1111SdxlEmbeddings(clipL, clipG), isNegativePrompt });
      return { embeds: asArray(out.embeds), pooled: asArray(out.pooled) };
    }
    const rows: ArrayTensor[] = [];
    const pooled: Float32Array[] = [];
    for (const text of texts) {
      const out = await encodeComfySdxl(text, l, g, { ...comfySdxlSkip(settings, clipL, clipG), ...comfySdxlEmbeddings(settings, clipL, clipG) });
      rows.push(asArray(out.embeds));
      pooled.push(out.pooled.data);
    }
    const size = pooled[0]!.length;
    const data = new Float32Array(texts.length * size);
    pooled.forEach((p, i) => data.set(p, i * size));
    return { embeds: stackRepeated(rows), pooled: { data, shape: [texts.length, size] } };
  };
  const prompt = await encode(prompts, false);
  if (!negatives) return { prompt: prompt.embeds, pooled: prompt.pooled, negative: null, negativePooled: null };
  const negative = await encode(negatives, true);
  if (dialect === 'a1111' && !settings.padCondUncond) return { prompt: prompt.embeds, pooled: prompt.pooled, negative: negative.embeds, negativePooled: negative.pooled };
  const [a, b] = await sameLength(dialect, prompt.embeds, negative.embeds, async () => (await encode([''], false)).embeds);
  return { prompt: a, pooled: prompt.pooled, negative: b, negativePooled: negative.pooled };
}

/**
 * webui's conditioning over the sampling steps (prompt editing, alternation, AND), SD 1.x/2.x: see
 * @sdtext/prompt's encodeA1111Schedule.
 */
export async function encodeA1111Steps(
  settings: DialectSettings,
  prompts: readonly string[],
  negatives: readonly string[] | null,
  encoder: DialectEncoder,
  steps: { steps: number; hiresSteps?: number | undefined },
): Promise<ConditioningStep[]> {
  const clipSkip = dialectClipSkip('a1111', settings.clipSkip, { openClip: isOpenClip(encoder), layers: encoder.layers }, settings.warn);
  const batch = a1111BatchEncoder(encoder.tokenizer, encoder.cache, {
    clipSkip,
    padTokenId: encoder.tokenizer.padTokenId,
    ...(encoder.a1111Embeddings ? { embeddings: encoder.a1111Embeddings } : {}),
  });
  return encodeA1111Schedule(prompts, negatives, batch, scheduleOptions(settings, steps));
}

/** encodeA1111Steps on SDXL's two encoders. */
export async function encodeA1111StepsSdxl(
  settings: DialectSettings,
  prompts: readonly string[],
  negatives: readonly string[] | null,
  clipL: DialectEncoder,
  clipG: DialectEncoder,
  steps: { steps: number; hiresSteps?: number | undefined },
): Promise<ConditioningStep[]> {
  const batch = a1111SdxlBatchEncoder(
    { tokenizer: clipL.tokenizer, cache: clipL.cache },
    { tokenizer: clipG.tokenizer, cache: clipG.cache },
    { ...a1111SdxlSkip(settings, clipL), ...a1111SdxlEmbeddings(clipL, clipG) },
  );
  return encodeA1111Schedule(prompts, negatives, batch, scheduleOptions(settings, steps));
}

function scheduleOptions(settings: DialectSettings, { steps, hiresSteps }: { steps: number; hiresSteps?: number | undefined }) {
  return { steps, ...(hiresSteps !== undefined ? { hiresSteps } : {}), padCondUncond: settings.padCondUncond };
}

/** webui on SDXL: Clip skip only with "Clip skip SDXL", and then only CLIP-L's hidden_states[-n]. */
function a1111SdxlSkip(settings: DialectSettings, clipL: DialectEncoder): { clipSkip?: number; sdxlClipLSkip?: boolean } {
  const n = settings.clipSkip ?? 1;
  if (!Number.isInteger(n) || n < 0) throw new Error(`clipSkip in the a1111 dialect is webui's Clip skip (1 = last layer), got ${n}`);
  if (!settings.sdxlClipLSkip) {
    if (n > 1) settings.warn(`webui ignores Clip skip ${n} on SDXL unless "Clip skip SDXL" is on (sdxlClipLSkip): encoded as webui does`);
    return {};
  }
  if (n > clipL.layers + 1) throw new Error(`Clip skip ${n} reaches past CLIP-L's embeddings: it has ${clipL.layers} layers`);
  return { clipSkip: Math.max(n, 1), sdxlClipLSkip: true };
}

function a1111SdxlEmbeddings(clipL: DialectEncoder, clipG: DialectEncoder): { embeddingsL?: A1111Embeddings; embeddingsG?: A1111Embeddings } {
  return { ...(clipL.a1111Embeddings ? { embeddingsL: clipL.a1111Embeddings } : {}), ...(clipG.a1111Embeddings ? { embeddingsG: clipG.a1111Embeddings } : {}) };
}

/** ComfyUI on SDXL: CLIPSetLastLayer(-n) is hidden_states[-n], unnormed, on both encoders. */
function comfySdxlSkip(settings: DialectSettings, clipL: DialectEncoder, clipG: DialectEncoder): { clipSkip?: number } {
  const n = settings.clipSkip;
  if (n === undefined || n === 0) return {};
  if (!Number.isInteger(n) || n > 0) {
    throw new Error(`clipSkip in the comfy dialect is CLIPSetLastLayer's stop_at_clip_layer (-1 = last layer, -2 = penultimate), got ${n}`);
  }
  if (-n > Math.min(clipL.layers, clipG.layers)) {
    throw new Error(`CLIPSetLastLayer(${n}) reaches past the SDXL encoders' layers (${clipL.layers} and ${clipG.layers}); ComfyUI would take their last normed layer, not done here`);
  }
  return { clipSkip: -n };
}

function comfySdxlEmbeddings(settings: DialectSettings, clipL: DialectEncoder, clipG: DialectEncoder) {
  return {
    onWarning: settings.warn,
    hiddenSizes: { l: clipL.hiddenSize, g: clipG.hiddenSize },
    ...(clipL.comfyEmbeddings && clipG.comfyEmbeddings ? { embeddings: { l: clipL.comfyEmbeddings, g: clipG.comfyEmbeddings } } : {}),
  };
}

function sliceRows(t: ArrayTensor, from: number, to: number): ArrayTensor {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: t.data.slice(from * size, to * size), shape: [to - from, ...t.shape.slice(1)] };
}

/**
 * One batch of prompts in a dialect, as that front end conditions a UNet: A1111 encodes the batch
 * chunk by chunk (filler chunks for shorter prompts), ComfyUI one prompt at a time. `clipSkip` is
 * @sdtext/prompt's count (1 = last layer).
 */
async function encodeDialect(
  dialect: 'a1111' | 'comfy',
  texts: readonly string[],
  encoder: DialectEncoder,
  clipSkip: number,
  warn: (message: string) => void,
): Promise<ArrayTensor> {
  const { tokenizer, cache } = encoder;
  if (dialect === 'a1111') {
    const embeddings = encoder.a1111Embeddings ? { embeddings: encoder.a1111Embeddings } : {};
    return asArray((await encodeA1111(texts, tokenizer, cache, { clipSkip, padTokenId: tokenizer.padTokenId, ...embeddings })).embeds);
  }
  const rows: Tensor[] = [];
  for (const text of texts) {
    const chunks = tokenizeWithWeights(text, tokenizer, {
      padWithEnd: tokenizer.padTokenId === tokenizer.eosTokenId,
      onWarning: warn,
      ...(encoder.comfyEmbeddings ? { embeddings: encoder.comfyEmbeddings } : {}),
    });
    const options = {
      clipSkip,
      padTokenId: tokenizer.padTokenId,
      bosTokenId: tokenizer.bosTokenId,
      eosTokenId: tokenizer.eosTokenId,
      hiddenSize: encoder.hiddenSize,
      onWarning: warn,
    };
    rows.push((await encodeComfy(chunks, cache, options)).embeds);
  }
  return stackRepeated(rows.map(asArray));
}

/**
 * The prompt and negative embeddings at one length, as each front end makes them before the UNet:
 * A1111 with "Pad prompt/negative prompt" appends encoded empty-prompt chunks to the shorter one
 * (`pad_cond`), ComfyUI repeats each to the least common multiple of the lengths (`CONDCrossAttn.concat`).
 */
export async function sameLength(
  dialect: 'a1111' | 'comfy',
  a: ArrayTensor,
  b: ArrayTensor,
  emptyChunk: () => Promise<ArrayTensor>,
): Promise<[ArrayTensor, ArrayTensor]> {
  if (a.shape[1] === b.shape[1]) return [a, b];
  if (dialect === 'comfy') {
    const length = lcm(a.shape[1]!, b.shape[1]!);
    return [repeatSequence(a, length / a.shape[1]!), repeatSequence(b, length / b.shape[1]!)];
  }
  const empty = await emptyChunk(); // [1, 77, H]
  const pad = (t: ArrayTensor, length: number): ArrayTensor => {
    if (t.shape[1] === length) return t;
    const [batch, seq, hidden] = t.shape as [number, number, number];
    const data = new Float32Array(batch * length * hidden);
    for (let r = 0; r < batch; r++) {
      data.set(t.data.subarray(r * seq * hidden, (r + 1) * seq * hidden), r * length * hidden);
      for (let at = seq; at < length; at += empty.shape[1]!) data.set(empty.data, (r * length + at) * hidden);
    }
    return { data, shape: [batch, length, hidden] };
  };
  const length = Math.max(a.shape[1]!, b.shape[1]!);
  return [pad(a, length), pad(b, length)];
}

export function asArray(t: Tensor): ArrayTensor {
  return { data: t.data, shape: t.dims };
}

/** Rows [1, S_i, H] stacked into [B, S, H], each repeated along the sequence to the LCM (ComfyUI's batch rule). */
export function stackRepeated(rows: readonly ArrayTensor[]): ArrayTensor {
  const length = rows.reduce((m, r) => lcm(m, r.shape[1]!), 1);
  const hidden = rows[0]!.shape[2]!;
  const data = new Float32Array(rows.length * length * hidden);
  rows.forEach((r, i) => data.set(repeatSequence(r, length / r.shape[1]!).data, i * length * hidden));
  return { data, shape: [rows.length, length, hidden] };
}

function repeatSequence(t: ArrayTensor, times: number): ArrayTensor {
  if (times === 1) return t;
  const [batch, seq, hidden] = t.shape as [number, number, number];
  const data = new Float32Array(batch * seq * times * hidden);
  for (let r = 0; r < batch; r++) {
    const row = t.data.subarray(r * seq * hidden, (r + 1) * seq * hidden);
    for (let k = 0; k < times; k++) data.set(row, (r * times + k) * seq * hidden);
  }
  return { data, shape: [batch, seq * times, hidden] };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
