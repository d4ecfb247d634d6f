/**
 * Text from a pickle, decoded as CPython decodes it: BINUNICODE with "surrogatepass" (a str with
 * lone surrogates pickles as their 3-byte UTF-8 forms), BINSTRING and GLOBAL lines as strict
 * UTF-8 (torch.load's encoding). Returns null for bytes that Python would refuse.
 */

const strict = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, surrogates: boolean): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return surrogates ? decodeSurrogatePass(bytes) : null;
  }
}

/** UTF-8 that also accepts ED A0..BF xx (U+D800..U+DFFF), as Python's "surrogatepass" does. */
function decodeSurrogatePass(bytes: Uint8Array): string | null {
  const units: number[] = [];
  const parts: string[] = [];
  const flush = (): void => {
    // In pieces: String.fromCharCode with a huge argument list overflows the stack.
    for (let i = 0; i < units.length; i += 8192) parts.push(String.fromCharCode(...units.slice(i, i + 8192)));
    units.length = 0;
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const cont = (k: number): number => {
      const c = bytes[i + k];
      return c !== undefined && (c & 0xc0) === 0x80 ? c & 0x3f : -1;
    };
    let cp: number;
    let n: number;
    if (b < 0x80) [cp, n] = [b, 1];
    else if (b >= 0xc2 && b < 0xe0) [cp, n] = [((b & 0x1f) << 6) | cont(1), 2];
    else if (b >= 0xe0 && b < 0xf0) [cp, n] = [((b & 0x0f) << 12) | (cont(1) << 6) | cont(2), 3];
    else if (b >= 0xf0 && b < 0xf5) [cp, n] = [((b & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3), 4];
    else return null;
    for (let k = 1; k < n; k++) if (cont(k) < 0) return null;
    const min = [0, 0, 0x80, 0x800, 0x10000][n]!;
    if (cp < min || cp > 0x10ffff) return null; // overlong or out of range
    if (cp > 0xffff) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    if (units.length >= 65536) flush();
    i += n;
  }
  flush();
  return parts.join('');
}

/** A name or string cut for a message: a hostile pickle's 1 MB global name is not printed whole. */
export function shorten(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max)}... (${s.length} characters)`;
}
