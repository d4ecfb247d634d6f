import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import {
  EncoderCache,
  MAX_NESTING_DEPTH,
  PromptError,
  encodePromptWithDialect,
  explainPrompt,
  getMulticondPromptList,
  getPromptSchedule,
  parseComfyPrompt,
  parseCompelPrompt,
  parsePromptAttention,
  tokenizeWithWeights,
  type Dialect,
} from '../src/index.js';
import { loadEncoder } from './support/engines.js';

// The prompts of issue 16 that hung the parsers, crashed them or made NaN embeddings. The time
// bounds are generous (a linear parser needs a small fraction of them); the old parsers took
// from 12 s to forever on each.

const tokenizer = CLIPTokenizer.fromPreset('sd1');
const DIALECTS: readonly Dialect[] = ['a1111', 'comfy', 'compel'];

/** Runs `fn`, failing if it takes longer than `ms`. */
function within<T>(ms: number, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  const elapsed = performance.now() - start;
  expect(elapsed, `took ${elapsed.toFixed(0)} ms`).toBeLessThan(ms);
  return result;
}

/** A megabyte of an ordinary prompt in a dialect's syntax. */
function megabyte(dialect: Dialect): string {
  const piece = {
    a1111: 'a (red:1.3) cat on a [blurry] sofa, ((masterpiece)), [dog:cat:0.5], [day|night] BREAK ',
    comfy: 'a (red:1.3) cat on a (blurry:0.8) sofa, ((masterpiece)), best quality, 4k ',
    compel: 'a (red cat)1.3 on a blurry-- sofa, (masterpiece)++, "best quality"0.9, 4k ',
  }[dialect];
  return piece.repeat(Math.ceil(1_000_000 / piece.length));
}

const nested = (depth: number, open: string, inner: string, close: string): string => open.repeat(depth) + inner + close.repeat(depth);

describe('tiny prompts that made the parsers exponential', () => {
  it('a1111: the 39-byte [[[…[cat]…]]] (18 levels)', () => {
    const prompt = nested(18, '[', 'cat', ']');
    expect(prompt).toHaveLength(39);
    expect(within(2000, () => getPromptSchedule(prompt, 20))).toEqual([[20, prompt]]);
    const [[text, weight]] = within(2000, () => parsePromptAttention(prompt)) as [[string, number]];
    expect(text).toBe('cat');
    let expected = 1.0;
    for (let i = 0; i < 18; i++) expected *= 1 / 1.1;
    expect(weight).toBe(expected);
    within(2000, () => explainPrompt(prompt, 'a1111', tokenizer));
  });

  it('a1111: 18 unbalanced [', () => {
    const prompt = '['.repeat(18) + 'cat';
    expect(within(2000, () => getPromptSchedule(prompt, 20))).toEqual([[20, prompt]]);
    within(2000, () => explainPrompt(prompt, 'a1111', tokenizer));
  });

  it('compel: 25 nested parentheses', () => {
    const prompt = nested(25, '(', 'a', ')');
    const parsed = within(2000, () => parseCompelPrompt(prompt));
    expect(parsed.prompts).toEqual([{ type: 'FlattenedPrompt', children: [{ type: 'Fragment', text: 'a', weight: 1 }] }]);
    within(2000, () => explainPrompt(prompt, 'compel', tokenizer));
  });

  it('compel: 25 nested weighted groups and quotes', () => {
    within(2000, () => parseCompelPrompt(nested(25, '(', 'a', ')1.01')));
    within(2000, () => parseCompelPrompt(`"${nested(24, '(', 'a', ')+')}"-`));
  });
});

