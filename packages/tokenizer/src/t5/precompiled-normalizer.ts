import type { PrecompiledCharsmap } from './charsmap.js';
import { forEachGrapheme } from './graphemes.js';
import { textOfUtf8, utf8Bytes } from './utf8.js';

/** Graphemes are cached by their text; the cache is dropped when it grows past this many entries. */
const CACHE_LIMIT = 50_000;

/**
 * The `Precompiled` normalizer of the Rust `tokenizers` (spm_precompiled 0.1.4), which applies
 * SentencePiece's charsmap differently from SentencePiece itself: the text is cut into extended
 * grapheme clusters; a cluster shorter than 6 UTF-8 bytes is looked up whole and, if any rule
 * matches a prefix of it, replaced by the SHORTEST matching rule's output (the rest of the
 * cluster is dropped: "Ａ\u0301" becomes "A"); otherwise each character is looked up alone.
 * SentencePiece instead takes the longest rule at each position of the whole text.
 */
export class PrecompiledNormalizer {
  private readonly cache = new Map<string, string>();

  constructor(private readonly charsmap: PrecompiledCharsmap) {}

  normalize(text: string): string {
    const parts: string[] = [];
    forEachGrapheme(text, (start, end) => parts.push(this.normalizeGrapheme(text.slice(start, end))));
    return parts.join('');
  }

  /**
   * For each UTF-16 unit of `normalize(text)`, the index in `text` of the character Rust aligns
   * it with, or -1 for "the start" (an insertion before anything). Rust records a grapheme's
   * output as characters that replace the input's one for one, with extra ones inserted after
   * them and missing ones removed with the last character written so far; a grapheme dropped
   * before anything was written is not recorded at all, so what follows it aligns too early.
   * Metaspace's "first" scheme reads where the text's first character came from.
   */
  alignments(text: string): Int32Array {
    // (output character, change) as spm_precompiled's caller builds them, with input char starts.
    const chars: string[] = [];
    const changes: number[] = [];
    forEachGrapheme(text, (start, end) => {
      const grapheme = text.slice(start, end);
      const bytes = utf8Bytes(grapheme);
      const whole = bytes.length < 6 ? this.transform(bytes) : null;
      const record = (oldPart: string, newPart: string) => {
        const out = [...newPart];
        const diff = out.length - [...oldPart].length;
        for (const c of out) {
          chars.push(c);
          changes.push(0);
        }
        if (diff > 0) for (let i = changes.length - diff; i < changes.length; i++) changes[i] = 1;
        else if (diff < 0 && changes.length > 0) changes[changes.length - 1]! += diff;
      };
      if (whole !== null) {
        record(grapheme, whole);
        return;
      }
      for (const char of grapheme) {
        const norm = this.transform(utf8Bytes(char));
        if (norm === null) {
          chars.push(char);
          changes.push(0);
        } else {
          record(char, norm);
        }
      }
    });
    const inputStarts: number[] = [];
    for (let i = 0; i < text.length; i += text.codePointAt(i)! > 0xffff ? 2 : 1) inputStarts.push(i);
    const out: number[] = [];
    let offset = 0;
    chars.forEach((c, i) => {
      const change = changes[i]!;
      const source = change > 0 ? (offset < 1 ? -1 : inputStarts[offset - 1]!) : (inputStarts[offset] ?? inputStarts[inputStarts.length - 1]!);
      for (let u = 0; u < c.length; u++) out.push(source);
      if (change <= 0) offset += 1 - change;
    });
    return Int32Array.from(out);
  }

  private normalizeGrapheme(grapheme: string): string {
    const cached = this.cache.get(grapheme);
    if (cached !== undefined) return cached;
    const bytes = utf8Bytes(grapheme);
    let normalized = bytes.length < 6 ? this.transform(bytes) : null;
    if (normalized === null) {
      normalized = '';
      for (const char of grapheme) normalized += this.transform(utf8Bytes(char)) ?? char;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(grapheme, normalized);
    return normalized;
  }

  /** spm_precompiled's `transform`: the output of the shortest rule matching a prefix, or null. */
  private transform(bytes: Uint8Array): string | null {
    let offset = -1;
    this.charsmap.prefixMatches(bytes, 0, bytes.length, true, (_length, at) => {
      if (offset < 0) offset = at;
    });
    return offset < 0 ? null : textOfUtf8(this.charsmap.replacementAt(offset));
  }
}
