import { sloppyWindows1252Char } from './codecs.js';
import { HTML_ENTITY_TABLE } from './tables.generated.js';

/** An entity or character reference that ends in a semicolon, as ftfy matches them. */
const HTML_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;

/** What Python's `html.unescape` accepts as a complete numeric character reference. */
const DECIMAL_REF_RE = /^&#([0-9]+);$/;
const HEX_REF_RE = /^&#[xX]([0-9a-fA-F]+);$/;

let entities: ReadonlyMap<string, string> | undefined;

function getEntities(): ReadonlyMap<string, string> {
  entities ??= new Map(Object.entries(HTML_ENTITY_TABLE));
  return entities;
}

/**
 * A numeric character reference decoded as Python's `html.unescape` does it (code points 0x80..0x9F
 * as Windows-1252, NUL and out-of-range numbers as U+FFFD, noncharacters and most controls dropped),
 * or null when ftfy would leave the reference alone.
 */
function decodeCharacterReference(reference: string): string | null {
  const decimal = DECIMAL_REF_RE.exec(reference);
  const hex = decimal === null ? HEX_REF_RE.exec(reference) : null;
  const digits = decimal?.[1] ?? hex?.[1];
  if (digits === undefined) return null;
  // Leading zeros aside, more than 7 digits is always past U+10FFFF (and parseInt stays exact).
  const trimmed = digits.replace(/^0+(?=.)/, '');
  const codePoint = trimmed.length > 7 ? Infinity : parseInt(trimmed, decimal !== null ? 10 : 16);
  let replacement: string;
  if (codePoint === 0) replacement = '\ufffd';
  else if (codePoint === 0x0d) replacement = '\r';
  else if (codePoint >= 0x80 && codePoint <= 0x9f) replacement = sloppyWindows1252Char(codePoint);
  else if ((codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint > 0x10ffff) replacement = '\ufffd';
  else if (isInvalidCodePoint(codePoint)) replacement = '';
  else replacement = String.fromCodePoint(codePoint);
  // ftfy keeps the reference when the decoded text still contains ';' (as with `&#59;`).
  return replacement.includes(';') ? null : replacement;
}

/** Python's `html._invalid_codepoints`: code points a character reference decodes to nothing. */
function isInvalidCodePoint(codePoint: number): boolean {
  return (
    (codePoint >= 0x01 && codePoint <= 0x08) ||
    codePoint === 0x0b ||
    (codePoint >= 0x0e && codePoint <= 0x1f) ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    (codePoint >= 0xfdd0 && codePoint <= 0xfdef) ||
    (codePoint & 0xfffe) === 0xfffe
  );
}

function unescapeEntity(entity: string): string {
  const named = getEntities().get(entity.slice(1, -1));
  if (named !== undefined) return named;
  if (entity.charCodeAt(1) === 0x23 /* # */) return decodeCharacterReference(entity) ?? entity;
  return entity;
}

/**
 * Decode HTML entities and character references that end in a semicolon, including upper-case
 * names of common entities (`&EACUTE;` -> `É`). Entities without a semicolon (`&amp`) are left
 * alone, so informal text such as "this&not that" is not damaged.
 *
 *     unescapeHtml('&lt;tag&gt;') === '<tag>'
 *     unescapeHtml('P&EACUTE;REZ') === 'PÉREZ'
 */
export function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(HTML_ENTITY_RE, unescapeEntity);
}
