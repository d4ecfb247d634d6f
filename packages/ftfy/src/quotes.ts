/** Curly and modifier-letter single quotes: U+02BC and U+2018..U+201B. */
const SINGLE_QUOTE_RE = /[\u02bc\u2018-\u201b]/g;
/** Curly double quotes: U+201C..U+201F. */
const DOUBLE_QUOTE_RE = /[\u201c-\u201f]/g;
const ANY_QUOTE_RE = /[\u02bc\u2018-\u201f]/;

/**
 * Replace curly quotation marks (and U+02BC MODIFIER LETTER APOSTROPHE) with straight ones.
 *
 *     uncurlQuotes('\u201chere\u2019s a test\u201d') === '"here\'s a test"'
 */
export function uncurlQuotes(text: string): string {
  if (!ANY_QUOTE_RE.test(text)) return text;
  return text.replace(DOUBLE_QUOTE_RE, '"').replace(SINGLE_QUOTE_RE, "'");
}
