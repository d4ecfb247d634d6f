import { DROPPED, LETTERS, LITERAL_VARIANTS, NUMBERS, SPACES } from './word-classes.generated.js';

/**
 * CLIP's word splitter, Hugging Face's `self.pat`:
 * `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
 * compiled by Python's `regex` with IGNORECASE. Its classes are not JavaScript's `\p{..}`: they
 * come from `regex`'s own Unicode version and its case variants (U+0345 is in none, `'ſ` is a
 * contraction), so they are spelled out from the generated table.
 */
const LITERAL_WORDS = ['<|startoftext|>', '<|endoftext|>', "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

/** The pattern restricted to code points up to `limit`: exact on text that has no others. */
function wordPattern(limit: number): RegExp {
  const set = (ranges: string) => classBody(ranges, limit);
  const literals = LITERAL_WORDS.map((word) => [...word].map((ch) => literalChar(ch, limit)).join(''));
  const letters = set(LETTERS);
  const numbers = set(NUMBERS);
  const other = `[^${set(SPACES)}${letters}${numbers}${set(DROPPED)}]+`;
  // Without astral code points the `u` flag is not needed (and the text has no surrogates).
  return new RegExp(`${literals.join('|')}|[${letters}]+|[${numbers}]|${other}`, limit > 0xffff ? 'gu' : 'g');
}

/** Hex ranges ('41-5a 61') as a class body (`\u0041-\u005a\u0061`), cut at `limit`. */
function classBody(ranges: string, limit: number): string {
  let body = '';
  for (const run of ranges.split(' ')) {
    const [first, last = first] = run.split('-').map((hex) => parseInt(hex, 16)) as [number, number?];
    if (first > limit) break;
    body += first === last ? escape(first) : `${escape(first)}-${escape(Math.min(last, limit))}`;
  }
  return body;
}

function escape(codePoint: number): string {
  const hex = codePoint.toString(16);
  return codePoint > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

/**
 * A character of a literal word and its case variants. The text is lowercased by then, so upper-case
 * variants ('S') are left out: they cost V8 time and never match; 'ſ' stays.
 */
function literalChar(ch: string, limit: number): string {
  const variants = [...(LITERAL_VARIANTS[ch] ?? ch)].filter((v) => v.codePointAt(0)! <= limit && v === v.toLowerCase());
  // Only `|` needs escaping among the literal words' characters; none of them sits in a class.
  const escaped = variants.map((v) => v.replace(/[|\\^$.*+?()[\]{}]/g, '\\$&'));
  return escaped.length === 1 ? escaped[0]! : `[${escaped.join('')}]`;
}

// Smaller patterns for text without astral characters or without any non-ASCII: V8 runs the full
// one's alternation of two large astral classes about 4x slower, and most prompts need neither.
// The two large ones are built on first use: building them costs tens of milliseconds, which an
// ASCII prompt (the tokenizer's cold start) should not pay.
const ASCII_WORD_PATTERN = wordPattern(0x7f);
let bmpWordPattern: RegExp | undefined;
let fullWordPattern: RegExp | undefined;

/** The whole pattern, every code point (built on first call). */
export function clipWordPattern(): RegExp {
  return (fullWordPattern ??= wordPattern(0x10ffff));
}
// eslint-disable-next-line no-control-regex -- the whole ASCII range
const NON_ASCII = /[^\x00-\x7f]/;
const SURROGATE = /[\ud800-\udfff]/;

/** The words of cleaned text, in order. */
export function splitWords(cleaned: string): string[] {
  const pattern = !NON_ASCII.test(cleaned)
    ? ASCII_WORD_PATTERN
    : SURROGATE.test(cleaned)
      ? clipWordPattern()
      : (bmpWordPattern ??= wordPattern(0xffff));
  return cleaned.match(pattern) ?? [];
}
