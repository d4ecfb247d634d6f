import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompelSyntaxError, exactPow, parseCompelPrompt } from '../src/compel/index.js';
import type { CompelConjunction } from '../src/compel/index.js';
import { PARSER_FIXTURES } from './parser-fixtures.js';

/** Our structures as scripts/make_parser_fixtures.py's compel_node writes compel's (non-finite numbers as strings). */
function asRecorded(c: CompelConjunction): unknown {
  const num = (v: number): number | string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v);
  const node = (p: CompelConjunction['prompts'][number]): unknown =>
    p.type === 'Blend'
      ? { type: 'Blend', prompts: p.prompts.map(node), weights: p.weights.map(num), normalize: p.normalize }
      : { type: 'FlattenedPrompt', children: p.children.map((f) => (f.type === 'Fragment' ? { type: 'Fragment', text: f.text, weight: num(f.weight) } : f)) };
  return { type: 'Conjunction', prompts: c.prompts.map(node), weights: c.weights.map(num) };
}

function outcome(prompt: string): unknown {
  try {
    return { ok: asRecorded(parseCompelPrompt(prompt)) };
  } catch (e) {
    if (e instanceof CompelSyntaxError) return { error: e.pythonType };
    throw e;
  }
}

describe("compel's parser against src/compel/prompt_parser.py (parsers.json)", () => {
  it.each(PARSER_FIXTURES.cases.map((c) => [c.prompt, c.compel] as const))('%j', (prompt, expected) => {
    expect(outcome(prompt)).toEqual(expected);
  });
});

describe("compel's parser against compel.json (loras, .swap(), errors, compel-specific prompts)", () => {
  const fixture = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./fixtures/compel.json', import.meta.url)), 'utf8')) as {
    parse: { prompt: string; compel: unknown }[];
  };
  const full = (prompt: string): unknown => {
    try {
      const c = parseCompelPrompt(prompt);
      return { ok: { ...(asRecorded(c) as object), loras: c.loras.map((l) => ({ ...l, weight: l.weight })) } };
    } catch (e) {
      if (e instanceof CompelSyntaxError) return { error: e.pythonType };
      throw e;
    }
  };
  it.each(fixture.parse.map((c) => [c.prompt, c.compel] as const))('%j', (prompt, expected) => {
    expect(full(prompt)).toEqual(expected);
  });

  it('++ and -- are powers rounded as C pow rounds them (V8 Math.pow is off by an ulp at 4)', () => {
    expect(exactPow(1.1, 4)).toBe(1.4641000000000004);
    expect(exactPow(0.9, 4)).toBe(0.6561);
    expect(1.1 ** 4).not.toBe(1.4641000000000004);
  });
});
