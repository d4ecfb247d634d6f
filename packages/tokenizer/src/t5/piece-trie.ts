/**
 * A trie of pieces over their UTF-8 bytes, for the Viterbi search: from a position, every piece
 * that is a prefix of the text there, shortest first (the order of both darts-clone's and the
 * Rust `tokenizers` trie's common prefix search). Lookups cost one map probe per byte, so a
 * search costs at most the longest piece's length.
 */
export class PieceTrie {
  /** (node * 256 + byte) -> child node; node 0 is the root. */
  private readonly children = new Map<number, number>();
  /** The root's children by byte (-1 for none): every search starts there. */
  private readonly rootChildren = new Int32Array(256).fill(-1);
  /** node -> piece id ending there, or -1. */
  private ids: Int32Array = new Int32Array(64).fill(-1);
  private nodeCount = 1;

  /** Adds a piece; a piece added again keeps the last id (as a map insert would). */
  add(bytes: Uint8Array, id: number): void {
    let node = 0;
    for (const byte of bytes) {
      const key = node * 256 + byte;
      let child = this.children.get(key);
      if (child === undefined) {
        child = this.nodeCount++;
        this.children.set(key, child);
        if (node === 0) this.rootChildren[byte] = child;
        if (child >= this.ids.length) {
          const grown = new Int32Array(this.ids.length * 2).fill(-1);
          grown.set(this.ids);
          this.ids = grown;
        }
      }
      node = child;
    }
    this.ids[node] = id;
  }

  /** The child of `node` along `byte`, or -1 (node 0 is the root). */
  child(node: number, byte: number): number {
    if (node === 0) return this.rootChildren[byte]!;
    return this.children.get(node * 256 + byte) ?? -1;
  }

  /** The id of the piece ending at `node`, or -1. */
  idAt(node: number): number {
    return this.ids[node]!;
  }

  /** Calls `found(length, id)` for each piece that starts `bytes[start..end)`, shortest first. */
  prefixMatches(bytes: Uint8Array, start: number, end: number, found: (length: number, id: number) => void): void {
    let node = 0;
    for (let i = start; i < end; i++) {
      node = this.child(node, bytes[i]!);
      if (node < 0) return;
      const id = this.ids[node]!;
      if (id >= 0) found(i + 1 - start, id);
    }
  }
}
