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

export function isPythonSpaceChar(ch: string): boolean {
  return new RegExp(`^[${PY_SPACE}]$`, 'u').test(ch);
}
