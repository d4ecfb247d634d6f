/** UTF-8 helpers with SentencePiece's rules (string_util::DecodeUTF8 of SentencePiece 0.1.97). */

const encoder = new TextEncoder();

/** UTF-8 bytes of a JavaScript string; lone surrogates become U+FFFD, as TextEncoder (and napi) do. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Length of the UTF-8 character starting with `lead` as OneCharLen counts it (1 for a stray byte). */
export function oneCharLength(lead: number): number {
  return lead < 0x80 ? 1 : lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/**
 * The length of the well-formed character at `bytes[pos..end)`, or 0 when it is malformed:
 * SentencePiece's IsValidDecodeUTF8 (overlong forms, surrogates and code points past U+10FFFF
 * are malformed; a malformed lead counts as one byte).
 */
export function validCharLength(bytes: Uint8Array, pos: number, end: number): number {
  const b0 = bytes[pos]!;
  const trail = (i: number) => pos + i < end && (bytes[pos + i]! & 0xc0) === 0x80;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xe0) === 0xc0 && end - pos >= 2 && trail(1)) {
    const cp = ((b0 & 0x1f) << 6) | (bytes[pos + 1]! & 0x3f);
    return cp >= 0x80 ? 2 : 0;
  }
  if ((b0 & 0xf0) === 0xe0 && end - pos >= 3 && trail(1) && trail(2)) {
    const cp = ((b0 & 0x0f) << 12) | ((bytes[pos + 1]! & 0x3f) << 6) | (bytes[pos + 2]! & 0x3f);
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
  }
  if ((b0 & 0xf8) === 0xf0 && end - pos >= 4 && trail(1) && trail(2) && trail(3)) {
    const cp = ((b0 & 0x07) << 18) | ((bytes[pos + 1]! & 0x3f) << 12) | ((bytes[pos + 2]! & 0x3f) << 6) | (bytes[pos + 3]! & 0x3f);
    return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
  }
  return 0;
}

/** REPLACEMENT CHARACTER U+FFFD in UTF-8. */
export const REPLACEMENT_UTF8 = new Uint8Array([0xef, 0xbf, 0xbd]);

// ignoreBOM keeps a leading U+FEFF: it is text here, not a byte order mark.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Text of UTF-8 bytes with SentencePiece's error rule: each byte of a malformed sequence becomes
 * one U+FFFD (TextDecoder would replace a truncated sequence by a single one).
 */
export function decodeUtf8BytewiseReplacement(bytes: Uint8Array): string {
  let out = '';
  let runStart = 0;
  let pos = 0;
  while (pos < bytes.length) {
    const length = validCharLength(bytes, pos, bytes.length);
    if (length > 0) {
      pos += length;
      continue;
    }
    out += decoder.decode(bytes.subarray(runStart, pos)) + '\ufffd';
    pos += 1;
    runStart = pos;
  }
  return out + decoder.decode(bytes.subarray(runStart, pos));
}

/** Text of well-formed UTF-8 bytes (the normalized text, pieces). */
export function textOfUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
