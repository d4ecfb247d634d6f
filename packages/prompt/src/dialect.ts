import { tokenizeLine } from './a1111/chunks.js';
import { encodeA1111 } from './a1111/encode.js';
import { parsePromptAttention } from './a1111/parse-attention.js';
import { encodeComfy } from './comfy/encode.js';
import { parseComfyPieces } from './comfy/parse-weights.js';
import { tokenizeWithWeights } from './comfy/tokenize.js';
import { encodeCompel, tokenizeCompel } from './compel/encode.js';
import type { PromptTokenizer, Tensor } from './encoder.js';
import type { EncoderCache } from './encoder-cache.js';

export type Dialect = 'a1111' | 'comfy' | 'compel';
export const DIALECTS: readonly Dialect[] = ['a1111', 'comfy', 'compel'];

/** A 77-token chunk as the encoder sees it, with each token's weight. */
export interface ChunkView {
  tokens: number[];
  weights: number[];
}

/** What a prompt means in a dialect: weighted pieces and the chunks they become (`sdtext parse`). */
export interface PromptExplanation {
  dialect: Dialect;
  /** Weighted text pieces (A1111's BREAK is a piece with weight -1). */
  pieces: { text: string; weight: number }[];
  chunks: ChunkView[];
}

export interface DialectOptions {
  clipSkip?: number;
  /** The id after the first EOS (A1111) / of padding (ComfyUI); defaults to the tokenizer's pad id. */
  padTokenId?: number;
}

/**
 * The weighted pieces and 77-token chunks of a prompt in a dialect (`sdtext parse`). Throws
 * PromptError for a prompt the dialect refuses (a weight that is not a finite number, nesting past
 * MAX_NESTING_DEPTH, compel's syntax errors).
 */
export function explainPrompt(prompt: string, dialect: Dialect, tokenizer: PromptTokenizer, options: DialectOptions = {}): PromptExplanation {
  if (dialect === 'a1111') {
    return {
      dialect,
      pieces: parsePromptAttention(prompt).map(([text, weight]) => ({ text, weight })),
      chunks: tokenizeLine(prompt, tokenizer).chunks.map((c) => ({ tokens: c.tokens, weights: c.multipliers })),
    };
  }
  if (dialect === 'compel') {
    const { parts } = tokenizeCompel(prompt, tokenizer, { padTokenId: options.padTokenId ?? tokenizer.padTokenId });
    return {
      dialect,
      pieces: parts.flatMap((p) => p.fragments.map(({ text, weight }) => ({ text, weight }))),
      chunks: parts.flatMap((p) =>
        Array.from({ length: p.tokens.length / 77 }, (_, c) => ({
          tokens: p.tokens.slice(c * 77, (c + 1) * 77),
          weights: p.weights.slice(c * 77, (c + 1) * 77),
        })),
      ),
    };
  }
  const padWithEnd = (options.padTokenId ?? tokenizer.padTokenId) === tokenizer.eosTokenId;
  return {
    dialect,
    pieces: parseComfyPieces(prompt).map(({ text, weight }) => ({ text, weight })),
    chunks: tokenizeWithWeights(prompt, tokenizer, { padWithEnd }).map((c) => ({ tokens: c.map(([t]) => (typeof t === 'number' ? t : 0)), weights: c.map(([, w]) => w) })),
  };
}

export interface PromptEmbeddings {
  /** [1, 77 * chunks, H] */
  embeds: Tensor;
  /** [1, P]: the first chunk's pooled output. */
  pooled?: Tensor;
  chunks: ChunkView[];
}

/**
 * One prompt, one dialect, one conditioning tensor. A1111 prompts with `AND` or prompt editing
 * have several conds: use `encodeA1111Multicond` for those (this encodes the text as written).
 */
export async function encodePromptWithDialect(
  prompt: string,
  dialect: Dialect,
  tokenizer: PromptTokenizer,
  cache: EncoderCache,
  options: DialectOptions = {},
): Promise<PromptEmbeddings> {
  const padTokenId = options.padTokenId ?? tokenizer.padTokenId;
  if (dialect === 'a1111') {
    const out = await encodeA1111([prompt], tokenizer, cache, { clipSkip: options.clipSkip ?? 1, padTokenId });
    return {
      embeds: out.embeds,
      ...(out.pooled ? { pooled: out.pooled } : {}),
      chunks: out.chunks[0]!.map((c) => ({ tokens: c.tokens, weights: c.multipliers })),
    };
  }
  if (dialect === 'compel') {
    // compel's defaults: truncated to 77 tokens unless .and() adds parts; the pooled output of the raw text
    const out = await encodeCompel([prompt], tokenizer, cache, { clipSkip: options.clipSkip ?? 1, padTokenId, requiresPooled: true });
    return { embeds: out.embeds, ...(out.pooled ? { pooled: out.pooled } : {}), chunks: explainPrompt(prompt, 'compel', tokenizer, options).chunks };
  }
  const chunks = tokenizeWithWeights(prompt, tokenizer, { padWithEnd: padTokenId === tokenizer.eosTokenId });
  const out = await encodeComfy(chunks, cache, {
    clipSkip: options.clipSkip ?? 1,
    padTokenId,
    bosTokenId: tokenizer.bosTokenId,
    eosTokenId: tokenizer.eosTokenId,
  });
  return { ...out, chunks: chunks.map((c) => ({ tokens: c.map(([t]) => (typeof t === 'number' ? t : 0)), weights: c.map(([, w]) => w) })) };
}
