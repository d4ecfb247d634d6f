import { fixC1Controls } from './c1-controls.js';
import { fixCharacterWidth } from './character-width.js';
import { type FixTextOptions, resolveOptions } from './config.js';
import { removeControlChars } from './control-chars.js';
import { fixEncodingResolved } from './fix-encoding.js';
import { unescapeHtml } from './html.js';
import { fixLatinLigatures } from './ligatures.js';
import { fixLineBreaks } from './line-breaks.js';
import { pythonNormalize } from './python-unicode.js';
import { uncurlQuotes } from './quotes.js';
import { fixSurrogates } from './surrogates.js';
import { removeTerminalEscapes } from './terminal-escapes.js';

/** See `MAX_STEPS` in fix-encoding.ts: a guard against endless loops, never reached by real text. */
const MAX_ROUNDS = 64;

/**
 * True when no fix can change the text: printable ASCII without `&`, plus tab, line feed and form
 * feed. Such text (most prompts) is returned as it is, without running any fixer.
 */
function isInert(text: string): boolean {
  return INERT_RE.test(text);
}

const INERT_RE = /^[\t\n\f\x20-\x25\x27-\x7e]*$/;

/**
 * Fix inconsistencies and glitches in text, the way Python's `ftfy.fix_text` (6.1.1) does: HTML
 * entities, mojibake, C1 controls, Latin ligatures, full-width characters, curly quotes, line
 * breaks, lone surrogates, terminal escapes and control characters, then Unicode normalization.
 *
 * The text is fixed one line at a time (and in pieces of at most `maxDecodeLength` code points).
 * With `unescapeHtml: 'auto'`, entities are decoded until a line containing `<` is seen.
 *
 *     fixText('âœ” No problems') === '✔ No problems'
 *     fixText('Broken text&hellip; it&#x2019;s ﬂubberiﬁc!') === "Broken text… it's flubberific!"
 */
export function fixText(text: string, options?: Partial<FixTextOptions>): string {
  if (isInert(text)) return text;
  const config = resolveOptions(options);
  const maxLength =
    Number.isFinite(config.maxDecodeLength) && config.maxDecodeLength >= 1 ? Math.floor(config.maxDecodeLength) : 1;

  let unescape = config.unescapeHtml;
  const out: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos) + 1;
    if (end === 0) end = text.length;
    if (end - pos > maxLength) end = advanceCodePoints(text, pos, maxLength, end);
    const segment = text.slice(pos, end);
    if (unescape === 'auto' && segment.includes('<')) unescape = false;
    out.push(fixSegment(segment, config, unescape));
    pos = end;
  }
  return out.join('');
}

/** The index `count` code points after `start`, or `limit` if that comes first. */
function advanceCodePoints(text: string, start: number, count: number, limit: number): number {
  let index = start;
  for (let seen = 0; seen < count && index < limit; seen++) {
    const code = text.charCodeAt(index);
    const isPair = code >= 0xd800 && code <= 0xdbff && index + 1 < limit && isLowSurrogate(text.charCodeAt(index + 1));
    index += isPair ? 2 : 1;
  }
  return index;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Fix text as one segment, applying every enabled fix in ftfy's order until the text stops
 * changing (ftfy's `fix_text_segment` / `fix_and_explain` without the explanation).
 */
export function fixTextSegment(text: string, options?: Partial<FixTextOptions>): string {
  if (isInert(text)) return text;
  const config = resolveOptions(options);
  return fixSegment(text, config, config.unescapeHtml);
}

/**
 * Code units that one of the character-level fixers (C1 controls, ligatures, width, quotes, line
 * breaks, terminal escapes, control characters) may change. Text without any of them, and
 * without unpaired surrogates, skips those fixers.
 */
const CHARACTER_FIX_UNITS: Uint8Array = (() => {
  const table = new Uint8Array(0x10000);
  const ranges: readonly (readonly [number, number])[] = [
    [0x00, 0x08], [0x0b, 0x0b], [0x0d, 0x1f], [0x7f, 0x9f], // controls, CR, ESC, C1
    [0x0132, 0x0133], [0x0149, 0x0149], [0x01c4, 0x01cc], [0x01f1, 0x01f3], [0xfb00, 0xfb06], // ligatures
    [0x02bc, 0x02bc], [0x2018, 0x201f], // quotes
    [0x2028, 0x2029], [0x206a, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffc], // breaks, format controls
    [0x3000, 0x3000], [0xff01, 0xffef], // widths
  ];
  for (const [first, last] of ranges) table.fill(1, first, last + 1);
  return table;
})();

function needsCharacterFixes(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) {
      if (code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) i++;
      else return true;
    } else if (CHARACTER_FIX_UNITS[code] === 1) {
      return true;
    }
  }
  return false;
}

function fixSegment(text: string, config: FixTextOptions, unescape: boolean | 'auto'): string {
  if (isInert(text)) return text;
  if (unescape === 'auto' && text.includes('<')) unescape = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const original = text;
    if (unescape !== false) text = unescapeHtml(text);
    if (config.fixEncoding) text = fixEncodingResolved(text, config);
    if (needsCharacterFixes(text)) text = applyCharacterFixes(text, config);
    if (config.normalization !== null) text = pythonNormalize(text, config.normalization);
    if (text === original) return text;
  }
  return text;
}

function applyCharacterFixes(text: string, config: FixTextOptions): string {
  if (config.fixC1Controls) text = fixC1Controls(text);
  if (config.fixLatinLigatures) text = fixLatinLigatures(text);
  if (config.fixCharacterWidth) text = fixCharacterWidth(text);
  if (config.uncurlQuotes) text = uncurlQuotes(text);
  if (config.fixLineBreaks) text = fixLineBreaks(text);
  if (config.fixSurrogates) text = fixSurrogates(text);
  if (config.removeTerminalEscapes) text = removeTerminalEscapes(text);
  if (config.removeControlChars) text = removeControlChars(text);
  return text;
}
