import { BYTE_TABLES } from './tables.generated.js';

/**
 * Byte strings are represented as "binary strings": one UTF-16 code unit per byte, 0x00..0xFF.
 * That lets byte-level regular expressions (ftfy's `bytes` patterns) run as ordinary JS regexes.
 */
export type ByteString = string;

/** The single-byte encodings ftfy 6.1.1 tries when it re-decodes mojibake, in the order it tries them. */
export const CHARMAP_ENCODINGS = [
  'latin-1',
  'sloppy-windows-1252',
  'sloppy-windows-1251',
  'sloppy-windows-1250',
  'sloppy-windows-1253',
  'sloppy-windows-1254',
  'iso-8859-2',
  'macroman',
  'cp437',
] as const;

export type CharmapEncoding = (typeof CHARMAP_ENCODINGS)[number];

interface SingleByteCodec {
  /** Character (code unit) -> byte, for the characters that bytes 0x80..0xFF and 0x1A decode to. */
  readonly encodeMap: ReadonlyMap<number, number>;
  /** Whether the character U+001A itself can be encoded (false in the sloppy codecs, where byte 0x1A means U+FFFD). */
  readonly encodesSubstitute: boolean;
}

const codecs = new Map<CharmapEncoding, SingleByteCodec>();

function getCodec(encoding: CharmapEncoding): SingleByteCodec {
  let codec = codecs.get(encoding);
  if (codec === undefined) {
    const table = BYTE_TABLES[encoding];
    const encodeMap = new Map<number, number>();
    for (let i = 0; i < 128; i++) encodeMap.set(table.charCodeAt(i), 0x80 + i);
    // ftfy's sloppy codecs use byte 0x1A (SUBSTITUTE) to stand for U+FFFD, the replacement character.
    const sloppy = encoding.startsWith('sloppy-');
    if (sloppy) encodeMap.set(0xfffd, 0x1a);
    codec = { encodeMap, encodesSubstitute: !sloppy };
    codecs.set(encoding, codec);
  }
  return codec;
}

/**
 * Encode `text` in a single-byte encoding, or return null when some character has no byte in it
 * (ftfy's `possible_encoding` check and `str.encode` in one pass).
 */
export function encodeSingleByte(text: string, encoding: CharmapEncoding): ByteString | null {
  const { encodeMap, encodesSubstitute } = getCodec(encoding);
  let bytes: number[] | undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let byte: number | undefined;
    if (code < 0x80 && (code !== 0x1a || encodesSubstitute)) {
      byte = code;
    } else {
      byte = encodeMap.get(code);
      if (byte === undefined) return null;
    }
    if (byte !== code && bytes === undefined) {
      bytes = new Array<number>(text.length);
      for (let j = 0; j < i; j++) bytes[j] = text.charCodeAt(j);
    }
    if (bytes !== undefined) bytes[i] = byte;
  }
  return bytes === undefined ? text : codeUnitsToString(bytes);
}

/** Decode bytes as strict Windows-1252 (Python's `cp1252`), or return null on an undefined byte. */
export function decodeWindows1252(bytes: ByteString): string | null {
  const table = BYTE_TABLES['windows-1252'];
  let out = '';
  let last = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes.charCodeAt(i);
    if (byte < 0x80) continue;
    const char = table[byte - 0x80] ?? '\ufffd';
    if (char === '\ufffd') return null;
    out += bytes.slice(last, i) + char;
    last = i + 1;
  }
  return last === 0 ? bytes : out + bytes.slice(last);
}

/** Decode one byte as sloppy Windows-1252 (ftfy's `sloppy-windows-1252`). */
export function sloppyWindows1252Char(byte: number): string {
  if (byte < 0x80) return String.fromCharCode(byte === 0x1a ? 0xfffd : byte);
  return BYTE_TABLES['sloppy-windows-1252'][byte - 0x80] ?? String.fromCharCode(byte);
}

