/**
 * Python's idea of whitespace, for code that must agree with Python string handling.
 *
 * Python's `str.isspace()` (and `\s` in a `str` regular expression, and `str.strip()` without
 * arguments) is true for characters whose bidirectional class is WS, B or S, or whose category is
 * Zs. That differs from JavaScript's `\s`: Python includes U+001C..U+001F and U+0085 (NEXT LINE),
 * JavaScript includes U+FEFF (the byte order mark) and Python does not.
 */

/** Python's whitespace as a regex character class body (all BMP, no `u` flag needed). */
const PYTHON_SPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const PYTHON_SPACE_RUNS = new RegExp(`[${PYTHON_SPACE_CLASS}]+`, 'g');

/** True when `str.isspace()` is true for the character with this code point. */
export function isPythonSpace(codePoint: number): boolean {
  if (codePoint <= 0x20) return codePoint === 0x20 || (codePoint >= 0x09 && codePoint <= 0x0d) || codePoint >= 0x1c;
  if (codePoint < 0x85) return false;
  return (
    codePoint === 0x85 ||
    codePoint === 0xa0 ||
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  );
}

/**
 * `re.sub(r"\s+", " ", text).strip()` with Python `str` semantics: the `whitespace_clean` step of
 * Hugging Face's CLIP tokenizer.
 */
export function pythonWhitespaceClean(text: string): string {
  if (isClean(text)) return text;
  const collapsed = text.replace(PYTHON_SPACE_RUNS, ' ');
  // Every run of whitespace is now one ' ', so stripping removes at most one character per end.
  const start = collapsed.charCodeAt(0) === 0x20 ? 1 : 0;
  const end = collapsed.length > start && collapsed.charCodeAt(collapsed.length - 1) === 0x20 ? collapsed.length - 1 : collapsed.length;
  return start === 0 && end === collapsed.length ? collapsed : collapsed.slice(start, end);
}

/** Leading or trailing space, two spaces in a row, or Python whitespace other than ' '. */
// eslint-disable-next-line no-control-regex -- U+001C..U+001F are Python whitespace
const NOT_CLEAN_RE = /^ | $| {2}|[\t-\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** True when the text has no leading or trailing whitespace and only single ' ' between words. */
function isClean(text: string): boolean {
  return !NOT_CLEAN_RE.test(text);
}
