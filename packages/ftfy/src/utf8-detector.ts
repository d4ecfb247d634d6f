/**
 * Character classes that pinpoint UTF-8 mojibake embedded in otherwise fine text: what the bytes of
 * a UTF-8 sequence look like after decoding them in a Latin-1-like encoding.
 */
const UTF8_CLUES = {
  /** Letters that bytes 0xC2..0xDF decode to. */
  firstOf2:
    'ÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßĂĆČĎĐĘĚĞİĹŃŇŐŘŞŢŮŰ' +
    'ΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫάέήίВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ',
  /** Letters that bytes 0xE0..0xEF decode to. */
  firstOf3: 'àáâãäåæçèéêëìíîïăćčďęěĺŕΰαβγδεζηθικλμνξοабвгдежзийклмноп',
  /** Letters that bytes 0xF0 and 0xF3 decode to (other lead bytes only make unassigned code points). */
  firstOf4: 'ðóđğπσру',
  /** Characters that bytes 0x80..0xBF decode to, plus a space standing in for 0xA0. */
  continuation:
    '\x80-\xbf' +
    'ĄąĽľŁłŒœŚśŞşŠšŤťŸŹźŻżŽžƒˆˇ˘˛˜˝΄΅' +
    'ΆΈΉΊΌΎΏЁЂЃЄЅІЇЈЉЊЋЌЎЏёђѓєѕіїјљњћќўџҐґ' +
    '–—―‘’‚“”„†‡•…‰‹›€№™' +
    ' ',
  /** The same without the ones that often stand for themselves next to mojibake (spaces, dashes, quotes, ellipses). */
  continuationStrict:
    '\x80-\xbf' + 'ĄąĽľŁłŒœŚśŞşŠšŤťŸŹźŻżŽžƒˆˇ˘˛˜˝΄΅' + 'ΆΈΉΊΌΎΏЁЂЃЄЅІЇЈЉЊЋЌЎЏёђѓєѕіїјљњћќўџҐґ' + '†‡•‰‹›€№™',
} as const;

/**
 * Runs of likely UTF-8 mojibake, not preceded by a strict continuation character (so a few
 * characters are not "fixed" out of a larger garble).
 */
const UTF8_DETECTOR_SOURCE = (() => {
  const { firstOf2, firstOf3, firstOf4, continuation, continuationStrict } = UTF8_CLUES;
  return (
    `(?<![${continuationStrict}])` +
    `(?:[${firstOf2}][${continuation}]|[${firstOf3}][${continuation}]{2}|[${firstOf4}][${continuation}]{3})+`
  );
})();

/** For `test` (no global state). */
export const UTF8_DETECTOR_RE = new RegExp(UTF8_DETECTOR_SOURCE, 'u');
/** For `replace`. */
export const UTF8_DETECTOR_GLOBAL_RE = new RegExp(UTF8_DETECTOR_SOURCE, 'gu');
