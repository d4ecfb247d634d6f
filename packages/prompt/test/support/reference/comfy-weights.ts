// REFERENCE ONLY: src/comfy/parse-weights.ts as it was before the parsers were made linear, unchanged but
// for import paths. It matched the originals on every fixture but is exponential or quadratic on
// hostile prompts; test/parsers-fuzz.test.ts checks that the current parsers give the same
// answers on small random prompts. Not for use outside the tests.

import { pythonFloat } from '../../../src/python-float.js';

/** A piece of prompt text and its absolute weight. */
export interface ComfyWeightedText {
  text: string;
  weight: number;
}

/**
 * ComfyUI's `parse_parentheses`: splits the top level into plain runs and balanced `( … )`
 * groups (an unclosed group runs to the end; a stray ")" drives the nesting negative, as there).
 */
export function parseParentheses(text: string): string[] {
  const result: string[] = [];
  let current = '';
  let nesting = 0;
  for (const ch of text) {
    if (ch === '(') {
      if (nesting === 0) {
        if (current) result.push(current);
        current = '(';
      } else {
        current += ch;
      }
      nesting++;
    } else if (ch === ')') {
      nesting--;
      if (nesting === 0) {
        result.push(current + ')');
        current = '';
      } else {
        current += ch;
      }
    } else {
      current += ch;
    }
  }
  if (current) result.push(current);
  return result;
}

/**
 * ComfyUI's `token_weights`: `(x)` is 1.1 times the enclosing weight, `(x:w)` is w *absolute*
 * (not multiplied), and a `:w` Python's float() rejects leaves the text and the 1.1 alone.
 */
export function tokenWeights(text: string, currentWeight: number): ComfyWeightedText[] {
  const out: ComfyWeightedText[] = [];
  for (let x of parseParentheses(text)) {
    let weight = currentWeight;
    if (x.length >= 2 && x.endsWith(')') && x.startsWith('(')) {
      x = x.slice(1, -1);
      const colon = x.lastIndexOf(':');
      weight *= 1.1;
      if (colon > 0) {
        const parsed = pythonFloat(x.slice(colon + 1));
        if (parsed !== undefined) {
          weight = parsed;
          x = x.slice(0, colon);
        }
      }
      out.push(...tokenWeights(x, weight));
    } else {
      out.push({ text: x, weight: currentWeight });
    }
  }
  return out;
}

// Escaped parentheses survive parsing as private control pairs, as in ComfyUI.
const ESCAPED_CLOSE = '\0\x01';
const ESCAPED_OPEN = '\0\x02';

export function escapeImportant(text: string): string {
  return text.replaceAll('\\)', ESCAPED_CLOSE).replaceAll('\\(', ESCAPED_OPEN);
}

export function unescapeImportant(text: string): string {
  return text.replaceAll(ESCAPED_CLOSE, ')').replaceAll(ESCAPED_OPEN, '(');
}

/** The whole ComfyUI prompt parse: escapes, `token_weights`, unescaped texts. */
export function parseComfyPrompt(text: string): ComfyWeightedText[] {
  return tokenWeights(escapeImportant(text), 1.0).map(({ text: t, weight }) => ({ text: unescapeImportant(t), weight }));
}
