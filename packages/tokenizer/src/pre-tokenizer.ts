/**
 * CLIP's word splitter, Hugging Face's `self.pat`. It runs on cleaned text, where the only
 * whitespace left is a single ASCII space, so Python's `\s` becomes a literal space here (JS's
 * `\s` would also match U+FEFF, which Python's does not).
 */
export const CLIP_WORD_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^ \p{L}\p{N}]+/gu;

/** The words of cleaned text, in order. */
export function splitWords(cleaned: string): string[] {
  return cleaned.match(CLIP_WORD_PATTERN) ?? [];
}
