// Character classes of Python's `re` on str patterns, which are Unicode-aware where JS's are not:
// Python's \s also covers U+001C-U+001F and U+0085 (and not U+FEFF), and its \w / \b use Unicode
// letters and digits. The original parsers' regexes are rebuilt from these so that a prompt with
// "éBREAK" or a U+0085 splits exactly as it does in Python.

/** Python's \s for str patterns (str.isspace()), as a class body. */
export const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Python's \w for str patterns: str.isalnum() characters and the underscore. */
export const PY_WORD = '\\p{L}\\p{N}_';

/** Python's \b, as lookarounds on PY_WORD (use with the `u` flag). */
export const PY_BOUNDARY_BEFORE = `(?<![${PY_WORD}])`;
export const PY_BOUNDARY_AFTER = `(?![${PY_WORD}])`;

const SPACE_CHAR = new RegExp(`^[${PY_SPACE}]$`, 'u');
const WORD_CHAR = new RegExp(`^[${PY_WORD}]$`, 'u');

export function isPythonSpaceChar(ch: string): boolean {
  return SPACE_CHAR.test(ch);
}

/** Python's \s on one code unit or code point (every Python space is in the BMP). */
export function isPythonSpaceCode(code: number): boolean {
  if (code <= 0x20) return code >= 0x1c || (code >= 0x09 && code <= 0x0d);
  return code >= 0x85 && code <= 0xffff && SPACE_CHAR.test(String.fromCharCode(code));
}

/** Python's \w on the code point that ends just before `index` (none at 0: not a word character). */
export function isPythonWordBefore(text: string, index: number): boolean {
  if (index <= 0) return false;
  let start = index - 1;
  const low = text.charCodeAt(start);
  if (low >= 0xdc00 && low <= 0xdfff && start > 0) {
    const high = text.charCodeAt(start - 1);
    if (high >= 0xd800 && high <= 0xdbff) start--;
  }
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(start)!));
}

/** Python's \w on the code point that starts at `index` (none at the end: not a word character). */
export function isPythonWordAt(text: string, index: number): boolean {
  if (index >= text.length) return false;
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(index)!));
}
