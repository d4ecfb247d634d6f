/**
 * SentencePiece's precompiled_charsmap: the normalization rules compiled into a darts-clone
 * double-array trie over UTF-8 bytes, whose values point into a blob of NUL-terminated
 * replacement strings. Layout: [u32 trie size in bytes][trie units, u32 each][replacements].
 */
export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly replacements: Uint8Array;

  constructor(blob: Uint8Array, where: string) {
    if (blob.length <= 4) throw new Error(`${where}: the precompiled charsmap is broken (${blob.length} bytes)`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieSize = view.getUint32(0, true);
    // SentencePiece refuses trie_blob_size >= blob.size(); units are whole u32s.
    if (trieSize >= blob.length || trieSize % 4 !== 0 || trieSize === 0) {
      throw new Error(`${where}: the precompiled charsmap is broken (trie of ${trieSize} bytes in a blob of ${blob.length})`);
    }
    if (4 + trieSize > blob.length) throw new Error(`${where}: the precompiled charsmap's trie runs past its end`);
    this.units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + i * 4, true);
    this.replacements = blob.subarray(4 + trieSize);
  }

  /**
   * The matches of the trie at `bytes[start..end)`, shortest first, as (length, replacement
   * offset) pairs passed to `found`. darts-clone's commonPrefixSearch with a length (as
   * SentencePiece calls it) reads NUL bytes like any other; spm_precompiled (Rust) stops at one,
   * which `stopAtNul` selects.
   */
  prefixMatches(bytes: Uint8Array, start: number, end: number, stopAtNul: boolean, found: (length: number, offset: number) => void): void {
    const units = this.units;
    let nodePos = offsetOf(units[0]!);
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c === 0 && stopAtNul) return;
      nodePos ^= c;
      const unit = units[nodePos];
      // label(): the byte, with bit 31 set on leaf units so they never match a byte.
      if (unit === undefined || (unit & 0x800000ff) !== c) return;
      nodePos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        const leaf = units[nodePos];
        if (leaf === undefined) return;
        found(i + 1 - start, leaf & 0x7fffffff);
      }
    }
  }

  /** The replacement string at `offset`: bytes up to the next NUL (or the end of the blob). */
  replacementAt(offset: number): Uint8Array {
    const blob = this.replacements;
    let stop = offset;
    while (stop < blob.length && blob[stop] !== 0) stop++;
    return blob.subarray(Math.min(offset, blob.length), stop);
  }
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
