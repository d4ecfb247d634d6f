/**
 * ftfy's heuristic for spotting mojibake (ftfy 6.1.1 `badness.py`).
 *
 * Only a few hundred characters show up in UTF-8 mojibake from the encodings ftfy handles. They are
 * sorted into the categories below, and one regular expression lists juxtapositions of them that
 * are far likelier to be mojibake than intended text. The categories are listed by code point;
 * `-` between two characters is a range.
 */
const MOJIBAKE_CATEGORIES = {
  /** Common on their own too: NBSP, soft hyphen, middle dot, acute accent, – — ― … ’ */
  common: '\u00a0\u00ad\u00b7\u00b4\u2013\u2014\u2015\u2026\u2019',
  /** The C1 controls, unused outside mojibake. */
  c1: '\u0080-\u009f',
  /** Nearly always mojibake: ¦ ¤ ¨ ¬ ¯ ¶ § ¸ ƒ ˆ ˇ ˘ ˛ ˜ † ‡ ‰ ⌐ ◊ � ª º */
  bad: '\u00a6\u00a4\u00a8\u00ac\u00af\u00b6\u00a7\u00b8\u0192\u02c6\u02c7\u02d8\u02db\u02dc\u2020\u2021\u2030\u2310\u25ca\ufffd\u00aa\u00ba',
  /** ¢ £ ¥ ₧ € */
  currency: '\u00a2\u00a3\u00a5\u20a7\u20ac',
  /** ¡ « ¿ © ΄ ΅ ‘ ‚ “ „ • ‹ and U+F8FF (a private-use logo) */
  startPunctuation: '\u00a1\u00ab\u00bf\u00a9\u0384\u0385\u2018\u201a\u201c\u201e\u2022\u2039\uf8ff',
  /** ® » ˝ ” › ™ */
  endPunctuation: '\u00ae\u00bb\u02dd\u201d\u203a\u2122',
  /** ² ³ ¹ ± ¼ ½ ¾ × µ ÷ ⁄ ∂ ∆ ∏ ∑ √ ∞ ∩ ∫ ≈ ≠ ≡ ≤ ≥ № */
  numeric:
    '\u00b2\u00b3\u00b9\u00b1\u00bc\u00bd\u00be\u00d7\u00b5\u00f7\u2044\u2202\u2206\u220f\u2211\u221a\u221e\u2229\u222b\u2248\u2260\u2261\u2264\u2265\u2116',
  /** Letters that may make up emoticon faces: Ò-Ö Ù-Ü ò-ö ø-ü Ő ° */
  kaomoji: '\u00d2-\u00d6\u00d9-\u00dc\u00f2-\u00f6\u00f8-\u00fc\u0150\u00b0',
  /** À-Ñ Ø Ü Ý Ă Ą Ć Č Ď Đ Ę Ě Ğ İ Ĺ Ľ Ł Ń Ň Œ Ř Ś Ş Š Ţ Ť Ů Ű Ÿ Ź Ż Ž Ґ */
  upperAccented:
    '\u00c0-\u00d1\u00d8\u00dc\u00dd\u0102\u0104\u0106\u010c\u010e\u0110\u0118\u011a\u011e\u0130\u0139\u013d\u0141\u0143\u0147\u0152\u0158\u015a\u015e\u0160\u0162\u0164\u016e\u0170\u0178\u0179\u017b\u017d\u0490',
  /** ß à-ñ ă ą ć č ď đ ę ě ğ ĺ ľ ł œ ŕ ś ş š ť ü ź ż ž ґ ﬁ ﬂ */
  lowerAccented:
    '\u00df\u00e0-\u00f1\u0103\u0105\u0107\u010d\u010f\u0111\u0119\u011b\u011f\u013a\u013e\u0142\u0153\u0155\u015b\u015f\u0161\u0165\u00fc\u017a\u017c\u017e\u0491\ufb01\ufb02',
  /** Þ Α-Ω Ά Έ Ή Ί Ό Ύ Ώ Ϊ Ϋ Ё-Я */
  upperCommon: '\u00de\u0391-\u03a9\u0386\u0388\u0389\u038a\u038c\u038e\u038f\u03aa\u03ab\u0401-\u042f',
  /** α-ω ά έ ή ί ΰ а-џ */
  lowerCommon: '\u03b1-\u03c9\u03ac\u03ad\u03ae\u03af\u03b0\u0430-\u045f',
  /** Box drawing (not the single horizontal line, a kaomoji favourite): │ ┌ ┐ ┘ ├ ┤ ┬ ┼ ═-╬ ▀ ▄ █ ▌ ▐ ░ ▒ ▓ */
  box: '\u2502\u250c\u2510\u2518\u251c\u2524\u252c\u253c\u2550-\u256c\u2580\u2584\u2588\u258c\u2590\u2591\u2592\u2593',
} as const;

