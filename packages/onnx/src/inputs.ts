import { prepareInputs, type CLIPTextConfig } from '@sdtext/text-encoder';

/** Token ids: rows of numbers [B][S], or one row [S]. */
export type IdRows = readonly (readonly number[])[] | readonly number[];

/** Checked inputs, flat, as the graph takes them (int64). */
export interface CheckedInputs {
  batch: number;
  seqLen: number;
  ids: BigInt64Array; // [B * S]
  mask: BigInt64Array; // [B * S], all ones when no mask was given
  /** Per row: its length, ids and mask as text, the embedding cache's key. */
  rowKeys: string[];
}

/** The rows `rows` of checked inputs (for computing only what the cache lacks). */
export function selectRows(inputs: CheckedInputs, rows: readonly number[]): CheckedInputs {
  const S = inputs.seqLen;
  const pick = (a: BigInt64Array): BigInt64Array => {
    const out = new BigInt64Array(rows.length * S);
    rows.forEach((b, i) => out.set(a.subarray(b * S, (b + 1) * S), i * S));
    return out;
  };
  return { batch: rows.length, seqLen: S, ids: pick(inputs.ids), mask: pick(inputs.mask), rowKeys: rows.map((b) => inputs.rowKeys[b]!) };
}

/**
 * The tfjs engine's checks and messages (text-encoder's prepareInputs): ids are integers in
 * [0, vocab_size) (ONNX Runtime's Gather would fail with an opaque error, or read garbage), at
 * most max_position_embeddings per row; the mask matches the ids' shape and holds only 0 and 1.
 */
export function checkInputs(config: CLIPTextConfig, inputIds: IdRows, attentionMask?: IdRows | null): CheckedInputs {
  const prepared = prepareInputs(config, inputIds, attentionMask);
  const { batch, seqLen } = prepared;
  const ids = BigInt64Array.from(prepared.ids, (v) => BigInt(v));
  const mask = prepared.mask ? BigInt64Array.from(prepared.mask, (v) => BigInt(v)) : new BigInt64Array(batch * seqLen).fill(1n);
  const rowKeys = Array.from({ length: batch }, (_, b) => {
    const at = (a: BigInt64Array): BigInt64Array => a.subarray(b * seqLen, (b + 1) * seqLen);
    return `${seqLen}:${at(ids).join(',')}|${at(mask).join('')}`;
  });
  return { batch, seqLen, ids, mask, rowKeys };
}
