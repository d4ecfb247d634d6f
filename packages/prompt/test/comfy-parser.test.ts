import { describe, expect, it } from 'vitest';
import { parseComfyPrompt, tokenWeights } from '../src/index.js';
import { PARSER_FIXTURES, pyNumber } from './parser-fixtures.js';

describe('ComfyUI token_weights against comfy/sd1_clip.py', () => {
  it(`every fixture prompt (${PARSER_FIXTURES.cases.length})`, () => {
    for (const c of PARSER_FIXTURES.cases) {
      if (!('ok' in c.comfy)) throw new Error(`comfy raised on ${c.prompt}`);
      const expected = c.comfy.ok.map(([text, weight]) => ({ text, weight: pyNumber(weight) }));
      expect(parseComfyPrompt(c.prompt), JSON.stringify(c.prompt)).toEqual(expected);
    }
  });

  // parseComfyPrompt is token_weights(escape_important(text), 1.0), unescaped: on a prompt with no
  // backslash the escapes do nothing, so the exported token_weights itself must give ComfyUI's answer.
  it('the exported tokenWeights(text, 1.0) on every fixture prompt without a backslash', () => {
    const plain = PARSER_FIXTURES.cases.filter((c) => !c.prompt.includes('\\'));
    expect(plain.length).toBeGreaterThan(250); // 280 of the 449
    for (const c of plain) {
      if (!('ok' in c.comfy)) throw new Error(`comfy raised on ${c.prompt}`);
      const expected = c.comfy.ok.map(([text, weight]) => ({ text, weight: pyNumber(weight) }));
      expect(tokenWeights(c.prompt, 1.0), JSON.stringify(c.prompt)).toEqual(expected);
    }
  });
});
