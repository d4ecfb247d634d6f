import type { EncodeOptions, PromptEncoder, Tensor, TokenInsertion } from './encoder.js';

/** One encoded row: its hidden state [seqLen, hidden] and pooled vector. */
export interface EncodedRow {
  hidden: Float32Array;
  hiddenSize: number;
  pooled?: Float32Array;
}

/**
 * Encoder outputs cached by token ids (and clip skip, final norm, inserted vectors). Weights are applied after the encoder in
 * every dialect, so an edit that only changes weights finds every row here and never runs the
 * encoder again; `encoderCalls` and `rowsEncoded` make that measurable.
 */
export class EncoderCache {
  encoderCalls = 0;
  rowsEncoded = 0;
  private readonly rows = new Map<string, EncodedRow>();
  /** Inserted vectors by identity: a key names each by number (the same array is the same vector). */
  private readonly vectorIds = new WeakMap<Float32Array, number>();
  private nextVectorId = 0;

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
    const inserted = (i: number): readonly TokenInsertion[] => options.insertions?.[i] ?? [];
    const keys = rows.map((r, i) => `${layer}|${r.join(',')}${masked(i) ? `|${masks![i]!.join('')}` : ''}${this.insertionKey(inserted(i))}`);
    const found = new Map<string, EncodedRow>();
    for (const k of keys) {
      const row = this.rows.get(k);
      if (row) found.set(k, row);
    }
    const missing = [...new Set(keys.filter((k) => !found.has(k)))];
    if (missing.length > 0) {
      const seqLen = rows[0]!.length;
      const ids = new Int32Array(missing.length * seqLen);
      const sources = missing.map((k) => keys.indexOf(k));
      sources.forEach((src, i) => ids.set(rows[src]!, i * seqLen));
      let attentionMask: Int32Array | undefined;
      if (sources.some(masked)) {
        attentionMask = new Int32Array(missing.length * seqLen).fill(1);
        sources.forEach((src, i) => masks?.[src] && attentionMask!.set(masks[src], i * seqLen));
      }
      this.encoderCalls++;
      this.rowsEncoded += missing.length;
      const layerOptions: EncodeOptions = finalNorm ? { clipSkip } : { clipSkip, finalNorm };
      if (sources.some((src) => inserted(src).length > 0)) layerOptions.insertions = sources.map(inserted);
      const out = await this.encoder.encode(ids, missing.length, seqLen, attentionMask ? { ...layerOptions, attentionMask } : layerOptions);
      const hiddenSize = out.lastHiddenState.dims[2]!;
      missing.forEach((k, i) => {
        const row = splitRow(out.lastHiddenState, out.pooled, i, seqLen, hiddenSize);
        found.set(k, row);
        this.remember(k, row);
      });
    }
    return keys.map((k) => found.get(k)!);
  }

  clear(): void {
    this.rows.clear();
  }

  private insertionKey(insertions: readonly TokenInsertion[]): string {
    if (insertions.length === 0) return '';
    const idOf = (v: Float32Array): number => {
      let id = this.vectorIds.get(v);
      if (id === undefined) this.vectorIds.set(v, (id = this.nextVectorId++));
      return id;
    };
    return `|e${insertions.map((x) => `${x.position}:${idOf(x.vector)}`).join(',')}`;
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