/** Python's `\s` (str.isspace) as a class body. */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

function buildBadnessSource(): string {
  const {
    common,
    c1,
    bad,
    currency,
    startPunctuation: start,
    endPunctuation: end,
    numeric,
    kaomoji,
    upperAccented: upper,
    lowerAccented: lower,
    upperCommon,
    lowerCommon,
    box,
  } = MOJIBAKE_CATEGORIES;
  const arabic = `[${common}${currency}${bad}${numeric}${start}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]`;
  const alternatives = [
    `[${c1}]`,
    `[${bad}${lower}${upper}${box}${start}${end}${currency}${numeric}][${bad}]`,
    `[a-zA-Z][${lowerCommon}${upperCommon}][${bad}]`,
    `[${bad}][${lower}${upper}${box}${start}${end}${currency}${numeric}]`,
    `[${lower}${lowerCommon}${box}${end}${currency}${numeric}][${upper}]`,
    `[${box}${end}${currency}${numeric}][${lower}]`,
    `[${lower}${box}${end}][${currency}]`,
    `[${PY_SPACE}][${upper}][${currency}]`,
    `[${upper}${box}][${numeric}]`,
    `[${lower}${upper}${box}${currency}${end}][${start}][${numeric}]`,
    `[${lower}${upper}${currency}${numeric}${box}][${end}][${start}]`,
    `[${currency}${numeric}${box}][${start}]`,
    `[a-z][${upper}][${start}${currency}]`,
    `[${box}][${kaomoji}]`,
    `[${lower}${upper}${currency}${numeric}${start}${end}][${box}]`,
    `[${box}][${end}]`,
    // Python's `\w`: letters, digits (any Unicode number) and underscore.
    `[${lower}${upper}][${end}][\\p{L}\\p{N}_]`,
    // The ligature œ when not followed by an unaccented Latin letter.
    '[\u0152\u0153][^A-Za-z]',
    // Common Windows-1252 two-character mojibake not covered above: Â Ã Î Ð then € Š š ¢ £ Ÿ ž NBSP SHY ® © ° · » ... – — ´
    `[\u00c2\u00c3\u00ce\u00d0][\u20ac\u0160\u0161\u00a2\u00a3\u0178\u017e\u00a0\u00ad\u00ae\u00a9\u00b0\u00b7\u00bb${start}${end}\u2013\u2014\u00b4]`,
    // × before ² or ³
    '\u00d7[\u00b2\u00b3]',
    // Windows-1252 mojibake of Arabic, which needs the 'common' characters: require four characters.
    `[\u00d8\u00d9]${arabic}[\u00d8\u00d9]${arabic}`,
    // Windows-1252 mojibake starting three-byte sequences of some South Asian scripts: à then ² µ ¹ ¼ ½ ¾
    '\u00e0[\u00b2\u00b5\u00b9\u00bc\u00bd\u00be]',
    // MacRoman mojibake not covered above: √ then ± ∂ † ≠ ® ™ ´ ≤ ≥ ¥ µ ø
    '\u221a[\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8]',
    // ≈ then ° ¢
    '\u2248[\u00b0\u00a2]',
    // ‚Ä then ì î ï ò ô ú ù û † ° ¢ π
    '\u201a\u00c4[\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0]',
    // ‚ then â or ó, then à ä ° ê
    '\u201a[\u00e2\u00f3][\u00e0\u00e4\u00b0\u00ea]',
    // Windows-1251 mojibake of the U+2000 range: вЂ
    '\u0432\u0402',
    // Windows-1251 mojibake of Latin-1 or Cyrillic, three characters: В Г Р С, then a mojibake character, then В Г Р С
    `[\u0412\u0413\u0420\u0421][${c1}${bad}${start}${end}${currency}\u00b0\u00b5][\u0412\u0413\u0420\u0421]`,
    // Windows-1251 on top of Latin-1 mojibake of Windows-1252: ГўВЂВ, any character, a Latin letter or space
    '\u0413\u045e\u0412\u0402\u0412[^\\n][A-Za-z ]',
    // Windows-1252 encodings of à and á, and of NBSP itself
    '\u00c3[\u00a0\u00a1]',
    `[a-z][${PY_SPACE}]?[\u00c3\u00c2] `,
    '^[\u00c3\u00c2] ',
    // Â before the very character it was the first byte of, when that character is common enough
    `[a-z.,?!${end}]\u00c2[ ${start}${end}]`,
    // Windows-1253 mojibake of the U+2000 range: β€ then ™ NBSP Ά SHY ® °
    '\u03b2\u20ac[\u2122\u00a0\u0386\u00ad\u00ae\u00b0]',
    // Windows-1253 mojibake of Latin-1 or Greek, three characters: Β Γ Ξ Ο ... Β Γ Ξ Ο
    `[\u0392\u0393\u039e\u039f][${c1}${bad}${start}${end}${currency}\u00b0][\u0392\u0393\u039e\u039f]`,
  ];
  return alternatives.join('|');
}

