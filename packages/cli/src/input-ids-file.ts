import { InputError } from './command.js';
import { describeJson, readJsonFile } from './read-input.js';

export interface IdsInput {
  inputIds: number[][];
  attentionMask: number[][] | null;
}

function readMatrix(value: unknown, file: string, key: string, check: (v: number) => boolean, what: string): number[][] {
  if (!Array.isArray(value) || value.length === 0) throw new InputError(`${file}: "${key}" must be a non-empty array of rows`);
  const rows = value as unknown[];
  const width = Array.isArray(rows[0]) ? rows[0].length : -1;
  return rows.map((row, r) => {
    if (!Array.isArray(row)) throw new InputError(`${file}: ${key}[${r}] is ${describeJson(row)}, expected an array`);
    if (row.length !== width) throw new InputError(`${file}: ${key}[${r}] has ${row.length} entries, row 0 has ${width}`);
    return row.map((v: unknown, c) => {
      if (typeof v !== 'number' || !check(v)) throw new InputError(`${file}: ${key}[${r}][${c}] is ${JSON.stringify(v)}, expected ${what}`);
      return v;
    });
  });
}

/** `--input-ids FILE`: `{"input_ids": [[...]], "attention_mask": [[...]]}`, the mask optional. */
export async function readIdsFile(path: string, cwd: string): Promise<IdsInput> {
  const value = await readJsonFile(path, cwd);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${path}: expected an object {"input_ids": [[...]], "attention_mask": [[...]]}, found ${describeJson(value)}`);
  }
  const record = value as Record<string, unknown>;
  const inputIds = readMatrix(record.input_ids, path, 'input_ids', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  let attentionMask: number[][] | null = null;
  if (record.attention_mask !== undefined && record.attention_mask !== null) {
    attentionMask = readMatrix(record.attention_mask, path, 'attention_mask', (v) => v === 0 || v === 1, '0 or 1');
    if (attentionMask.length !== inputIds.length || attentionMask[0]!.length !== inputIds[0]!.length) {
      throw new InputError(
        `${path}: attention_mask is [${attentionMask.length}, ${attentionMask[0]!.length}], input_ids is [${inputIds.length}, ${inputIds[0]!.length}]`,
      );
    }
  }
  return { inputIds, attentionMask };
}
