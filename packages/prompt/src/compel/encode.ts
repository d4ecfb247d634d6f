import type { PromptTokenizer, Tensor } from '../encoder.js';
import type { EncoderCache } from '../encoder-cache.js';
import { PromptError } from '../errors.js';
import { parseCompelPrompt } from './parse.js';
import { CompelSyntaxError, type CompelBlend, type CompelConjunction, type CompelFlattenedPrompt, type CompelFragment, type CompelSubstitute } from './structures.js';

// compel's conditioning (src/compel/compel.py + embeddings_provider.py), in float32 as torch runs it.

const f = Math.fround;

export type CompelSplitMode = 'sentences' | 'phrases' | 'words' | 'brutal';

export interface CompelEncodeOptions {
  /** compel's truncate_long_prompts (default true): 75 tokens; false: as many 77-token chunks as needed. */
  truncateLongPrompts?: boolean;
  /** 1: last_hidden_state (LAST_HIDDEN_STATES_NORMALIZED); 2: PENULTIMATE_HIDDEN_STATES_NORMALIZED. */
  clipSkip?: number;
  /** false with clipSkip 2: PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED (SDXL); default true. */
  finalNorm?: boolean;
  /** The pad id after [BOS] ... [EOS]: the tokenizer's (SD1 <|endoftext|>, SD2 "!" = 0). */
  padTokenId?: number;
  /** Where a long prompt is split when not truncated (compel's default SENTENCES, falling back to PHRASES, WORDS). */
  splitLongTextMode?: CompelSplitMode;
  /** SplitLongTextMode.COPY_FIRST_CLS_TOKEN / MERGE_CLS_TOKENS (Compel's default: neither). */
  clsTokens?: 'none' | 'copyFirst' | 'merge';
  /** Compel's requires_pooled: the pooled output of the raw text, truncated, unmasked. */
  requiresPooled?: boolean;
  /** padding_attention_mask_value (1, what SD needs). */
  paddingAttentionMaskValue?: number;
}

export interface CompelConditioning {
  /** [B, 77k, H]: one row per prompt, padded to the longest with the empty prompt's embedding. */
  embeds: Tensor;
  /** [B, P] when `requiresPooled`. */
  pooled?: Tensor;
  conjunctions: CompelConjunction[];
}

/** A conditioning tensor [T, H] (batch 1) as compel passes them around. */
interface Cond {
  data: Float32Array;
  tokens: number;
}

const MAX = 77;

class CompelProvider {
  private emptyZ?: Float32Array;
  private idToToken?: Map<number, string>;
  readonly truncate: boolean;
  readonly clipSkip: number;
  readonly finalNorm: boolean;
  readonly pad: number;
  readonly split: CompelSplitMode;
  readonly maskPad: number;
  hidden = 0;

  constructor(
    readonly tokenizer: PromptTokenizer,
    private readonly encoderCache: EncoderCache | undefined,
    readonly options: CompelEncodeOptions,
  ) {
    this.truncate = options.truncateLongPrompts ?? true;
    this.clipSkip = options.clipSkip ?? 1;
    this.finalNorm = options.finalNorm ?? true;
    this.pad = options.padTokenId ?? tokenizer.padTokenId;
    this.split = options.splitLongTextMode ?? 'sentences';
    this.maskPad = options.paddingAttentionMaskValue ?? 1;
  }

  get cache(): EncoderCache {
    if (!this.encoderCache) throw new Error('compel: no encoder');
    return this.encoderCache;
  }

  /** get_token_ids(texts, include_start_and_end_markers=False): truncated to 75 when truncating. */
  tokenIds(texts: readonly string[]): number[][] {
    return texts.map((t) => {
      const ids = this.tokenizer.encode(t, { addSpecialTokens: false }).inputIds;
      return this.truncate ? ids.slice(0, MAX - 2) : ids;
    });
  }

