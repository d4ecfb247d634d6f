import fc from 'fast-check';
import { PromptError } from '../../src/index.js';

/** Runs per property: a short budget by default, SDTEXT_FUZZ_RUNS for a long run. */
export const FUZZ_RUNS = Number(process.env['SDTEXT_FUZZ_RUNS'] ?? 150);

/**
 * Wall-clock bound per call on small random prompts. A linear parser takes microseconds; the
 * exponential ones this guards against take seconds from about 15 nesting levels on.
 */
export const CALL_BUDGET_MS = 250;

/**
 * Calls `fn` and checks that it ends in time and either returns or throws the package's own
 * PromptError: never RangeError (stack overflow), TypeError or any other crash.
 */
export function returnsOrRefuses<T>(fn: () => T, budgetMs = CALL_BUDGET_MS, what = 'call'): T | PromptError {
  const start = performance.now();
  let outcome: T | PromptError;
  try {
    outcome = fn();
  } catch (error) {
    if (!(error instanceof PromptError)) throw error;
    outcome = error;
  }
  const elapsed = performance.now() - start;
  if (elapsed > budgetMs) throw new Error(`${what} took ${elapsed.toFixed(0)} ms (budget ${budgetMs} ms)`);
  return outcome;
}

/** A lone UTF-16 surrogate. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Any text: every code point, lone surrogates, NUL and the Python-only spaces (U+001C, U+0085). */
export const anyText = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: loneSurrogate },
    { weight: 1, arbitrary: fc.constantFrom('\0', '\x1c', '\x85', '\u3000', '\t', '\n', '\u0661', '\u{1d7ce}') },
  ),
  maxLength: 80,
});

/** Every character any dialect treats specially, words that matter, and a few letters and digits. */
const SYNTAX_PIECES = [
  '(', ')', '[', ']', ':', '|', '\\', '"', ',', '.', '+', '-', ' ', '\n', '\t', '=',
  'BREAK', 'AND', 'a', 'cat', '1', '0.5', '1.3', '2', 'é', '١', 'inf', 'nan', 'e9',
  '.blend(', '.and(', '.swap(', '.attend(', 'useLora(', 'withLora(', '<lora:x:1>', ', ', '\\(', '\\)',
];

/** Brackets-heavy text: short runs of the dialects' syntax. */
export const syntaxText = fc.array(fc.constantFrom(...SYNTAX_PIECES), { maxLength: 60 }).map((parts) => parts.join(''));

const word = fc.constantFrom('a', 'cat', 'red dog', 'masterpiece', 'blue sky', 'é', '١٢', 'x');
const number = fc.oneof(
  fc.constantFrom('0', '1', '1.5', '0.8', '.5', '2.', '-1', '+0.3', '1e3', '١.٥', 'inf', 'nan', '9'.repeat(400)),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }).map((v) => String(Math.round(v * 100) / 100)),
);

/** Prompts built from the grammars: nested emphasis, weights, schedules, alternation, BREAK, AND, compel calls, loras. */
export const grammarText: fc.Arbitrary<string> = fc
  .letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      word,
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a} ${b}`),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a}, ${b}`),
      tie('node').map((a) => `(${a})`),
      tie('node').map((a) => `[${a}]`),
      fc.tuple(tie('node'), number).map(([a, w]) => `(${a}:${w})`),
      fc.tuple(tie('node'), tie('node'), number).map(([a, b, w]) => `[${a}:${b}:${w}]`),
      fc.tuple(tie('node'), number).map(([a, w]) => `[${a}:${w}]`),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `[${a}|${b}]`),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a} BREAK ${b}`),
      fc.tuple(tie('node'), tie('node'), number).map(([a, b, w]) => `${a} AND ${b} :${w}`),
      fc.tuple(tie('node'), number).map(([a, w]) => `(${a})${w}`),
      fc.tuple(tie('node'), fc.constantFrom('+', '++', '-', '---')).map(([a, s]) => `(${a})${s}`),
      fc.tuple(word, fc.constantFrom('+', '++', '-', '--')).map(([a, s]) => `${a}${s}`),
      fc.tuple(tie('node'), number).map(([a, w]) => `"${a}"${w}`),
      fc.tuple(tie('node'), number).map(([a, w]) => `(${a}).attend(${w})`),
      fc.tuple(tie('node'), tie('node'), number, number).map(([a, b, w, v]) => `("${a}", "${b}").blend(${w}, ${v})`),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `("${a}", "${b}").and()`),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `(${a}).swap(${b})`),
      fc.tuple(word, number).map(([a, w]) => `useLora(${a.replace(/\W/g, '')}, ${w})`),
      fc.tuple(word, number).map(([a, w]) => `<lora:${a}:${w}>`),
      tie('node').map((a) => `\\(${a}\\)`),
    ),
  }))
  .node;

/** A short random piece repeated to about `size` characters: catches quadratic time (but not with 80-character inputs). */
export function repeatedText(size: number): fc.Arbitrary<string> {
  return fc.oneof(syntaxText, grammarText, anyText)
    .filter((s) => s.length > 0)
    .map((s) => s.repeat(Math.ceil(size / s.length)));
}
