import type { NormalizationForm } from './config.js';
import { PYTHON_UNASSIGNED } from './tables.generated.js';

/**
 * Python's Unicode is its unicodedata's (14.0 in Python 3.11), older than JavaScript's (ICU's).
 * Characters added since are unassigned to Python: its NFC neither reorders nor composes them and
 * str.lower() keeps them, where JavaScript would reorder a newer combining mark or lowercase a
 * newer capital. Such a character is an inert starter to Python, so cutting the text around it
 * and handling the pieces with JavaScript's functions gives Python's result.
 */
function classBody(ranges: string): string {
  const escape = (cp: number) => `\\u{${cp.toString(16)}}`;
  return ranges
    .split(' ')
    .map((run) => run.split('-').map((hex) => escape(parseInt(hex, 16))).join('-'))
    .join('');
}

const UNASSIGNED_BODY = classBody(PYTHON_UNASSIGNED);
const UNASSIGNED = new RegExp(`[${UNASSIGNED_BODY}]`, 'u');
/** Splits into pieces with the unassigned runs between them (at odd indices). */
const UNASSIGNED_RUNS = new RegExp(`([${UNASSIGNED_BODY}]+)`, 'u');
// eslint-disable-next-line no-control-regex -- the whole ASCII range
const NON_ASCII = /[^\x00-\x7f]/;

function aroundUnassigned(text: string, apply: (piece: string) => string): string {
  if (!NON_ASCII.test(text) || !UNASSIGNED.test(text)) return apply(text);
  return text
    .split(UNASSIGNED_RUNS)
    .map((piece, i) => (i % 2 === 0 ? apply(piece) : piece))
    .join('');
}

/** `unicodedata.normalize(form, text)` as Python 3.11 computes it. */
export function pythonNormalize(text: string, form: NormalizationForm): string {
  return aroundUnassigned(text, (piece) => piece.normalize(form));
}

/** Python 3.11's `str.lower()`. */
export function pythonLower(text: string): string {
  return aroundUnassigned(text, (piece) => piece.toLowerCase());
}
