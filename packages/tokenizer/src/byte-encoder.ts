/**
 * GPT-2's reversible map from the 256 byte values to printable characters, which CLIP's BPE works
 * on: printable Latin-1 bytes map to themselves, the rest to code points from U+0100 on.
 */
function buildByteEncoder(): string[] {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = [...bytes];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + shifted++);
    }
  }
  const table = new Array<string>(256);
  bytes.forEach((b, i) => (table[b] = String.fromCharCode(chars[i]!)));
  return table;
}

/** `BYTE_ENCODER[byte]`: the character standing for that byte. */
export const BYTE_ENCODER: readonly string[] = buildByteEncoder();

/** Bytes in CLIP's vocabulary order: `BYTE_ORDER[i]` is the byte whose symbol has id `i`. */
export const BYTE_ORDER: readonly number[] = (() => {
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return order;
})();

/** The inverse map: character code -> byte, or -1 for characters that stand for no byte. */
const BYTE_DECODER: Int16Array = (() => {
  const table = new Int16Array(512).fill(-1);
  BYTE_ENCODER.forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
  return table;
})();

/** The byte a BPE character stands for, or -1. */
export function byteOfChar(code: number): number {
  return code < 512 ? BYTE_DECODER[code]! : -1;
}
