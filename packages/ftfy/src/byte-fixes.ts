import type { ByteString } from './codecs.js';

/**
 * UTF-8 sequences that would be valid if a byte 0xA0 had not been turned into a space (0x20) by
 * some Windows-1252 software. Two-byte sequences only for the lead bytes that make likely
 * characters before 0xA0 (C2 NBSP, C3 à, C5 Š, CE Π, D0 Р, D9 ٠); three-byte sequences only for
 * lead bytes E0..E3 (E2, E3 when the space comes second); four-byte sequences only for F0.
 */
const ALTERED_UTF8_RE =
  /[\xc2\xc3\xc5\xce\xd0\xd9] |[\xe2\xe3] [\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf] |\xf0 [\x80-\xbf][\x80-\xbf]|\xf0[\x80-\xbf] [\x80-\xbf]|\xf0[\x80-\xbf][\x80-\xbf] /g;

/**
 * An exception to `restoreByteA0`: a lone "Ã " is read as "à " keeping the space ("Ã la mode" is
 * "à la mode"), except before a second space or the Portuguese contractions "às", "àquele",
 * "àquela", "àquilo" (and plurals).
 */
const A_GRAVE_WORD_RE = /\xc3 (?! |quele|quela|quilo|s )/g;

/**
 * UTF-8 (and CESU-8) sequences where some continuation bytes were lost: byte 0x1A is how ftfy's
 * sloppy codecs encode U+FFFD, and `?` is sometimes allowed in its place (once per sequence).
 */
const LOSSY_UTF8_RE = new RegExp(
  [
    '[\\xc2-\\xdf][\\x1a]',
    '[\\xc2-\\xc3][?]',
    '\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]',
    '\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]',
    '[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]',
    '[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]',
    '\\x1a',
  ].join('|'),
  'g',
);

/** The UTF-8 encoding of U+FFFD, as a byte string. */
const UTF8_REPLACEMENT: ByteString = '\xef\xbf\xbd';

/** Whether the bytes contain a sequence `restoreByteA0` could repair. */
export function hasAlteredUtf8(bytes: ByteString): boolean {
  ALTERED_UTF8_RE.lastIndex = 0;
  return ALTERED_UTF8_RE.test(bytes);
}

/**
 * Put back bytes 0xA0 that were replaced by spaces, where that turns the bytes into UTF-8.
 * (A step inside `fixEncoding`.)
 */
export function restoreByteA0Binary(bytes: ByteString): ByteString {
  const marked = bytes.replace(A_GRAVE_WORD_RE, '\xc3\xa0 ');
  return marked.replace(ALTERED_UTF8_RE, (match) => match.replace(/ /g, '\xa0'));
}

/**
 * Replace UTF-8 sequences whose lost bytes a sloppy codec marked with 0x1A (or `?`) by the UTF-8
 * encoding of U+FFFD, and any other 0x1A by U+FFFD too. (A step inside `fixEncoding`.)
 */
export function replaceLossySequencesBinary(bytes: ByteString): ByteString {
  return bytes.replace(LOSSY_UTF8_RE, UTF8_REPLACEMENT);
}

/**
 * ftfy's `restore_byte_a0` on bytes: where a space (0x20) stands for a 0xA0 that would complete a
 * UTF-8 sequence, put the 0xA0 back.
 */
export function restoreByteA0(bytes: Uint8Array): Uint8Array {
  return binaryToBytes(restoreByteA0Binary(bytesToBinary(bytes)));
}

/**
 * ftfy's `replace_lossy_sequences` on bytes: UTF-8 sequences whose lost bytes are marked with
 * 0x1A (or `?`) become the UTF-8 encoding of U+FFFD.
 */
export function replaceLossySequences(bytes: Uint8Array): Uint8Array {
  return binaryToBytes(replaceLossySequencesBinary(bytesToBinary(bytes)));
}

function bytesToBinary(bytes: Uint8Array): ByteString {
  let out = '';
  for (let i = 0; i < bytes.length; i += 0x2000) out += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
  return out;
}

function binaryToBytes(binary: ByteString): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
