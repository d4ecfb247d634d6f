/** A UTF-16 surrogate that is not half of a pair (in `u` mode, a paired one is part of a code point). */
const LONE_SURROGATE_RE = /\p{Cs}/gu;

/**
 * Replace unpaired UTF-16 surrogates with U+FFFD.
 *
 * ftfy also joins surrogate pairs that a Python string holds as two code points; a JavaScript
 * string cannot tell such a pair from the character it encodes, so pairs are already joined.
 */
export function fixSurrogates(text: string): string {
  if (!hasLoneSurrogate(text)) return text;
  return text.replace(LONE_SURROGATE_RE, '\ufffd');
}

function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return true;
    i++;
  }
  return false;
}
