/**
 * Latin ligatures and legacy digraphs that ftfy takes apart. Ligatures common on purpose (such as
 * `æ`) are not here.
 */
const LIGATURES: ReadonlyMap<string, string> = new Map([
  ['\u0132', 'IJ'], // Ĳ  Dutch
  ['\u0133', 'ij'], // ĳ
  ['\u0149', '\u02bcn'], // ŉ  Afrikaans, spelled with a modifier-letter apostrophe
  ['\u01f1', 'DZ'], // Ǳ  Serbian/Croatian digraphs kept for round-tripping Cyrillic
  ['\u01f2', 'Dz'], // ǲ
  ['\u01f3', 'dz'], // ǳ
  ['\u01c4', 'D\u017d'], // Ǆ -> DŽ
  ['\u01c5', 'D\u017e'], // ǅ -> Dž
  ['\u01c6', 'd\u017e'], // ǆ -> dž
  ['\u01c7', 'LJ'], // Ǉ
  ['\u01c8', 'Lj'], // ǈ
  ['\u01c9', 'lj'], // ǉ
  ['\u01ca', 'NJ'], // Ǌ
  ['\u01cb', 'Nj'], // ǋ
  ['\u01cc', 'nj'], // ǌ
  ['\ufb00', 'ff'], // ﬀ  typographic ligatures
  ['\ufb01', 'fi'], // ﬁ
  ['\ufb02', 'fl'], // ﬂ
  ['\ufb03', 'ffi'], // ﬃ
  ['\ufb04', 'ffl'], // ﬄ
  ['\ufb05', '\u017ft'], // ﬅ -> ſt
  ['\ufb06', 'st'], // ﬆ
]);

const LIGATURE_RE = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;

/**
 * Replace single-character Latin ligatures, such as `ﬁ`, with the letters they contain.
 *
 *     fixLatinLigatures('ﬂuﬃeﬆ') === 'fluffiest'
 */
export function fixLatinLigatures(text: string): string {
  LIGATURE_RE.lastIndex = 0;
  if (!LIGATURE_RE.test(text)) return text;
  return text.replace(LIGATURE_RE, (char) => LIGATURES.get(char) ?? char);
}
