import { InputError, type CLIPTextConfig } from '@sdtext/text-encoder';

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

function rowsOf(value: IdRows, what: string): { rows: readonly (readonly number[])[]; seqLen: number } {
  if (!Array.isArray(value)) throw new InputError(`${what} must be an array of rows of numbers`);
  const rows = (value.length > 0 && !Array.isArray(value[0]) ? [value] : value) as readonly unknown[];
  const seqLen = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : 0;
  rows.forEach((row, b) => {
    if (!Array.isArray(row)) throw new InputError(`${what}[${b}] is not an array`);
    if (row.length !== seqLen) throw new InputError(`${what} rows differ in length: row ${b} has ${row.length}, row 0 has ${seqLen}`);
  });
  return { rows: rows as readonly (readonly number[])[], seqLen };
}

/**
 * The tfjs engine's checks, with its messages: ids are integers in [0, vocab_size) (ONNX
 * Runtime's Gather would fail with an opaque error, or read garbage), at most
 * max_position_embeddings per row; the mask matches the ids' shape and holds only 0 and 1.
 */
export function checkInputs(config: CLIPTextConfig, inputIds: IdRows, attentionMask?: IdRows | null): CheckedInputs {
  const { rows, seqLen } = rowsOf(inputIds, 'inputIds');
  const batch = rows.length;
  if (batch < 1 || seqLen < 1) throw new InputError(`inputIds must not be empty, got shape [${batch}, ${seqLen}]`);
  if (seqLen > config.max_position_embeddings) {
    throw new InputError(`sequence length ${seqLen} exceeds max_position_embeddings (${config.max_position_embeddings}): truncate the ids`);
  }
  const ids = new BigInt64Array(batch * seqLen);
  rows.forEach((row, b) =>
    row.forEach((v, s) => {
      const where = `inputIds[${b}][${s}]`;
      if (typeof v !== 'number') throw new InputError(`${where} is not a number: ${JSON.stringify(v)}`);
      if (!Number.isInteger(v)) throw new InputError(`${where} = ${v} is not an integer id`);
      if (v < 0 || v >= config.vocab_size) {
        throw new InputError(`${where} = ${v} is out of range: ids must be in [0, ${config.vocab_size}) (vocab_size)`);
      }
      ids[b * seqLen + s] = BigInt(v);
    }),
  );
  const mask = new BigInt64Array(batch * seqLen).fill(1n);
  if (attentionMask !== undefined && attentionMask !== null) {
    const m = rowsOf(attentionMask, 'attentionMask');
    if (m.rows.length !== batch || m.seqLen !== seqLen) {
      throw new InputError(`attentionMask has shape [${m.rows.length}, ${m.seqLen}], but inputIds has [${batch}, ${seqLen}]`);
    }
    m.rows.forEach((row, b) =>
      row.forEach((v, s) => {
        if (v !== 0 && v !== 1) throw new InputError(`attentionMask[${b}][${s}] = ${v}: must be 0 or 1`);
        mask[b * seqLen + s] = BigInt(v);
      }),
    );
  }
  const rowKeys = Array.from({ length: batch }, (_, b) => {
    const at = (a: BigInt64Array): BigInt64Array => a.subarray(b * seqLen, (b + 1) * seqLen);
    return `${seqLen}:${at(ids).join(',')}|${at(mask).join('')}`;
  });
  return { batch, seqLen, ids, mask, rowKeys };
}
