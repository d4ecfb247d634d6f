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