/**
 * Decode UTF-8 the way ftfy's `utf-8-variants` codec does, or return null where Python would raise
 * `UnicodeDecodeError`: strict UTF-8 (no overlong forms, no encoded surrogates, nothing past
 * U+10FFFF, no truncated sequences), except that CESU-8 surrogate pairs (`ED A0-AF xx ED B0-BF xx`)
 * decode to the supplementary character they encode and Java's `C0 80` decodes to U+0000. On input
 * without the bytes 0xED and 0xC0 this is exactly Python's strict UTF-8.
 */
export function decodeUtf8Variants(bytes: ByteString): string | null {
  const n = bytes.length;
  const out = new Array<number>();
  let i = 0;
  while (i < n) {
    const b0 = bytes.charCodeAt(i);
    if (b0 < 0x80) {
      out.push(b0);
      i += 1;
      continue;
    }
    const b1 = i + 1 < n ? bytes.charCodeAt(i + 1) : -1;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      if (!isContinuation(b1)) return null;
      out.push(((b0 & 0x1f) << 6) | (b1 & 0x3f));
      i += 2;
      continue;
    }
    if (b0 === 0xc0 && b1 === 0x80) {
      out.push(0);
      i += 2;
      continue;
    }
    if (b0 >= 0xe0 && b0 <= 0xef) {
      if (b0 === 0xed && b1 >= 0xa0 && b1 <= 0xbf) {
        // An encoded surrogate: only a full CESU-8 pair is acceptable.
        const b2 = i + 2 < n ? bytes.charCodeAt(i + 2) : -1;
        const b3 = i + 3 < n ? bytes.charCodeAt(i + 3) : -1;
        const b4 = i + 4 < n ? bytes.charCodeAt(i + 4) : -1;
        const b5 = i + 5 < n ? bytes.charCodeAt(i + 5) : -1;
        if (b1 > 0xaf || !isContinuation(b2) || b3 !== 0xed || b4 < 0xb0 || b4 > 0xbf || !isContinuation(b5)) {
          return null;
        }
        const codePoint = 0x10000 + ((b1 & 0x0f) << 16) + ((b2 & 0x3f) << 10) + ((b4 & 0x0f) << 6) + (b5 & 0x3f);
        pushCodePoint(out, codePoint);
        i += 6;
        continue;
      }
      const min1 = b0 === 0xe0 ? 0xa0 : 0x80;
      const max1 = b0 === 0xed ? 0x9f : 0xbf;
      const b2 = i + 2 < n ? bytes.charCodeAt(i + 2) : -1;
      if (b1 < min1 || b1 > max1 || !isContinuation(b2)) return null;
      out.push(((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f));
      i += 3;
      continue;
    }
    if (b0 >= 0xf0 && b0 <= 0xf4) {
      const min1 = b0 === 0xf0 ? 0x90 : 0x80;
      const max1 = b0 === 0xf4 ? 0x8f : 0xbf;
      const b2 = i + 2 < n ? bytes.charCodeAt(i + 2) : -1;
      const b3 = i + 3 < n ? bytes.charCodeAt(i + 3) : -1;
      if (b1 < min1 || b1 > max1 || !isContinuation(b2) || !isContinuation(b3)) return null;
      pushCodePoint(out, ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f));
      i += 4;
      continue;
    }
    return null;
  }
  return codeUnitsToString(out);
}

function isContinuation(byte: number): boolean {
  return byte >= 0x80 && byte <= 0xbf;
}

function pushCodePoint(out: number[], codePoint: number): void {
  const offset = codePoint - 0x10000;
  out.push(0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff));
}

const CHUNK = 0x2000;

/** Build a string from UTF-16 code units without overflowing the call stack on long input. */
export function codeUnitsToString(units: readonly number[]): string {
  if (units.length <= CHUNK) return String.fromCharCode(...units);
  const parts: string[] = [];
  for (let i = 0; i < units.length; i += CHUNK) parts.push(String.fromCharCode(...units.slice(i, i + CHUNK)));
  return parts.join('');
}
