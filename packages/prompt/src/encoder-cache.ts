import type { EncodeOptions, PromptEncoder, Tensor } from './encoder.js';

/** One encoded row: its hidden state [seqLen, hidden] and pooled vector. */
export interface EncodedRow {
  hidden: Float32Array;
  hiddenSize: number;
  pooled?: Float32Array;
}

/**
 * Encoder outputs cached by token ids (and clip skip, final norm). Weights are applied after the encoder in
 * every dialect, so an edit that only changes weights finds every row here and never runs the
 * encoder again; `encoderCalls` and `rowsEncoded` make that measurable.
 */
export class EncoderCache {
  encoderCalls = 0;
  rowsEncoded = 0;
  private readonly rows = new Map<string, EncodedRow>();

  constructor(
    readonly encoder: PromptEncoder,
    private readonly maxRows = 4096,
  ) {}

  /**
   * Encodes rows of equal length, calling the encoder once for all rows not cached yet. `masks`
   * (one 0/1 row per row, optional) becomes the encoder's attention mask; an all-ones row is no mask.
   */
  async encodeRows(rows: readonly (readonly number[])[], options: EncodeOptions = {}, masks?: readonly (readonly number[])[]): Promise<EncodedRow[]> {
    const clipSkip = options.clipSkip ?? 1;
    const finalNorm = options.finalNorm ?? true;
    const layer = finalNorm ? `${clipSkip}` : `${clipSkip}raw`;
    const masked = (i: number): boolean => masks?.[i]?.includes(0) ?? false;
    const keys = rows.map((r, i) => `${layer}|${r.join(',')}${masked(i) ? `|${masks![i]!.join('')}` : ''}`);
    const missing = [...new Set(keys.filter((k) => !this.rows.has(k)))];
    if (missing.length > 0) {
      const seqLen = rows[0]!.length;
      const ids = new Int32Array(missing.length * seqLen);
      missing.forEach((k, i) => ids.set(rows[keys.indexOf(k)]!, i * seqLen));
      const sources = missing.map((k) => keys.indexOf(k));
      let attentionMask: Int32Array | undefined;
      if (sources.some(masked)) {
        attentionMask = new Int32Array(missing.length * seqLen).fill(1);
        sources.forEach((src, i) => masks?.[src] && attentionMask!.set(masks[src], i * seqLen));
      }
      this.encoderCalls++;
      this.rowsEncoded += missing.length;
      const layerOptions: EncodeOptions = finalNorm ? { clipSkip } : { clipSkip, finalNorm };
      const out = await this.encoder.encode(ids, missing.length, seqLen, attentionMask ? { ...layerOptions, attentionMask } : layerOptions);
      const hiddenSize = out.lastHiddenState.dims[2]!;
      missing.forEach((k, i) => this.remember(k, splitRow(out.lastHiddenState, out.pooled, i, seqLen, hiddenSize)));
    }
    return keys.map((k) => this.rows.get(k)!);
  }

  clear(): void {
    this.rows.clear();
  }

  private remember(key: string, row: EncodedRow): void {
    // Oldest first out: Map iteration order is insertion order.
    if (this.rows.size >= this.maxRows) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(key, row);
  }
}

function splitRow(hidden: Tensor, pooled: Tensor | undefined, i: number, seqLen: number, hiddenSize: number): EncodedRow {
  const size = seqLen * hiddenSize;
  const row: EncodedRow = { hidden: hidden.data.slice(i * size, (i + 1) * size), hiddenSize };
  if (pooled) {
    const p = pooled.dims[1]!;
    row.pooled = pooled.data.slice(i * p, (i + 1) * p);
  }
  return row;
}