  /** empty_z: [BOS, EOS, pad...] encoded without a mask. */
  async empty(): Promise<Float32Array> {
    if (!this.emptyZ) {
      const ids = [this.tokenizer.bosTokenId, this.tokenizer.eosTokenId, ...new Array<number>(MAX - 2).fill(this.pad)];
      const [row] = await this.cache.encodeRows([ids], { clipSkip: this.clipSkip, finalNorm: this.finalNorm });
      this.hidden = row!.hiddenSize;
      this.emptyZ = row!.hidden;
    }
    return this.emptyZ;
  }

  private tokenText(id: number): string {
    if (!this.idToToken) {
      this.idToToken = new Map(Object.entries(this.tokenizer.getVocab()).map(([t, i]) => [i, t]));
    }
    return this.idToToken.get(id) ?? '';
  }

  /** _find_next_best_split_point: SENTENCES falls back to PHRASES, PHRASES to WORDS, then a hard split. */
  private splitPoint(ids: readonly number[], from: number, maxLength: number): number {
    if (this.truncate || this.split === 'brutal' || ids.length - from <= maxLength) return maxLength;
    const texts = ids.slice(from, from + maxLength).map((id) => this.tokenText(id));
    const find = (mode: CompelSplitMode): number | undefined => {
      for (let i = texts.length - 1; i >= 0; i--) {
        const t = texts[i]!;
        if (mode === 'words' && t.endsWith('</w>')) return i;
        if (mode === 'phrases' && ['.</w>', ',</w>', ';</w>', ':</w>'].includes(t)) return i;
        if (mode === 'sentences' && t === '.</w>') return i;
      }
      return undefined;
    };
    let mode = this.split;
    let at = find(mode);
    if (at === undefined && mode === 'sentences') {
      at = find('phrases');
      mode = 'phrases';
    }
    if (at === undefined && mode === 'phrases') at = find('words');
    return at === undefined ? maxLength : at + 1;
  }

  /** get_token_ids_and_expand_weights + _chunk_and_pad_token_ids. */
  tokensAndWeights(fragments: string[], weights: number[]): { tokens: number[]; weights: number[]; mask: number[] } {
    if (fragments.length === 0) {
      fragments = [''];
      weights = [1.0];
    }
    const ids: number[] = [];
    const ws: number[] = [];
    this.tokenIds(fragments).forEach((t, i) => {
      for (const id of t) {
        ids.push(id);
        ws.push(weights[i]!);
      }
    });
    const out = { tokens: [] as number[], weights: [] as number[], mask: [] as number[] };
    // `from` walks through the ids: slicing the rest off each chunk would be quadratic in a long prompt.
    for (let from = 0; ; ) {
      const at = this.splitPoint(ids, from, MAX - 2);
      const chunk = [this.tokenizer.bosTokenId, ...ids.slice(from, from + at), this.tokenizer.eosTokenId];
      const chunkWeights = [1.0, ...ws.slice(from, from + at), 1.0];
      from += at;
      const padLength = MAX - chunk.length;
      out.tokens.push(...chunk, ...new Array<number>(padLength).fill(this.pad));
      out.weights.push(...chunkWeights, ...new Array<number>(padLength).fill(1.0));
      out.mask.push(...new Array<number>(chunk.length).fill(1), ...new Array<number>(padLength).fill(this.maskPad));
      if (this.truncate || from >= ids.length) break;
    }
    return out;
  }

  /** build_weighted_embedding_tensor: each 77-token chunk encoded (with its mask), weights as empty + (z - empty) * w. */
  async weighted(tokens: number[], weights: number[], mask: number[]): Promise<Float32Array> {
    const empty = await this.empty();
    const H = this.hidden;
    const n = tokens.length / MAX;
    const rows = Array.from({ length: n }, (_, c) => tokens.slice(c * MAX, (c + 1) * MAX));
    const masks = Array.from({ length: n }, (_, c) => mask.slice(c * MAX, (c + 1) * MAX));
    const encoded = await this.cache.encodeRows(rows, { clipSkip: this.clipSkip, finalNorm: this.finalNorm }, masks);
    const out = new Float32Array(tokens.length * H);
    encoded.forEach((row, c) => {
      const z = row.hidden.slice();
      for (let j = 0; j < MAX; j++) {
        const w = f(weights[c * MAX + j]!);
        if (w === 1) continue;
        for (let h = 0; h < H; h++) {
          const e = empty[j * H + h]!;
          z[j * H + h] = f(e + f(f(z[j * H + h]! - e) * w));
        }
      }
      out.set(z, c * MAX * H);
    });
    return out;
  }

