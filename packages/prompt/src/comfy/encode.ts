import type { Tensor, TokenInsertion } from '../encoder.js';
import type { EncoderCache } from '../encoder-cache.js';
import type { TokenWeight } from './tokenize.js';

export interface ComfyEncodeOptions {
  /** ComfyUI's CLIPSetLastLayer as clip skip: layer_idx -2 is clipSkip 2. */
  clipSkip?: number;
  /** false: the "hidden" layer without final_layer_norm (layer_norm_hidden_state=False, SDXL); default true. */
  finalNorm?: boolean;
  /** The pad id of gen_empty_tokens: EOS for SD1, 0 for SD2/SDXL-G. */
  padTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
  /**
   * The encoder's width. With it, an embedding vector of another width is dropped as ComfyUI's
   * set_up_textual_embeddings drops it (a warning; the row closes up and is padded at its end,
   * weights staying with the positions). Without it such a vector is an error.
   */
  hiddenSize?: number;
  /** Where that warning goes. Default console.warn. */
  onWarning?: (message: string) => void;
}

export interface ComfyConditioning {
  /** [1, 77 * chunks, H] */
  embeds: Tensor;
  /** [1, P]: the first chunk's pooled output. */
  pooled?: Tensor;
}

/**
 * ComfyUI's `ClipTokenWeightEncoder.encode_token_weights`: the chunks are encoded in one batch
 * with an "empty" row ([BOS, EOS, pad…]) when any weight differs from 1; each weighted token is
 * then `(z - z_empty) * w + z_empty` (a lerp away from the empty prompt, not a plain scale).
 */
export async function encodeComfy(chunks: readonly TokenWeight[][], cache: EncoderCache, options: ComfyEncodeOptions): Promise<ComfyConditioning> {
  const { rows, insertions } = withEmbeddings(chunks, options);
  const hasWeights = chunks.some((c) => c.some(([, w]) => w !== 1.0));
  const length = Math.max(...rows.map((r) => r.length));
  if (hasWeights) {
    rows.push([options.bosTokenId, options.eosTokenId, ...new Array<number>(length - 2).fill(options.padTokenId)]);
    insertions.push([]);
  }
  const encoded = await cache.encodeRows(rows, {
    clipSkip: options.clipSkip ?? 1,
    finalNorm: options.finalNorm ?? true,
    ...(insertions.some((x) => x.length > 0) ? { insertions } : {}),
  });
  const H = encoded[0]!.hiddenSize;
  const empty = hasWeights ? encoded[encoded.length - 1]!.hidden : undefined;

  const embeds = new Float32Array(chunks.length * length * H);
  chunks.forEach((chunk, k) => {
    const z = encoded[k]!.hidden.slice();
    if (empty) {
      chunk.forEach(([, weight], j) => {
        if (weight === 1.0) return;
        // torch float32 arithmetic, step by step.
        const w = Math.fround(weight);
        for (let h = 0; h < H; h++) {
          const e = empty[j * H + h]!;
          z[j * H + h] = Math.fround(Math.fround(Math.fround(z[j * H + h]! - e) * w) + e);
        }
      });
    }
    embeds.set(z, k * length * H);
  });
  const first = encoded[0]!.pooled;
  return {
    embeds: { data: embeds, dims: [1, chunks.length * length, H] },
    ...(first ? { pooled: { data: first.slice(), dims: [1, first.length] } } : {}),
  };
}

/**
 * The ids ComfyUI's set_up_textual_embeddings gives the encoder, as ids and inserted vectors: an
 * embedding's vector takes a position of its own (its id here is 0: it only matters for pooling,
 * which the EOS decides in both), one of the wrong width is left out and the row padded at its end.
 */
function withEmbeddings(chunks: readonly TokenWeight[][], options: ComfyEncodeOptions): { rows: number[][]; insertions: TokenInsertion[][] } {
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const rows: number[][] = [];
  const insertions: TokenInsertion[][] = [];
  for (const chunk of chunks) {
    const row: number[] = [];
    const inserted: TokenInsertion[] = [];
    for (const [token] of chunk) {
      if (typeof token === 'number') {
        row.push(token);
      } else if (options.hiddenSize === undefined || token.vector.length === options.hiddenSize) {
        inserted.push({ position: row.length, vector: token.vector });
        row.push(0);
      } else {
        warn(`WARNING: shape mismatch when trying to apply embedding, embedding will be ignored ${token.vector.length} != ${options.hiddenSize}`);
      }
    }
    while (row.length < chunk.length) row.push(options.padTokenId);
    rows.push(row);
    insertions.push(inserted);
  }
  return { rows, insertions };
}
