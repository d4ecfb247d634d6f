import { describe, expect, it } from 'vitest';
import { parseComfyPrompt } from '../src/index.js';
import { PARSER_FIXTURES, pyNumber } from './parser-fixtures.js';

describe('ComfyUI token_weights against comfy/sd1_clip.py', () => {
  it(`every fixture prompt (${PARSER_FIXTURES.cases.length})`, () => {
    for (const c of PARSER_FIXTURES.cases) {
      if (!('ok' in c.comfy)) throw new Error(`comfy raised on ${c.prompt}`);
      const expected = c.comfy.ok.map(([text, weight]) => ({ text, weight: pyNumber(weight) }));
      expect(parseComfyPrompt(c.prompt), JSON.stringify(c.prompt)).toEqual(expected);
    }
  });
});
