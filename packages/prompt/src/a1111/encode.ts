import type { PromptTokenizer, Tensor, TokenInsertion } from '../encoder.js';
import type { EncoderCache } from '../encoder-cache.js';
import { emptyChunk, tokenizeLine, type A1111ChunkOptions, type PromptChunk } from './chunks.js';
import { applyEmphasis } from './emphasis.js';

export interface A1111EncodeOptions extends A1111ChunkOptions {
  /** webui's "Clip skip" (CLIP_stop_at_last_layers). */
  clipSkip?: number;
  /** false: hidden_states[-clipSkip] without final_layer_norm (SDXL's layers); default true. */
  finalNorm?: boolean;
  /**
   * The id written after the first EOS of each chunk. webui uses EOS for SD1 and 0 for SD2's
   * open_clip; the default is the tokenizer's pad id, which is exactly that for the sd1/sd2 presets.
   */
  padTokenId?: number;
  /**
   * How many times each text stands in webui's batch (a schedule's texts repeat: `[a|b]` over 20
   * steps is 20 texts). Each text is encoded once, but Original emphasis restores the mean of the
   * whole batch, repeats counted. Default: once each.
   */
  repeats?: readonly number[];
}

export interface A1111Conditioning {
  /** [B, 77 * chunks, H]: the chunks side by side, as webui's torch.hstack. */
  embeds: Tensor;
  /** [B, P]: the pooled output of the first chunk (SDXL's pooled embedding). */
  pooled?: Tensor;
  /** Per text, its chunks (tokens and multipliers), for display. */
  chunks: PromptChunk[][];
  /** webui's token count (the "75/150" counter). */
  tokenCount: number;
}

/**
 * webui's FrozenCLIPEmbedderWithCustomWords.forward(texts): every text is chunked; chunk i of
 * all texts is encoded as one batch (shorter texts get empty filler chunks), emphasis is applied
 * per chunk batch, and the chunks are concatenated along the sequence.
 */
export async function encodeA1111(
  texts: readonly string[],
  tokenizer: PromptTokenizer,
  cache: EncoderCache,
  options: A1111EncodeOptions = {},
): Promise<A1111Conditioning> {
  const emphasis = options.emphasis ?? 'Original';
  const padTokenId = options.padTokenId ?? tokenizer.padTokenId;
  const perText = new Map<string, { chunks: PromptChunk[]; tokenCount: number }>();
  for (const t of texts) if (!perText.has(t)) perText.set(t, tokenizeLine(t, tokenizer, options));
  const batchChunks = texts.map((t) => perText.get(t)!.chunks);
  const tokenCount = Math.max(0, ...[...perText.values()].map((v) => v.tokenCount));
  const chunkCount = Math.max(...batchChunks.map((c) => c.length));

  const zs: Float32Array[] = [];
  let hiddenSize = 0;
  let pooled: Tensor | undefined;
  if (options.repeats && options.repeats.length !== texts.length) throw new RangeError(`repeats has ${options.repeats.length} counts for ${texts.length} texts`);
  for (let i = 0; i < chunkCount; i++) {
    const batch = batchChunks.map((chunks) => chunks[i] ?? emptyChunk(tokenizer));
    const rows = batch.map((c) => padAfterEos(c.tokens, tokenizer.eosTokenId, padTokenId));
    const insertions = batch.map(fixVectors);
    const encoded = await cache.encodeRows(rows, {
      clipSkip: options.clipSkip ?? 1,
      finalNorm: options.finalNorm ?? true,
      ...(insertions.some((x) => x.length > 0) ? { insertions } : {}),
    });
    hiddenSize = encoded[0]!.hiddenSize;
    const z = concat(encoded.map((r) => r.hidden));
    applyEmphasis(z, batch.flatMap((c) => c.multipliers), hiddenSize, emphasis, options.repeats);
    zs.push(z);
    if (i === 0 && encoded[0]!.pooled) {
      pooled = { data: concat(encoded.map((r) => r.pooled!)), dims: [texts.length, encoded[0]!.pooled.length] };
    }
  }

  const seq = 77;
  const embeds = new Float32Array(texts.length * chunkCount * seq * hiddenSize);
  const rowSize = seq * hiddenSize;
  for (let b = 0; b < texts.length; b++) {
    for (let i = 0; i < chunkCount; i++) {
      embeds.set(zs[i]!.subarray(b * rowSize, (b + 1) * rowSize), (b * chunkCount + i) * rowSize);
    }
  }
  return {
    embeds: { data: embeds, dims: [texts.length, chunkCount * seq, hiddenSize] },
    ...(pooled ? { pooled } : {}),
    chunks: batchChunks,
    tokenCount,
  };
}

/**
 * sd_hijack's EmbeddingsWithFixes: each fix's vectors replace the token embeddings from offset + 1
 * on (BOS first), as many as fit before the row's end.
 */
function fixVectors(chunk: PromptChunk): TokenInsertion[] {
  const out: TokenInsertion[] = [];
  for (const { offset, embedding } of chunk.fixes) {
    const count = Math.min(chunk.tokens.length - offset - 1, embedding.vectors.length);
    for (let k = 0; k < count; k++) out.push({ position: offset + 1 + k, vector: embedding.vectors[k]! });
  }
  return out;
}

/** SD2's open_clip pads with 0 after the first EOS; SD1 pads with EOS itself (a no-op). */
function padAfterEos(tokens: readonly number[], eos: number, pad: number): number[] {
  if (eos === pad) return [...tokens];
  const first = tokens.indexOf(eos);
  return tokens.map((t, i) => (first >= 0 && i > first ? pad : t));
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
