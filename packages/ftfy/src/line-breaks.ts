const LINE_BREAK_RE = /\r\n?|[\u2028\u2029\u0085]/g;

/**
 * Convert every line break to `\n`: CRLF, CR, U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR and
 * U+0085 NEXT LINE.
 *
 *     fixLineBreaks('a\r\nb\rc\u2028d') === 'a\nb\nc\nd'
 */
export function fixLineBreaks(text: string): string {
  LINE_BREAK_RE.lastIndex = 0;
  if (!LINE_BREAK_RE.test(text)) return text;
  return text.replace(LINE_BREAK_RE, '\n');
}
