import type { NormalizationForm } from './config.js';
import { PYTHON_UNASSIGNED } from './tables.generated.js';

/**
 * Python's Unicode is its unicodedata's (14.0 in Python 3.11), older than JavaScript's (ICU's).
 * Characters added since are unassigned to Python: its NFC neither reorders nor composes them and
 * str.lower() keeps them, where JavaScript would reorder a newer combining mark or lowercase a
 * newer capital. Such a character is an inert starter to Python, so cutting the text around it
 * and handling the pieces with JavaScript's functions gives Python's result.
 */
const RUNS = PYTHON_UNASSIGNED.split(' ').map((run) => {
  const [first, last = first] = run.split('-').map((hex) => parseInt(hex, 16)) as [number, number?];
  return [first, last] as const;
});

/** A byte per BMP code point: one lookup per character on the common path. */
const BMP_UNASSIGNED = new Uint8Array(0x10000);
/** Astral runs, flat: first, last, first, last, ... */
const ASTRAL_UNASSIGNED: number[] = [];
for (const [first, last] of RUNS) {
  if (first <= 0xffff) BMP_UNASSIGNED.fill(1, first, Math.min(last, 0xffff) + 1);
  if (last > 0xffff) ASTRAL_UNASSIGNED.push(Math.max(first, 0x10000), last);
}

function isAstralUnassigned(codePoint: number): boolean {
  let lo = 0;
  let hi = ASTRAL_UNASSIGNED.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (codePoint < ASTRAL_UNASSIGNED[2 * mid]!) hi = mid - 1;
    else if (codePoint > ASTRAL_UNASSIGNED[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

function hasUnassigned(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (BMP_UNASSIGNED[code] === 1) return true;
    if (code >= 0xd800 && code <= 0xdbff) {
      const codePoint = text.codePointAt(i)!;
      if (codePoint > 0xffff) {
        if (isAstralUnassigned(codePoint)) return true;
        i++;
      }
    }
  }
  return false;
}

const escape = (cp: number) => `\\u{${cp.toString(16)}}`;
const UNASSIGNED_BODY = RUNS.map(([a, b]) => (a === b ? escape(a) : `${escape(a)}-${escape(b)}`)).join('');
/** Splits into pieces with the unassigned runs between them (at odd indices); built when first needed. */
let unassignedRuns: RegExp | undefined;

function splitAround(text: string, apply: (piece: string) => string): string {
  unassignedRuns ??= new RegExp(`([${UNASSIGNED_BODY}]+)`, 'u');
  return text
    .split(unassignedRuns)
    .map((piece, i) => (i % 2 === 0 ? apply(piece) : piece))
    .join('');
}

/**
 * The few newer characters JavaScript lowercases (Garay, U+A7CB, ...), where the engine can
 * intersect sets (the `v` flag, ES2024); elsewhere every unassigned character is looked for.
 */
const NEWER_CASED = (() => {
  try {
    return new RegExp(`[[${UNASSIGNED_BODY}]&&\\p{Changes_When_Lowercased}]`, 'v');
  } catch {
    return null;
  }
})();

/**
 * `unicodedata.normalize(form, text)` as Python 3.11 computes it. When JavaScript changes nothing,
 * neither does Python: its normalization differs only by treating newer characters as inert
 * starters, which moves and composes less.
 */
export function pythonNormalize(text: string, form: NormalizationForm): string {
  const normalized = text.normalize(form);
  if (normalized === text || !hasUnassigned(text)) return normalized;
  return splitAround(text, (piece) => piece.normalize(form));
}

/** Python 3.11's `str.lower()`. */
export function pythonLower(text: string): string {
  const lower = text.toLowerCase();
  if (lower === text || !(NEWER_CASED ? NEWER_CASED.test(text) : hasUnassigned(text))) return lower;
  return splitAround(text, (piece) => piece.toLowerCase());
}