/**
 * Every alternative above needs at least one of these characters, so text without any of them
 * cannot match: a cheap test that spares most text (emoji, CJK, curly quotes) the full expression.
 */
function buildTriggerTable(): Uint8Array {
  const { c1, bad, currency, numeric, upperAccented, lowerAccented, box } = MOJIBAKE_CATEGORIES;
  // Œ œ Â Ã Î Ð × Ø Ù à √ ≈ ‚ в Ђ В Г Р С ў β € Β Γ Ξ Ο
  const extras =
    '\u0152\u0153\u00c2\u00c3\u00ce\u00d0\u00d7\u00d8\u00d9\u00e0\u221a\u2248\u201a\u0432\u0402' +
    '\u0412\u0413\u0420\u0421\u045e\u03b2\u20ac\u0392\u0393\u039e\u039f';
  const table = new Uint8Array(0x10000);
  for (const classBody of [c1, bad, currency, numeric, upperAccented, lowerAccented, box, extras]) {
    for (let i = 0; i < classBody.length; i++) {
      const first = classBody.charCodeAt(i);
      const last = classBody[i + 1] === '-' && i + 2 < classBody.length ? classBody.charCodeAt(i + 2) : first;
      for (let code = first; code <= last; code++) table[code] = 1;
      if (last !== first) i += 2;
    }
  }
  return table;
}

const TRIGGERS = buildTriggerTable();

/** Whether the text contains a character that some badness alternative needs. */
function hasTrigger(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (TRIGGERS[text.charCodeAt(i)] === 1) return true;
  return false;
}
const BADNESS_SOURCE = buildBadnessSource();
const BADNESS_RE = new RegExp(BADNESS_SOURCE, 'u');
const BADNESS_GLOBAL_RE = new RegExp(BADNESS_SOURCE, 'gu');

/**
 * The number of unlikely character sequences in `text` (non-overlapping matches of ftfy's badness
 * expression). Above 0 means some of it looks like mojibake.
 */
export function badness(text: string): number {
  if (!hasTrigger(text)) return 0;
  BADNESS_GLOBAL_RE.lastIndex = 0;
  let count = 0;
  while (BADNESS_GLOBAL_RE.exec(text) !== null) count++;
  return count;
}

/** True when `text` looks like it contains mojibake (ftfy's `is_bad`). */
export function isBad(text: string): boolean {
  return hasTrigger(text) && BADNESS_RE.test(text);
}
