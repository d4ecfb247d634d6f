import { PairRankTable } from './pair-rank-table.js';
import type { ByteSymbols } from './vocabulary.js';

/** Heap keys pack (rank, position): positions up to 2^26 (64 Mi bytes in one word). */
const POSITION_SHIFT = 0x4000000;

/** Where a merge table came from, for error messages. */
export interface MergeSource {
  readonly file: string;
  /** Line number in `file` of merge rank 0. */
  readonly firstLine: number;
}

/**
 * CLIP's byte-level BPE on symbol ids. A word's UTF-8 bytes start as byte symbols (the last one
 * carries `</w>`), then the adjacent pair with the lowest merge rank is joined until none is left:
 * Hugging Face's `CLIPTokenizer.bpe`, with a heap so a megabyte-long word costs O(n log n).
 */
export class BytePairEncoder {
  private readonly pairRank: PairRankTable;
  private readonly mergeResult: Int32Array;
  private readonly byteSymbol: Int32Array;
  private readonly wordEndSymbol: Int32Array;

  /**
   * @param merges `[leftId, rightId, resultId]` per rank, in rank order.
   * @param byteSymbols the ids of the 512 byte symbols.
   */
  constructor(merges: Int32Array, byteSymbols: ByteSymbols) {
    const count = merges.length / 3;
    this.pairRank = new PairRankTable(merges);
    this.mergeResult = new Int32Array(count);
    for (let rank = 0; rank < count; rank++) this.mergeResult[rank] = merges[rank * 3 + 2]!;
    this.byteSymbol = byteSymbols.plain;
    this.wordEndSymbol = byteSymbols.wordEnd;
  }

  /** Token ids for one pre-tokenized word, given as UTF-8 bytes. */
  encode(bytes: Uint8Array): number[] {
    const n = bytes.length;
    if (n === 0) return [];
    const symbol = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      symbol[i] = i === n - 1 ? this.wordEndSymbol[bytes[i]!]! : this.byteSymbol[bytes[i]!]!;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap(n);
    for (let i = 0; i + 1 < n; i++) this.pushPair(heap, symbol, i, i + 1);

    // Pop the lowest (rank, position): equal ranks come out left to right, which is exactly HF's
    // "merge every occurrence of the best bigram, scanning left to right".
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / POSITION_SHIFT);
      const left = key - rank * POSITION_SHIFT;
      const right = next[left]!;
      if (symbol[left]! < 0 || right < 0) continue; // merged away since it was queued
      if (this.pairRank.get(symbol[left]!, symbol[right]!) !== rank) continue; // stale
      symbol[left] = this.mergeResult[rank]!;
      symbol[right] = -1;
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      if (prev[left]! >= 0) this.pushPair(heap, symbol, prev[left]!, left);
      if (after >= 0) this.pushPair(heap, symbol, left, after);
    }
    const ids: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) ids.push(symbol[i]!);
    return ids;
  }

  /** The merge rank of the adjacent pair (left, right), or undefined when CLIP never merges it. */
  rankOf(left: number, right: number): number | undefined {
    const rank = this.pairRank.get(left, right);
    return rank < 0 ? undefined : rank;
  }

  /** The symbol merge `rank` makes. */
  resultOf(rank: number): number {
    return this.mergeResult[rank]!;
  }

  /** The starting symbols of a word's bytes: one per byte, the last with `</w>`. */
  byteSymbols(bytes: Uint8Array): number[] {
    return Array.from(bytes, (b, i) => (i === bytes.length - 1 ? this.wordEndSymbol[b]! : this.byteSymbol[b]!));
  }

  private pushPair(heap: MinHeap, symbol: Int32Array, left: number, right: number): void {
    const rank = this.pairRank.get(symbol[left]!, symbol[right]!);
    if (rank >= 0) heap.push(rank * POSITION_SHIFT + left);
  }
}

/** A binary min-heap of doubles. */
class MinHeap {
  private items: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.items = new Float64Array(Math.max(4, capacity));
  }

  push(value: number): void {
    if (this.size === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    const items = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items[--this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && items[child + 1]! < items[child]!) child++;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
