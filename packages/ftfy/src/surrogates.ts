/** A UTF-16 surrogate that is not half of a pair (in `u` mode, a paired one is part of a code point). */
const LONE_SURROGATE_RE = /\p{Cs}/gu;

/**
 * Replace unpaired UTF-16 surrogates with U+FFFD.
 *
 * ftfy also joins surrogate pairs that a Python string holds as two code points; a JavaScript
 * string cannot tell such a pair from the character it encodes, so pairs are already joined.
 */
export function fixSurrogates(text: string): string {
  LONE_SURROGATE_RE.lastIndex = 0;
  if (!LONE_SURROGATE_RE.test(text)) return text;
  return text.replace(LONE_SURROGATE_RE, '\ufffd');
}
