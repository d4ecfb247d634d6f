/** Characters that `fixCharacterWidth` may change: U+3000 and the Halfwidth and Fullwidth Forms block. */
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;

let widthMap: Map<string, string> | undefined;

/**
 * As ftfy builds it: U+3000 IDEOGRAPHIC SPACE -> U+0020, and each character in U+FF01..U+FFEF that
 * NFKC normalization changes -> its NFKC form.
 */
function getWidthMap(): Map<string, string> {
  if (widthMap === undefined) {
    widthMap = new Map([['\u3000', ' ']]);
    for (let code = 0xff01; code < 0xfff0; code++) {
      const char = String.fromCharCode(code);
      const alternate = char.normalize('NFKC');
      if (alternate !== char) widthMap.set(char, alternate);
    }
  }
  return widthMap;
}

/**
 * Replace full-width Latin characters, half-width katakana and the like with their standard-width
 * forms, and the ideographic space with an ASCII space.
 *
 *     fixCharacterWidth('ＬＯＵＤ\u3000ＮＯＩＳＥＳ') === 'LOUD NOISES'
 *     fixCharacterWidth('Ｕﾀｰﾝ') === 'Uターン'
 */
export function fixCharacterWidth(text: string): string {
  WIDTH_RE.lastIndex = 0;
  if (!WIDTH_RE.test(text)) return text;
  const map = getWidthMap();
  return text.replace(WIDTH_RE, (char) => map.get(char) ?? char);
}
