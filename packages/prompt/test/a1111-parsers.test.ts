import { describe, expect, it } from 'vitest';
import { PromptError, getLearnedConditioningPromptSchedules, getMulticondPromptList, getPromptSchedule, parsePromptAttention, type ScheduleOptions } from '../src/index.js';
import { PARSER_FIXTURES, type Outcome } from './parser-fixtures.js';

/**
 * Each exception webui raises on a fixture prompt, and the error it must be here. Anything else
 * thrown (a TypeError, a RangeError from a stack overflow, a PromptError of another kind) is a
 * crash, not webui's answer, and fails the test.
 */
const WEBUI_EXCEPTIONS: Record<string, (e: unknown) => boolean> = {
  // float("1.2.3") in parse_prompt_attention: the weight is not a number.
  ValueError: (e) => e instanceof PromptError && /^could not convert string to float: '.*'/.test(e.message),
};

function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: fn() };
  } catch (e) {
    const name = Object.keys(WEBUI_EXCEPTIONS).find((n) => WEBUI_EXCEPTIONS[n]!(e));
    if (name === undefined) throw e;
    return { error: name };
  }
}

const SCHEDULES: Record<string, [number, ScheduleOptions]> = {
  '10': [10, {}],
  '20': [20, {}],
  '10+20': [10, { hiresSteps: 20 }],
  '10+20old': [10, { hiresSteps: 20, useOldScheduling: true }],
};

describe('webui doctests (verbatim, with what webui code returns)', () => {
  let steps: [number, ScheduleOptions] = [10, {}];
  for (const t of PARSER_FIXTURES.doctests) {
    if (t.setup) {
      // "g = lambda p: get_learned_conditioning_prompt_schedules([p], 10, 10)[0]" switches to hires.
      steps = /\[p\], 10, 10\)/.test(t.source) ? [10, { hiresSteps: 10 }] : [10, {}];
      continue;
    }
    const [base, options] = steps;
    it(t.source, () => {
      const arg = /\((['"])(.*)\1\)/.exec(t.source.split('  #')[0]!)![2]!.replace(/\\\\/g, '\\');
      const actual = t.function === 'parse_prompt_attention' ? parsePromptAttention(arg) : getPromptSchedule(arg, base, options);
      expect(actual).toEqual(t.actual);
      // One doctest ("a [{b|d{:.5] c", marked "not handling this right now") documents output the
      // webui code does not produce; every other one is exact as written.
      if (!t.source.includes('not handling this right now')) expect(actual).toEqual(t.expected);
    });
  }
});

describe('A1111 parsers against webui on every fixture prompt', () => {
  const cases = PARSER_FIXTURES.cases;
  it(`parse_prompt_attention (${cases.length} prompts)`, () => {
    for (const c of cases) expect(outcome(() => parsePromptAttention(c.prompt)), JSON.stringify(c.prompt)).toEqual(c.a1111.attention);
  });
  for (const [key, [base, options]] of Object.entries(SCHEDULES)) {
    it(`prompt schedules ${key}`, () => {
      let ambiguous = 0;
      for (const c of cases) {
        const answers = c.a1111.schedules[key as keyof typeof c.a1111.schedules];
        const actual = outcome(() => getPromptSchedule(c.prompt, base, options));
        if (answers.length === 1) {
          expect(actual, JSON.stringify(c.prompt)).toEqual(answers[0]);
        } else {
          // webui's own answer changes with PYTHONHASHSEED here: ours must be one of its answers.
          ambiguous++;
          expect(answers, JSON.stringify(c.prompt)).toContainEqual(actual);
        }
      }
      expect(ambiguous).toBeLessThan(10);
    });
  }
  it("the batch form, webui's get_learned_conditioning_prompt_schedules(prompts, steps), on every prompt webui schedules one way", () => {
    for (const [key, [base, options]] of Object.entries(SCHEDULES)) {
      const single = cases.filter((c) => {
        const answers = c.a1111.schedules[key as keyof typeof c.a1111.schedules];
        return answers.length === 1 && 'ok' in answers[0]!;
      });
      const batch = getLearnedConditioningPromptSchedules(single.map((c) => c.prompt), base, options);
      expect(batch, key).toEqual(single.map((c) => (c.a1111.schedules[key as keyof typeof c.a1111.schedules][0] as { ok: unknown }).ok));
      expect(single.length, key).toBeGreaterThan(400);
    }
  });

  it('maps each webui exception to its error here, and nothing else', () => {
    const raised = PARSER_FIXTURES.cases.flatMap((c) => [c.a1111.attention, ...Object.values(c.a1111.schedules).flat(), c.a1111.multicond]).filter((o) => 'error' in o);
    expect(raised.length).toBeGreaterThan(0);
    for (const o of raised) expect(Object.keys(WEBUI_EXCEPTIONS)).toContain((o as { error: string }).error);
    expect(() => outcome(() => parsePromptAttention(null as unknown as string))).toThrow(TypeError);
    expect(() => outcome(() => getPromptSchedule('a', 0))).toThrow(RangeError);
  });

  it('AND multicond lists', () => {
    for (const c of cases) {
      const { indexes, flatList } = getMulticondPromptList([c.prompt]);
      const actual = [indexes.map((parts) => parts.map((p) => [p.index, p.weight])), flatList];
      expect({ ok: actual }, JSON.stringify(c.prompt)).toEqual(c.a1111.multicond);
    }
  });
});
