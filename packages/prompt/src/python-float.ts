import { isPythonSpaceChar } from './python-re.js';

// Python's float(str): surrounding whitespace is stripped, underscores may separate digits,
// "inf"/"infinity"/"nan" are accepted in any case, and anything else raises ValueError. The
// originals call float() on user text and either crash (A1111) or fall back (ComfyUI), so the
// exact set of accepted strings decides what a prompt means.

const DIGITS = '[0-9](?:_?[0-9])*';
const FLOAT_SYNTAX = new RegExp(
  `^[+-]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf(?:inity)?|nan)$`,
  'i',
);

/**
 * The value of a Unicode decimal digit: Nd digits come in runs of ten from their zero, and runs
 * that touch (the mathematical digits) are whole tens, so the offset from the run's start, mod 10.
 */
function digitValue(digit: string): string {
  let start = digit.codePointAt(0)!;
  while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
  return String((digit.codePointAt(0)! - start) % 10);
}

/** Python's float(text), or undefined where Python raises ValueError. */
export function pythonFloat(text: string): number | undefined {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpaceChar(text[start]!)) start++;
  while (end > start && isPythonSpaceChar(text[end - 1]!)) end--;
  // float() reads any Unicode decimal digit as its ASCII twin ("١.٥" is 1.5).
  const body = text.slice(start, end).replace(/[\u0080-\u{10ffff}]/gu, (c) => (/\p{Nd}/u.test(c) ? digitValue(c) : c));
  if (!FLOAT_SYNTAX.test(body)) return undefined;
  const lower = body.toLowerCase().replace(/_/g, '');
  const sign = lower.startsWith('-') ? -1 : 1;
  const unsigned = lower.replace(/^[+-]/, '');
  if (unsigned.startsWith('inf')) return sign * Infinity;
  if (unsigned === 'nan') return NaN;
  return sign * Number(unsigned);
}
