import type { Tensor } from '../encoder.js';
import type { EncoderCache } from '../encoder-cache.js';
import type { TokenWeight } from './tokenize.js';

export interface ComfyT5EncodeOptions {
  /** gen_empty_tokens with T5's special tokens `{"end": 1, "pad": 0}`: the empty row is `[</s>, <pad>…]`. */
  eosTokenId: number;
  padTokenId: number;
}

/**
 * ComfyUI's `ClipTokenWeightEncoder.encode_token_weights` for its T5XXLModel (SDClipModel with
 * layer "last", no start token, no attention mask): the rows and, when a weight differs from 1,
 * an empty row `[</s>, <pad>…]` of the same length in one batch; each weighted token becomes
 * `(z - z_empty) * w + z_empty`. T5 attends in both directions, so the empty row's every position
 * carries the whole (empty) prompt. Returns [1, S, d_model].
 */
export async function encodeComfyT5(rows: readonly TokenWeight[][], cache: EncoderCache, options: ComfyT5EncodeOptions): Promise<Tensor> {
  const ids = rows.map((row) =>
    row.map(([token]) => {
      if (typeof token !== 'number') throw new Error('ComfyUI T5 prompts take no embedding vectors here');
      return token;
    }),
  );
  const hasWeights = rows.some((row) => row.some(([, w]) => w !== 1.0));
  const length = Math.max(...ids.map((r) => r.length));
  if (hasWeights) ids.push([options.eosTokenId, ...new Array<number>(length - 1).fill(options.padTokenId)]);
  const encoded = await cache.encodeRows(ids, { clipSkip: 1 });
  const H = encoded[0]!.hiddenSize;
  const empty = hasWeights ? encoded[encoded.length - 1]!.hidden : undefined;
  const data = new Float32Array(rows.length * length * H);
  rows.forEach((row, k) => {
    const z = encoded[k]!.hidden.slice();
    if (empty) {
      row.forEach(([, weight], j) => {
        if (weight === 1.0) return;
        // torch float32 arithmetic, step by step.
        const w = Math.fround(weight);
        for (let h = 0; h < H; h++) {
          const e = empty[j * H + h]!;
          z[j * H + h] = Math.fround(Math.fround(Math.fround(z[j * H + h]! - e) * w) + e);
        }
      });
    }
    data.set(z, k * length * H);
  });
  return { data, dims: [1, rows.length * length, H] };
}
