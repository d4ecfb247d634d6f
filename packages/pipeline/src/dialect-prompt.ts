import {
  encodeA1111,
  encodeA1111Sdxl,
  encodeComfy,
  encodeComfySdxl,
  encodeCompel,
  encodeCompelSdxl,
  tokenizeWithWeights,
  type EncoderCache,
  type SdxlEncoder,
  type Tensor,
} from '@sdtext/prompt';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import type { ArrayTensor } from './embeddings.js';

/** Prompt syntaxes `encodePrompt` understands besides diffusers' plain text. */
export type PromptDialect = 'a1111' | 'comfy' | 'compel';
export const PROMPT_DIALECTS: readonly PromptDialect[] = ['a1111', 'comfy', 'compel'];

export function checkDialect(dialect: unknown): PromptDialect {
  if (!PROMPT_DIALECTS.includes(dialect as PromptDialect)) {
    throw new TypeError(`dialect must be one of ${PROMPT_DIALECTS.map((d) => `"${d}"`).join(', ')}, got ${JSON.stringify(dialect)}`);
  }
  return dialect as PromptDialect;
}

/**
 * Prompts and (with guidance) negative prompts in a dialect, at one length, as that front end
 * hands them to a UNet. compel encodes both in one call, which pads them alike
 * (`pad_conditioning_tensors_to_same_length`), with long prompts kept whole
 * (`truncate_long_prompts=False`); the others are brought to one length by `sameLength`.
 */
export async function encodeDialectPair(
  dialect: PromptDialect,
  prompts: readonly string[],
  negatives: readonly string[] | null,
  tokenizer: CLIPTokenizer,
  cache: EncoderCache,
  clipSkip: number,
): Promise<{ prompt: ArrayTensor; negative: ArrayTensor | null }> {
  if (dialect === 'compel') {
    const all = [...prompts, ...(negatives ?? [])];
    const out = asArray((await encodeCompel(all, tokenizer, cache, { clipSkip, truncateLongPrompts: false, padTokenId: tokenizer.padTokenId })).embeds);
    const [, seq, hidden] = out.shape as [number, number, number];
    const rows = (from: number, to: number): ArrayTensor => ({ data: out.data.slice(from * seq * hidden, to * seq * hidden), shape: [to - from, seq, hidden] });
    return { prompt: rows(0, prompts.length), negative: negatives ? rows(prompts.length, all.length) : null };
  }
  const prompt = await encodeDialect(dialect, prompts, tokenizer, cache, clipSkip);
  if (!negatives) return { prompt, negative: null };
  const negative = await encodeDialect(dialect, negatives, tokenizer, cache, clipSkip);
  const [a, b] = await sameLength(dialect, prompt, negative, () => encodeDialect(dialect, [''], tokenizer, cache, clipSkip));
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
 * encodeDialectPair for SDXL's two encoders (@sdtext/prompt's encode*Sdxl). `clipSkip` is
 * diffusers' k (undefined: each front end's own layers): A1111 as webui with "Clip skip SDXL" on
 * (CLIP-L `hidden_states[-(k + 2)]`), ComfyUI as CLIPSetLastLayer(-(k + 2)) on both; compel's SDXL
 * has no clip skip. A1111 zeroes an all-empty negative prompt, as webui does for SDXL.
 */
export async function encodeDialectPairSdxl(
  dialect: PromptDialect,
  prompts: readonly string[],
  negatives: readonly string[] | null,
  clipL: SdxlEncoder,
  clipG: SdxlEncoder,
  clipSkip: number | undefined,
): Promise<SdxlDialectPair> {
  if (dialect === 'compel') {
    if (clipSkip) throw new Error("compel's SDXL conditioning has no clip skip (PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED)");
    const all = [...prompts, ...(negatives ?? [])];
    const out = await encodeCompelSdxl(all, clipL, clipG, { truncateLongPrompts: false });
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
      const skip = clipSkip === undefined ? {} : { clipSkip: clipSkip + 2, sdxlClipLSkip: true };
      const out = await encodeA1111Sdxl(texts, clipL, clipG, { ...skip, isNegativePrompt });
      return { embeds: asArray(out.embeds), pooled: asArray(out.pooled) };
    }
    const rows: ArrayTensor[] = [];
    const pooled: Float32Array[] = [];
    for (const text of texts) {
      const out = await encodeComfySdxl(text, clipL, clipG, clipSkip === undefined ? {} : { clipSkip: clipSkip + 2 });
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
  const [a, b] = await sameLength(dialect, prompt.embeds, negative.embeds, async () => (await encode([''], false)).embeds);
  return { prompt: a, pooled: prompt.pooled, negative: b, negativePooled: negative.pooled };
}

function sliceRows(t: ArrayTensor, from: number, to: number): ArrayTensor {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: t.data.slice(from * size, to * size), shape: [to - from, ...t.shape.slice(1)] };
}

/**
 * One batch of prompts in a dialect, as that front end conditions a UNet: A1111 encodes the batch
 * chunk by chunk (filler chunks for shorter prompts), ComfyUI one prompt at a time. `clipSkip` is
 * the front end's own count (1 = last layer).
 */
async function encodeDialect(
  dialect: 'a1111' | 'comfy',
  texts: readonly string[],
  tokenizer: CLIPTokenizer,
  cache: EncoderCache,
  clipSkip: number,
): Promise<ArrayTensor> {
  if (dialect === 'a1111') return asArray((await encodeA1111(texts, tokenizer, cache, { clipSkip, padTokenId: tokenizer.padTokenId })).embeds);
  const rows: Tensor[] = [];
  for (const text of texts) {
    const chunks = tokenizeWithWeights(text, tokenizer, { padWithEnd: tokenizer.padTokenId === tokenizer.eosTokenId });
    const options = { clipSkip, padTokenId: tokenizer.padTokenId, bosTokenId: tokenizer.bosTokenId, eosTokenId: tokenizer.eosTokenId };
    rows.push((await encodeComfy(chunks, cache, options)).embeds);
  }
  return stackRepeated(rows.map(asArray));
}

/**
 * The prompt and negative embeddings at one length, as each front end makes them before the UNet:
 * A1111 appends encoded empty-prompt chunks to the shorter one (`pad_cond`), ComfyUI repeats each
 * to the least common multiple of the lengths (`CONDCrossAttn.concat`).
 */
async function sameLength(
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

function asArray(t: Tensor): ArrayTensor {
  return { data: t.data, shape: t.dims };
}

/** Rows [1, S_i, H] stacked into [B, S, H], each repeated along the sequence to the LCM (ComfyUI's batch rule). */
function stackRepeated(rows: readonly ArrayTensor[]): ArrayTensor {
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
