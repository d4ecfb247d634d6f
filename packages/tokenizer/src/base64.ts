const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

interface NativeBase64 {
  /** Node's Buffer (native decoding, a fraction of a millisecond for the bundled merges). */
  Buffer?: { from(text: string, encoding: 'base64'): Uint8Array };
}

/** Decodes standard base64 (with or without padding): natively where Node's Buffer exists, else portably. */
export function decodeBase64(text: string): Uint8Array {
  const native = (globalThis as NativeBase64).Buffer;
  // Buffer skips characters outside the alphabet; the portable path below refuses them. Only
  // well-formed text (the bundled data) may take the fast path.
  if (native && /^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    const bytes = native.from(text, 'base64');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return decodeBase64Portable(text);
}

function decodeBase64Portable(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text[end - 1] === '=') end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let bitCount = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const v = VALUE[text.charCodeAt(i)] ?? -1;
    if (v < 0) throw new Error(`invalid base64 character at offset ${i}`);
    bits = (bits << 6) | v;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[o++] = (bits >> bitCount) & 0xff;
    }
  }
  return out;
}