  /** _get_token_ranges_for_fragments, with compel's clamps when truncating. */
  private ranges(tokens: number[], fragments: string[]): ([number, number] | null)[] {
    const perFragment = this.tokenIds(fragments);
    const out: ([number, number] | null)[] = [];
    let start = 0;
    for (let fi = 0; fi < perFragment.length; fi++) {
      const ids = perFragment[fi]!;
      if (ids.length === 0) {
        out.push(null);
        continue;
      }
      if (this.truncate && start >= MAX - 1) break;
      for (;;) {
        if (start >= tokens.length - 1) {
          if (this.truncate) {
            start = tokens.length - 1;
            break;
          }
          throw new PromptError(`compel: couldn't find start of token sequence for fragment at index ${fi} '${fragments[fi]}'`);
        }
        if (tokens[start] === ids[0]) break;
        start++;
      }
      let end = start;
      let rel = 0;
      for (;;) {
        if (end >= tokens.length - 1) {
          if (this.truncate) {
            end = tokens.length - 1;
            break;
          }
          throw new PromptError(`compel: couldn't find end of token sequence for fragment at index ${fi} '${fragments[fi]}'`);
        }
        const t = tokens[end];
        if (t === ids[rel]) {
          rel++;
          if (rel === ids.length) break;
          end++;
        } else if (!this.truncate && (t === this.tokenizer.eosTokenId || t === this.pad || t === this.tokenizer.bosTokenId)) {
          end++;
        } else {
          throw new PromptError(`compel: token sequence mismatch for fragment at index ${fi} '${fragments[fi]}'`);
        }
      }
      out.push([start, end]);
      start = end + 1;
    }
    return out;
  }

  /** get_embeddings_for_weighted_prompt_fragments for one prompt: weights < 1 by lerping toward masked encodings. */
  async fragmentsConditioning(fragments: string[], weights: number[]): Promise<Cond> {
    const { tokens, weights: perToken, mask } = this.tokensAndWeights(fragments, weights);
    const embeddings = [await this.weighted(tokens, perToken, mask)];
    const lerpWeights = [1.0];
    const ranges = this.ranges(tokens, fragments);
    for (let index = 0; index < ranges.length; index++) {
      const w = weights[index]!;
      if (!(w < 1)) continue;
      const range = ranges[index];
      if (range === null || range === undefined) throw new CompelSyntaxError('TypeError', `compel: the down-weighted fragment ${JSON.stringify(fragments[index])} has no tokens (compel raises TypeError)`);
      const without = mask.slice();
      for (let i = range[0]; i <= range[1] && i < without.length; i++) without[i] = 0;
      if (!this.truncate) {
        for (let i = 0; i < without.length; i += MAX) without[i] = 1;
        for (let i = MAX - 1; i < without.length; i += MAX) without[i] = 1;
      }
      embeddings.push(await this.weighted(tokens, perToken, without));
      lerpWeights.push(Math.tan(((1.0 - Math.max(1e-5, w)) * Math.PI) / 2));
    }
    const data = weightedSum(embeddings, lerpWeights, true);
    this.clsTokens(data, tokens);
    return { data, tokens: tokens.length };
  }

  /** SplitLongTextMode.COPY_FIRST_CLS_TOKEN / MERGE_CLS_TOKENS: the first EOS of each chunk. */
  private clsTokens(data: Float32Array, tokens: number[]): void {
    const mode = this.options.clsTokens ?? 'none';
    const chunks = tokens.length / MAX;
    if (!((chunks > 1 && mode === 'copyFirst') || mode === 'merge')) return;
    const H = this.hidden;
    const idx = Array.from({ length: chunks }, (_, c) => {
      const i = tokens.slice(c * MAX, (c + 1) * MAX).indexOf(this.tokenizer.eosTokenId);
      if (i < 0) throw new Error('compel: a chunk without EOS');
      return c * MAX + i;
    });
    if (mode === 'copyFirst') {
      for (const i of idx.slice(1)) data.copyWithin(i * H, idx[0]! * H, (idx[0]! + 1) * H);
      return;
    }
    const mean = new Float32Array(H);
    for (let h = 0; h < H; h++) {
      let s = 0;
      for (const i of idx) s = f(s + data[i * H + h]!);
      mean[h] = f(s / idx.length);
    }
    for (const i of idx) data.set(mean, i * H);
  }

