// REFERENCE ONLY: src/a1111/parse-attention.ts as it was before the parsers were made linear, unchanged but
// for import paths. It matched the originals on every fixture but is exponential or quadratic on
// hostile prompts; test/parsers-fuzz.test.ts checks that the current parsers give the same
// answers on small random prompts. Not for use outside the tests.

import { pythonFloat } from '../../../src/python-float.js';
import { PY_BOUNDARY_AFTER, PY_BOUNDARY_BEFORE, PY_SPACE } from '../../../src/python-re.js';

/** A piece of prompt text and its emphasis; `BREAK` pieces carry weight -1, as in the webui. */
export type WeightedText = [text: string, weight: number];

// webui's re_attention, alternative for alternative. Order matters: escapes first, then the
// brackets, then `:weight)` (spaces allowed around the number since webui 1.6), then plain text.
const RE_ATTENTION = new RegExp(
  [
    '\\\\\\(',
    '\\\\\\)',
    '\\\\\\[',
    '\\\\\\]',
    '\\\\\\\\',
    '\\\\',
    '\\(',
    '\\[',
    // Python's \d is any Unicode decimal digit ("(a:١.٥)" weighs 1.5 in the webui).
    `:[${PY_SPACE}]*([+-]?[.\\p{Nd}]+)[${PY_SPACE}]*\\)`,
    '\\)',
    '\\]',
    '[^\\\\()\\[\\]:]+',
    ':',
  ].join('|'),
  'gu',
);

const RE_BREAK = new RegExp(`[${PY_SPACE}]*${PY_BOUNDARY_BEFORE}BREAK${PY_BOUNDARY_AFTER}[${PY_SPACE}]*`, 'u');

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;

/** webui's float() on the `[+-]?[.\d]+` it matched: "1.2.3" or "." raise there, and here. */
function parseWeight(text: string): number {
  const value = pythonFloat(text);
  if (value === undefined) throw new Error(`could not convert string to float: '${text}'`);
  return value;
}

/**
 * AUTOMATIC1111's `parse_prompt_attention`: `(x)` multiplies by 1.1, `[x]` divides by 1.1,
 * `(x:w)` multiplies by w, `\(` etc. are literals, unbalanced brackets close at the end, and
 * `BREAK` becomes `["BREAK", -1]`. Adjacent pieces of equal weight are merged.
 */
export function parsePromptAttention(text: string): WeightedText[] {
  const res: WeightedText[] = [];
  const roundBrackets: number[] = [];
  const squareBrackets: number[] = [];

  // Multiplies every piece from `start` on: weights compound exactly in webui's order, so the
  // float results are bit-identical (1.1 * 1.1 * 1.3, not 1.3 * 1.21).
  const multiplyRange = (start: number, multiplier: number): void => {
    for (let p = start; p < res.length; p++) res[p]![1] *= multiplier;
  };

  for (const m of text.matchAll(RE_ATTENTION)) {
    const token = m[0];
    const weight = m[1];
    if (token.startsWith('\\')) {
      res.push([token.slice(1), 1.0]);
    } else if (token === '(') {
      roundBrackets.push(res.length);
    } else if (token === '[') {
      squareBrackets.push(res.length);
    } else if (weight !== undefined && roundBrackets.length > 0) {
      multiplyRange(roundBrackets.pop()!, parseWeight(weight));
    } else if (token === ')' && roundBrackets.length > 0) {
      multiplyRange(roundBrackets.pop()!, ROUND_MULTIPLIER);
    } else if (token === ']' && squareBrackets.length > 0) {
      multiplyRange(squareBrackets.pop()!, SQUARE_MULTIPLIER);
    } else {
      token.split(RE_BREAK).forEach((part, i) => {
        if (i > 0) res.push(['BREAK', -1]);
        res.push([part, 1.0]);
      });
    }
  }

  for (const pos of roundBrackets) multiplyRange(pos, ROUND_MULTIPLIER);
  for (const pos of squareBrackets) multiplyRange(pos, SQUARE_MULTIPLIER);

  if (res.length === 0) res.push(['', 1.0]);

  // Merge runs of identical weights (BREAK's -1 never equals a real weight... unless one is -1,
  // exactly as in webui).
  let i = 0;
  while (i + 1 < res.length) {
    if (res[i]![1] === res[i + 1]![1]) {
      res[i]![0] += res[i + 1]![0];
      res.splice(i + 1, 1);
    } else {
      i++;
    }
  }
  return res;
}
