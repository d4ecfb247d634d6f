import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import {
  CompelSyntaxError,
  PromptError,
  explainPrompt,
  getMulticondPromptList,
  getPromptSchedule,
  parseComfyPrompt,
  parseCompelPrompt,
  parsePromptAttention,
  parseScheduleTree,
  type Dialect,
} from '../src/index.js';
import { FUZZ_RUNS, anyText, grammarText, repeatedText, returnsOrRefuses, syntaxText } from './support/fuzz.js';
import * as referenceAttention from './support/reference/a1111-attention.js';
import * as referenceMulticond from './support/reference/a1111-multicond.js';
import * as referenceSchedule from './support/reference/a1111-schedule-grammar.js';
import * as referenceComfy from './support/reference/comfy-weights.js';
import * as referenceCompel from './support/reference/compel-parse.js';

// Every parser, and the chunking with the real CLIP tokenizer, on random prompts: each call ends
// within its budget and returns or throws PromptError. Then the linear parsers against the old
// ones (exact on the originals' fixtures, but exponential: small prompts only) answer for answer.

const tokenizer = CLIPTokenizer.fromPreset('sd1');
const DIALECTS: readonly Dialect[] = ['a1111', 'comfy', 'compel'];
const TEXTS = { 'any Unicode': anyText, 'syntax-heavy': syntaxText, 'grammar-shaped': grammarText };

/** Inputs that once failed a property here (kept as regressions). */
const FOUND: string[] = [
  '[[[[[[[[[[[[[[[[[[cat]]]]]]]]]]]]]]]]]]',
  '[[[[[[[[[[[[[[[[[[cat',
  '((((((((((((((((((((((((a))))))))))))))))))))))))',
  '(cat:nan)',
  `(cat:${'9'.repeat(400)})`,
  'a,\tb,c\t,"d"',
  // a .swap() inside a .swap(): tokenizeCompel read the inner one as a fragment (TypeError)
  '(a BREAK (a).swap(a)).swap(a)',
];

function parseAll(prompt: string, dialect: Dialect): void {
  if (dialect === 'a1111') {
    returnsOrRefuses(() => parsePromptAttention(prompt), undefined, 'parsePromptAttention');
    returnsOrRefuses(() => getPromptSchedule(prompt, 20), undefined, 'getPromptSchedule');
    returnsOrRefuses(() => getMulticondPromptList([prompt]), undefined, 'getMulticondPromptList');
  } else if (dialect === 'comfy') {
    returnsOrRefuses(() => parseComfyPrompt(prompt), undefined, 'parseComfyPrompt');
  } else {
    returnsOrRefuses(() => parseCompelPrompt(prompt), undefined, 'parseCompelPrompt');
  }
  const explained = returnsOrRefuses(() => explainPrompt(prompt, dialect, tokenizer), undefined, 'explainPrompt');
  if (!(explained instanceof PromptError)) {
    // What reaches the encoder is always finite.
    for (const chunk of explained.chunks) {
      expect(chunk.tokens).toHaveLength(77);
      for (const w of chunk.weights) expect(Number.isFinite(w), JSON.stringify(prompt)).toBe(true);
    }
  }
}

describe('every parser returns or refuses in time, on any prompt', () => {
  explainPrompt('warm up', 'a1111', tokenizer);
  for (const dialect of DIALECTS) {
    for (const [name, texts] of Object.entries(TEXTS)) {
      it(`${dialect}: ${name} text`, () => {
        fc.assert(
          fc.property(texts, (prompt) => parseAll(prompt, dialect)),
          { numRuns: FUZZ_RUNS, examples: FOUND.map((p) => [p]) },
        );
      });
    }
    it(`${dialect}: a random piece repeated to 64 kB, in linear time`, () => {
      fc.assert(
        fc.property(repeatedText(64_000), (prompt) => {
          returnsOrRefuses(() => explainPrompt(prompt, dialect, tokenizer), 3000, 'explainPrompt (64 kB)');
          if (dialect === 'a1111') returnsOrRefuses(() => getPromptSchedule(prompt, 20), 3000, 'getPromptSchedule (64 kB)');
        }),
        { numRuns: Math.max(3, Math.round(FUZZ_RUNS / 15)) },
      );
    });
  }
});

/** How many brackets a prompt opens: the old parsers take about 4^n steps on n nested ones. */
const opens = (s: string): number => s.replace(/[^([]/g, '').length;
const small = <T>(texts: fc.Arbitrary<string>, n: number) => texts.filter((s) => opens(s) <= n) as fc.Arbitrary<T & string>;
const ASCII_DIGITS_ONLY = (s: string): boolean => !/[^\0-\x7f]*\p{Nd}/u.test(s.replace(/[0-9]/g, ''));

describe('the linear parsers answer as the old ones did (small prompts)', () => {
  for (const [name, texts] of Object.entries(TEXTS)) {
    it(`a1111 parse_prompt_attention: ${name}`, () => {
      fc.assert(
        fc.property(texts, (prompt) => {
          let expected: referenceAttention.WeightedText[] | 'raises';
          try {
            expected = referenceAttention.parsePromptAttention(prompt);
          } catch {
            expected = 'raises';
          }
          const finite = expected !== 'raises' && expected.every(([, w]) => Number.isFinite(w));
          if (finite) expect(parsePromptAttention(prompt)).toEqual(expected);
          else expect(() => parsePromptAttention(prompt)).toThrow(PromptError);
        }),
        { numRuns: FUZZ_RUNS, examples: FOUND.map((p) => [p]) },
      );
    });

    it(`a1111 schedule tree: ${name}`, () => {
      fc.assert(
        fc.property(small(texts, 9), (prompt) => {
          expect(parseScheduleTree(prompt)).toEqual(referenceSchedule.parseScheduleTree(prompt));
        }),
        { numRuns: FUZZ_RUNS },
      );
    });

    it(`a1111 AND weights: ${name}`, () => {
      fc.assert(
        // The old one read only ASCII digits in ":1.2" (Python's \d reads any), the one change.
        fc.property(texts.filter(ASCII_DIGITS_ONLY), (prompt) => {
          const expected = referenceMulticond.getMulticondPromptList([prompt]);
          const weights = expected.indexes.flat().map((p) => p.weight);
          if (weights.every(Number.isFinite)) expect(getMulticondPromptList([prompt])).toEqual(expected);
          else expect(() => getMulticondPromptList([prompt])).toThrow(PromptError);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });

    it(`comfy token_weights: ${name}`, () => {
      fc.assert(
        fc.property(texts, (prompt) => {
          expect(parseComfyPrompt(prompt)).toEqual(referenceComfy.parseComfyPrompt(prompt));
        }),
        { numRuns: FUZZ_RUNS, examples: FOUND.map((p) => [p]) },
      );
    });

    it(`compel parse_conjunction: ${name}`, () => {
      const outcome = (parse: () => unknown): unknown => {
        try {
          return { ok: parse() };
        } catch (e) {
          if (e instanceof CompelSyntaxError) return { error: e.pythonType };
          throw e;
        }
      };
      fc.assert(
        fc.property(small(texts, 7), (prompt) => {
          expect(outcome(() => parseCompelPrompt(prompt))).toEqual(outcome(() => referenceCompel.parseCompelPrompt(prompt)));
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  }
});