  async flattenedConditioning(prompt: CompelFlattenedPrompt): Promise<Cond> {
    if (prompt.children.some((c) => c.type !== 'Fragment')) {
      throw new PromptError('compel .swap() (cross-attention control) has no conditioning tensor here; it needs the diffusion model');
    }
    const children = prompt.children as CompelFragment[];
    return this.fragmentsConditioning(
      children.map((c) => c.text),
      children.map((c) => c.weight),
    );
  }

  /** pad_conditioning_tensors_to_same_length: shorter ones get empty_z appended, 77 tokens at a time. */
  async padToSameLength(conds: Cond[]): Promise<Cond[]> {
    if (conds.length < 2 || conds.every((c) => c.tokens === conds[0]!.tokens)) return conds;
    const empty = await this.empty();
    const H = this.hidden;
    const longest = Math.max(...conds.map((c) => c.tokens));
    return conds.map((c) => {
      if (c.tokens === longest) return c;
      const data = new Float32Array(longest * H);
      data.set(c.data);
      for (let t = c.tokens; t < longest; t += MAX) data.set(empty, t * H);
      return { data, tokens: longest };
    });
  }

  async blendConditioning(blend: CompelBlend): Promise<Cond> {
    const conds: Cond[] = [];
    for (const p of blend.prompts) conds.push(await this.flattenedConditioning(p));
    const padded = await this.padToSameLength(conds);
    return { data: weightedSum(padded.map((c) => c.data), blend.weights, blend.normalize), tokens: padded[0]!.tokens };
  }

  /** build_conditioning_tensor_for_conjunction: parts concatenated; a part weighted w is empty + (c - empty) * w. */
  async conjunctionConditioning(conjunction: CompelConjunction): Promise<Cond> {
    let emptyCond: Cond | undefined;
    const parts: Cond[] = [];
    for (let i = 0; i < conjunction.prompts.length; i++) {
      const p = conjunction.prompts[i]!;
      let c = p.type === 'Blend' ? await this.blendConditioning(p) : await this.flattenedConditioning(p);
      const weight = conjunction.weights[i]!;
      if (weight !== 1) {
        emptyCond ??= await this.conjunctionConditioning(parseCompelPrompt(''));
        const [pe] = await this.padToSameLength([emptyCond, c]);
        const w = f(weight);
        const data = new Float32Array(c.data.length);
        for (let k = 0; k < data.length; k++) data[k] = f(pe!.data[k]! + f(f(c.data[k]! - pe!.data[k]!) * w));
        c = { data, tokens: c.tokens };
      }
      parts.push(c);
    }
    if (parts.length === 0) throw new PromptError('compel: a prompt with no parts (only loras) has no conditioning (torch.concat of nothing)');
    const tokens = parts.reduce((n, c) => n + c.tokens, 0);
    const data = new Float32Array(tokens * this.hidden);
    let at = 0;
    for (const c of parts) {
      data.set(c.data, at);
      at += c.data.length;
    }
    return { data, tokens };
  }

  /** get_pooled_embeddings([text]): the raw text, truncated, padded to 77, no mask. */
  async pooled(text: string): Promise<Float32Array> {
    const ids = this.tokenizer.encode(text, { addSpecialTokens: false }).inputIds.slice(0, MAX - 2);
    const row = [this.tokenizer.bosTokenId, ...ids, this.tokenizer.eosTokenId];
    row.push(...new Array<number>(MAX - row.length).fill(this.pad));
    const [encoded] = await this.cache.encodeRows([row], { clipSkip: 1 });
    if (!encoded!.pooled) throw new Error('compel requiresPooled: the encoder gives no pooled output');
    return encoded!.pooled;
  }
}