describe('large prompts in linear time', () => {
  it('a1111: 64 kB of spaces', () => {
    const prompt = ' '.repeat(64_000);
    expect(within(2000, () => parsePromptAttention(prompt))).toEqual([[prompt, 1]]);
    within(2000, () => getMulticondPromptList([prompt + 'x']));
    within(2000, () => getPromptSchedule(prompt, 20));
    within(3000, () => explainPrompt(prompt, 'a1111', tokenizer));
  });

  it('a1111: <lora:x:1> 20,000 and 50,000 times (merging ~250k equal pieces one by one was quadratic)', () => {
    for (const times of [20_000, 50_000]) {
      const prompt = '<lora:x:1>'.repeat(times);
      expect(within(2000, () => parsePromptAttention(prompt))).toEqual([[prompt, 1]]);
      within(2000, () => getPromptSchedule(prompt, 20));
      within(5000, () => explainPrompt(prompt, 'a1111', tokenizer));
    }
  });

  for (const dialect of DIALECTS) {
    it(`${dialect}: a 1 MB ordinary prompt`, () => {
      const prompt = megabyte(dialect);
      const explained = within(10_000, () => explainPrompt(prompt, dialect, tokenizer));
      expect(explained.pieces.length).toBeGreaterThan(10_000);
      if (dialect === 'a1111') within(5000, () => getPromptSchedule(prompt, 20));
    }, 60_000);
  }

  it('comfy: a 1 MB word is cut into chunks without copying the rest each time', () => {
    const chunks = within(10_000, () => tokenizeWithWeights('abcdefghij'.repeat(100_000), tokenizer));
    expect(chunks.length).toBeGreaterThan(1000);
  }, 60_000);

  it('compel: a megabyte of "+" signs', () => {
    expect(() => within(2000, () => explainPrompt(`a${'+'.repeat(1_000_000)}`, 'compel', tokenizer))).toThrow(/not a finite number/);
  });
});

describe(`nesting: up to ${MAX_NESTING_DEPTH} levels, then a PromptError that names the limit`, () => {
  const shapes: Record<Dialect, (depth: number) => string[]> = {
    a1111: (d) => [nested(d, '(', 'a', ')'), nested(d, '[', 'a', ']'), nested(d, '[a:', 'b', ':0.5]'), nested(d, '[a|', 'b', ']'), nested(d, '(a', '', ')')],
    comfy: (d) => [nested(d, '(', 'a', ')'), nested(d, '(', 'a', ':1.1)'), nested(d, '(a', '', ')')],
    compel: (d) => [nested(d, '(', 'a', ')'), nested(d, '(', 'a', ')1.1'), nested(d, '(', 'a', ').attend(1.1)'), nested(d, 'a.swap(', 'b', ')')],
  };
  for (const dialect of DIALECTS) {
    it(`${dialect}: ${MAX_NESTING_DEPTH} levels parse`, () => {
      for (const prompt of shapes[dialect](MAX_NESTING_DEPTH)) within(2000, () => explainPrompt(prompt, dialect, tokenizer));
    });
    it(`${dialect}: ${MAX_NESTING_DEPTH + 1} and 10,000 levels are refused, never a stack overflow`, () => {
      for (const depth of [MAX_NESTING_DEPTH + 1, 10_000]) {
        for (const prompt of shapes[dialect](depth)) {
          expect(() => within(1000, () => explainPrompt(prompt, dialect, tokenizer))).toThrow(PromptError);
          expect(() => explainPrompt(prompt, dialect, tokenizer)).toThrow(/at most 256 deep \(at position \d+\)/);
        }
      }
    });
  }
  it('each parser on its own refuses too (comfy recursed per level and overflowed the stack)', () => {
    const deep = nested(10_000, '(', 'a', ')');
    for (const parse of [parsePromptAttention, (p: string) => getPromptSchedule(p, 20), parseComfyPrompt, parseCompelPrompt]) {
      expect(() => within(1000, () => parse(deep))).toThrow(/opens nesting level 257: prompts may nest brackets at most 256 deep \(at position 256\)/);
    }
  });
});

