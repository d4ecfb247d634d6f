/**
 * Control characters ftfy removes: C0 controls except tab, line feed, form feed and carriage return
 * (U+00..U+08, U+0B, U+0E..U+1F), DEL (U+7F), the deprecated Arabic format controls (U+206A..U+206F),
 * the byte order mark (U+FEFF) and the interlinear annotation and object replacement characters
 * (U+FFF9..U+FFFC).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL_CHARS_RE = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

/**
 * Remove control characters that have no visible effect. Whitespace controls, C1 controls (clues
 * to mojibake), bidirectional and joining controls, and tag characters are left alone.
 */
export function removeControlChars(text: string): string {
  CONTROL_CHARS_RE.lastIndex = 0;
  if (!CONTROL_CHARS_RE.test(text)) return text;
  return text.replace(CONTROL_CHARS_RE, '');
}

/** Remove byte order marks (U+FEFF) from the start of the text. */
export function removeBom(text: string): string {
  let start = 0;
  while (text.charCodeAt(start) === 0xfeff) start++;
  return start === 0 ? text : text.slice(start);
}
