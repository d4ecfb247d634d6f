/**
 * Rust's `char::is_whitespace` and the regex crate's `\s`: the White_Space property (stable since
 * Unicode 6.1, all in the BMP).
 */
export function isWhiteSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** The regex crate's Unicode `\w`: Alphabetic, marks, decimal numbers, connector punctuation, joiners. */
const WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;

export function isWordChar(char: string): boolean {
  return WORD.test(char);
}

/** Index after the leading White_Space of `text` (0 when none). */
export function leadingWhiteSpaceEnd(text: string, from = 0): number {
  let i = from;
  while (i < text.length && isWhiteSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index where the trailing White_Space of `text[0..to)` starts (`to` when none). */
export function trailingWhiteSpaceStart(text: string, to = text.length): number {
  let i = to;
  while (i > 0 && isWhiteSpace(text.charCodeAt(i - 1))) i--;
  return i;
}