/** EmbeddingsProvider.apply_embedding_weights: sum of w_k * e_k, w normalized to sum 1 when asked (float32). */
function weightedSum(embeddings: Float32Array[], weights: number[], normalize: boolean): Float32Array {
  let w = weights.map(f);
  if (normalize) {
    const total = w.reduce((a, b) => f(a + b), 0);
    w = w.map((x) => f(x / total));
  }
  const out = new Float32Array(embeddings[0]!.length);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < embeddings.length; k++) s = f(s + f(embeddings[k]![i]! * w[k]!));
    out[i] = s;
  }
  return out;
}

/**
 * compel's `Compel(tokenizer, text_encoder, ...)(prompts)`: each prompt parsed with compel's syntax
 * and built into a conditioning tensor (weights, down-weighting by masking, `.blend()`, `.and()`,
 * long prompts), the batch padded to the same length with the empty prompt's embedding
 * (`pad_conditioning_tensors_to_same_length`). Pass `[positive, negative]` to get both padded alike.
 */
export async function encodeCompel(
  prompts: string | readonly string[],
  tokenizer: PromptTokenizer,
  cache: EncoderCache,
  options: CompelEncodeOptions = {},
): Promise<CompelConditioning> {
  const texts = typeof prompts === 'string' ? [prompts] : [...prompts];
  // Parsed first: a prompt compel's rules refuse costs no encoder call.
  const conjunctions = texts.map((t) => parseCompelPrompt(t, { finiteWeights: true }));
  const provider = new CompelProvider(tokenizer, cache, options);
  await provider.empty();
  const conds: Cond[] = [];
  for (const c of conjunctions) conds.push(await provider.conjunctionConditioning(c));
  const padded = await provider.padToSameLength(conds);
  const H = provider.hidden;
  const T = padded[0]!.tokens;
  const embeds = new Float32Array(texts.length * T * H);
  padded.forEach((c, b) => embeds.set(c.data, b * T * H));
  const result: CompelConditioning = { embeds: { data: embeds, dims: [texts.length, T, H] }, conjunctions };
  if (options.requiresPooled) {
    const pooled = await Promise.all(texts.map((t) => provider.pooled(t)));
    const P = pooled[0]!.length;
    const data = new Float32Array(texts.length * P);
    pooled.forEach((p, b) => data.set(p, b * P));
    result.pooled = { data, dims: [texts.length, P] };
  }
  return result;
}

/** The fragments of a prompt with each `.swap()` read as its original (nested swaps too). */
function originalFragments(children: readonly (CompelFragment | CompelSubstitute)[]): CompelFragment[] {
  return children.flatMap((c) => (c.type === 'Fragment' ? [c] : originalFragments(c.original)));
}

/** One part of a compel prompt as the encoder sees it: 77-token chunks with each token's weight. */
export interface CompelPartTokens {
  /** The FlattenedPrompt's (or a blended prompt's) fragments. */
  fragments: CompelFragment[];
  tokens: number[];
  weights: number[];
}

/**
 * What compel makes of a prompt before the encoder: the parsed Conjunction and, for each of its
 * prompts (each blended prompt of a Blend), the chunked token ids and per-token weights.
 */
export function tokenizeCompel(
  prompt: string,
  tokenizer: PromptTokenizer,
  options: CompelEncodeOptions = {},
): { conjunction: CompelConjunction; parts: CompelPartTokens[] } {
  const provider = new CompelProvider(tokenizer, undefined, options);
  const conjunction = parseCompelPrompt(prompt, { finiteWeights: true });
  const flat = conjunction.prompts.flatMap((p) => (p.type === 'Blend' ? p.prompts : [p]));
  const parts = flat.map((p) => {
    const fragments = originalFragments(p.children);
    const t = provider.tokensAndWeights(
      fragments.map((c) => c.text),
      fragments.map((c) => c.weight),
    );
    return { fragments, tokens: t.tokens, weights: t.weights };
  });
  return { conjunction, parts };
}