describe('weights that are not finite numbers are refused with the piece and its position', () => {
  const nines = '9'.repeat(400);
  it('a1111: (cat:99…9) and an AND weight of 400 digits', () => {
    expect(() => parsePromptAttention(`a (cat:${nines})`)).toThrow(/the weight of ":9+\.\.\." is Infinity, not a finite number \(at position 6\)/);
    expect(() => explainPrompt(`(cat:${nines})`, 'a1111', tokenizer)).toThrow(PromptError);
    expect(() => getMulticondPromptList([`a AND b :${nines}`])).toThrow(/is Infinity, not a finite number \(at position 9\)/);
    // Finite weights that overflow together.
    const big = `1${'0'.repeat(200)}`;
    expect(() => parsePromptAttention(`((cat:${big}):${big})`)).toThrow(/the weights around "cat" multiply to Infinity, not a finite number \(at position 2\)/);
    expect(() => parsePromptAttention(`a, b, ((cat:${big}):${big})`)).toThrow(/around "cat" multiply to Infinity, not a finite number \(at position 8\)/);
  });

  it('comfy: (cat:nan), (cat:inf), (cat:99…9) on the way to embeddings', () => {
    for (const [prompt, value] of [
      ['a (cat:nan)', 'NaN'],
      ['a (cat:inf)', 'Infinity'],
      [`a (cat:${nines})`, 'Infinity'],
      ['a (cat:-infinity)', '-Infinity'],
    ] as const) {
      const message = new RegExp(`the weight of "\\(cat:.*" is ${value}, not a finite number \\(at position 2\\)`);
      expect(() => tokenizeWithWeights(prompt, tokenizer)).toThrow(message);
      expect(() => explainPrompt(prompt, 'comfy', tokenizer)).toThrow(message);
      expect(() => parseComfyPrompt(prompt, { finiteWeights: true })).toThrow(message);
    }
    // What ComfyUI itself returns (the fixtures pin it): the parse alone keeps it.
    expect(parseComfyPrompt('(cat:nan)')[0]!.weight).toBeNaN();
  });

  it('compel: (cat)99…9, a++…+, .blend(inf, 1), nested overflow', () => {
    const cases: [string, RegExp][] = [
      [`a (cat)${nines}`, /the weight here is Infinity, not a finite number \(at position 2\)/],
      [`a cat${'+'.repeat(8000)}`, /the weight here is Infinity, not a finite number \(at position 2\)/],
      [`("a", "b").blend(inf, 1)`, /the weight of "\.blend\(\)" is Infinity, not a finite number \(at position 0\)/],
      [`("a", "b").and(1, nan)`, /the weight of "\.and\(\)" is NaN, not a finite number \(at position 0\)/],
      [`x,useLora(l, ${nines})`, /the weight of "useLora\(l\)" is Infinity, not a finite number \(at position 2\)/],
      [`((cat)1${'0'.repeat(200)})1${'0'.repeat(200)}`, /the nested weights multiply to Infinity here, not a finite number \(at position 1\)/],
    ];
    for (const [prompt, message] of cases) {
      expect(() => explainPrompt(prompt, 'compel', tokenizer), prompt).toThrow(message);
      expect(() => parseCompelPrompt(prompt, { finiteWeights: true }), prompt).toThrow(message);
    }
    // compel returns these (the fixtures pin .blend(inf, nan)); the parse alone keeps them.
    expect(parseCompelPrompt(`("a", "b").blend(inf, 1)`).prompts[0]).toMatchObject({ weights: [Infinity, 1] });
  });

  it('positions count from the prompt as given (compel adds spaces after commas and expands tabs)', () => {
    expect(() => explainPrompt(`a,b,\tc,d (cat)${nines}`, 'compel', tokenizer)).toThrow(/at position 9\)/);
  });

  it('encodePromptWithDialect refuses before writing an embedding, in every dialect', async () => {
    const cache = new EncoderCache(await loadEncoder('sd1-tiny', 'onnx'));
    const prompts: Record<Dialect, string> = { a1111: `(cat:${nines})`, comfy: '(cat:nan)', compel: `(cat)${nines}` };
    for (const dialect of DIALECTS) {
      await expect(encodePromptWithDialect(prompts[dialect], dialect, tokenizer, cache)).rejects.toThrow(PromptError);
    }
    expect(cache.encoderCalls).toBe(0);
  });
});
