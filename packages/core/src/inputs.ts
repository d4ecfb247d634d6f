import type { IntTensor } from './tensor.js';

/** Token ids as rows of numbers [B][S], or one row [S]. */
export type IdRows = readonly (readonly number[])[] | readonly number[];

/**
 * Token ids: rows of numbers, one row, or a [B, S] tensor of plain data. Engines gather embedding
 * rows by id (tfjs returns zeros for an id out of range, ONNX Runtime fails opaquely), so every id
 * is checked here first, with its position in the message.
 */
export type TokenIds = IdRows | IntTensor;
/** 1 = attend, 0 = padding; [B, S] like the ids. */
export type AttentionMask = IdRows | IntTensor;

export class InputError extends Error {
  override name = 'InputError';
}

/** torch.finfo(torch.float32).min: HF's "minus infinity" for additive masks. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * What input checks need from a model's config: the vocabulary size, and for a model with learned
 * absolute positions (CLIP) the longest sequence. Every family's config has these fields.
 */
export interface TokenLimits {
  readonly vocab_size: number;
  /** Absent for models without a position table (T5's relative positions). */
  readonly max_position_embeddings?: number;
}

export interface PreparedInputs {
  batch: number;
  seqLen: number;
  ids: Int32Array; // [B * S]
  mask: Int32Array | null; // [B * S]
}

function isIntTensor(value: unknown): value is IntTensor {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'data' in value && 'dims' in value;
}

function toFlat(value: TokenIds, what: string): { shape: [number, number]; data: ArrayLike<number> } {
  if (isIntTensor(value)) {
    const { data, dims } = value;
    if (dims.length !== 2) throw new InputError(`${what} must have shape [B, S], got [${dims.join(', ')}]`);
    if (data.length !== dims[0]! * dims[1]!) throw new InputError(`${what} has ${data.length} values for shape [${dims.join(', ')}]`);
    return { shape: [dims[0]!, dims[1]!], data };
  }
  if (!Array.isArray(value)) throw new InputError(`${what} must be an array of rows of numbers or a {data, dims} tensor`);
  const rows = (value.length > 0 && !Array.isArray(value[0]) ? [value] : value) as readonly unknown[];
  const seqLen = Array.isArray(rows[0]) ? rows[0].length : 0;
  const data = new Float64Array(rows.length * seqLen);
  rows.forEach((row, b) => {
    if (!Array.isArray(row)) throw new InputError(`${what}[${b}] is not an array`);
    if (row.length !== seqLen) throw new InputError(`${what} rows differ in length: row ${b} has ${row.length}, row 0 has ${seqLen}`);
    row.forEach((v: unknown, s) => {
      if (typeof v !== 'number') throw new InputError(`${what}[${b}][${s}] is not a number: ${JSON.stringify(v)}`);
      data[b * seqLen + s] = v;
    });
  });
  return { shape: [rows.length, seqLen], data };
}

/** Checks ids (and mask) against the config; returns them flat, ready for the model. */
export function prepareInputs(config: TokenLimits, inputIds: TokenIds, attentionMask?: AttentionMask | null): PreparedInputs {
  const { shape, data } = toFlat(inputIds, 'inputIds');
  const [batch, seqLen] = shape;
  if (batch < 1 || seqLen < 1) throw new InputError(`inputIds must not be empty, got shape [${batch}, ${seqLen}]`);
  if (config.max_position_embeddings !== undefined && seqLen > config.max_position_embeddings) {
    throw new InputError(
      `sequence length ${seqLen} exceeds max_position_embeddings (${config.max_position_embeddings}): truncate the ids`,
    );
  }
  const ids = new Int32Array(batch * seqLen);
  for (let i = 0; i < ids.length; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= config.vocab_size) {
      const where = `inputIds[${Math.floor(i / seqLen)}][${i % seqLen}]`;
      throw new InputError(
        Number.isInteger(v)
          ? `${where} = ${v} is out of range: ids must be in [0, ${config.vocab_size}) (vocab_size)`
          : `${where} = ${v} is not an integer id`,
      );
    }
    ids[i] = v;
  }

  let mask: Int32Array | null = null;
  if (attentionMask !== undefined && attentionMask !== null) {
    const m = toFlat(attentionMask, 'attentionMask');
    if (m.shape[0] !== batch || m.shape[1] !== seqLen) {
      throw new InputError(`attentionMask has shape [${m.shape.join(', ')}], but inputIds has [${batch}, ${seqLen}]`);
    }
    mask = new Int32Array(batch * seqLen);
    for (let i = 0; i < mask.length; i++) {
      const v = m.data[i]!;
      if (v !== 0 && v !== 1) {
        throw new InputError(`attentionMask[${Math.floor(i / seqLen)}][${i % seqLen}] = ${v}: must be 0 or 1`);
      }
      mask[i] = v;
    }
  }
  return { batch, seqLen, ids, mask };
}

/** Checked inputs, flat, with a cache key per row: what engines behind TextEncoderEngine take. */
export interface CheckedInputs {
  batch: number;
  seqLen: number;
  ids: Int32Array; // [B * S]
  /** [B * S], all ones when no mask was given. */
  mask: Int32Array;
  /** Whether the caller gave a mask (the tfjs engine then builds the padding part of the mask). */
  hasMask: boolean;
  /** Per row: its length, ids and mask as text, the embedding cache's key. */
  rowKeys: string[];
}

/** prepareInputs plus the per-row cache keys (one check and one set of messages for every engine). */
export function checkInputs(config: TokenLimits, inputIds: TokenIds, attentionMask?: AttentionMask | null): CheckedInputs {
  const { batch, seqLen, ids, mask } = prepareInputs(config, inputIds, attentionMask);
  const fullMask = mask ?? new Int32Array(batch * seqLen).fill(1);
  const rowKeys = Array.from({ length: batch }, (_, b) => {
    const at = (a: Int32Array): Int32Array => a.subarray(b * seqLen, (b + 1) * seqLen);
    return `${seqLen}:${at(ids).join(',')}|${at(fullMask).join('')}`;
  });
  return { batch, seqLen, ids, mask: fullMask, hasMask: mask !== null, rowKeys };
}

/** The rows `rows` of checked inputs (for computing only what the cache lacks). */
export function selectRows(inputs: CheckedInputs, rows: readonly number[]): CheckedInputs {
  const S = inputs.seqLen;
  const pick = (a: Int32Array): Int32Array => {
    const out = new Int32Array(rows.length * S);
    rows.forEach((b, i) => out.set(a.subarray(b * S, (b + 1) * S), i * S));
    return out;
  };
  return {
    batch: rows.length,
    seqLen: S,
    ids: pick(inputs.ids),
    mask: pick(inputs.mask),
    hasMask: inputs.hasMask,
    rowKeys: rows.map((b) => inputs.rowKeys[b]!),
  };
}
