/**
 * Merge ranks by (left, right) symbol pair, as Hugging Face's `dict(zip(merges, range(len(merges))))`
 * (a repeated merge keeps its last rank): open addressing over typed arrays. Building it is a few
 * stores per merge, with no 49k-entry Map of boxed keys to grow at start, and a lookup is two
 * integer compares in memory that stays in cache.
 */
export class PairRankTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly rank: Int32Array;
  private readonly mask: number;

  /** @param merges `[leftId, rightId, resultId]` per rank, in rank order. */
  constructor(merges: Int32Array) {
    const count = merges.length / 3;
    let capacity = 16;
    while (capacity < count * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.left = new Int32Array(capacity).fill(-1);
    this.right = new Int32Array(capacity);
    this.rank = new Int32Array(capacity);
    for (let r = 0; r < count; r++) {
      const a = merges[r * 3]!;
      const b = merges[r * 3 + 1]!;
      let slot = hash(a, b) & this.mask;
      while (this.left[slot] !== -1 && (this.left[slot] !== a || this.right[slot] !== b)) slot = (slot + 1) & this.mask;
      this.left[slot] = a;
      this.right[slot] = b;
      this.rank[slot] = r;
    }
  }

  /** The rank of merging `left` then `right`, or -1 when no merge joins them. */
  get(left: number, right: number): number {
    let slot = hash(left, right) & this.mask;
    for (;;) {
      const stored = this.left[slot]!;
      if (stored === -1) return -1;
      if (stored === left && this.right[slot] === right) return this.rank[slot]!;
      slot = (slot + 1) & this.mask;
    }
  }
}

function hash(left: number, right: number): number {
  return (Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x632be5ab, 0x85ebca77)) >>> 0;
}
