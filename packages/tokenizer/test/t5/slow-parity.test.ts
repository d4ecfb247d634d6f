import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { T5Tokenizer } from '../../src/t5/index.js';
import { FIXTURES, MODELS, PROMPTS, SLOW_EXPECTED, SLOW_RANDOM, slowTokenizer, type ModelName, type SlowCase } from './fixtures.js';

// The slow T5Tokenizer: our spiece.model path against transformers 4.36's T5Tokenizer on
// SentencePiece 0.1.97 (outputs stored by scripts/t5/slow-reference.py) on every prompt of the
// corpus, for both models: ids, tokens, truncation to 256 and 512, decode.

/** What prepare_for_model returned for max_length, padded to it (pad id 0) with its attention mask. */
function expectedPadded(c: SlowCase, maxLength: 256 | 512, padId: number): { ids: number[]; mask: number[] } {
  const cut = c[`truncated_${maxLength}`];
  const ids = cut ? [...c.input_ids.slice(0, cut.prefix), ...cut.then] : c.input_ids;
  const pad = Math.max(0, maxLength - ids.length);
  return { ids: [...ids, ...new Array<number>(pad).fill(padId)], mask: [...new Array<number>(ids.length).fill(1), ...new Array<number>(pad).fill(0)] };
}

describe.each(MODELS)('T5Tokenizer (slow, spiece.model) %s equals transformers + SentencePiece', (model: ModelName) => {
  const ours = slowTokenizer(model);
  const expected = SLOW_EXPECTED.models[model];

  it('has a reference for every prompt', () => {
    expect(SLOW_EXPECTED.prompts).toBe(PROMPTS.length);
    expect(expected.cases).toHaveLength(PROMPTS.length);
    expect(ours.reference).toBe('T5Tokenizer');
  });

  it(`encodes all ${PROMPTS.length} prompts id for id, with the same tokens`, () => {
    PROMPTS.forEach((prompt, i) => {
      const c = expected.cases[i]!;
      expect({ prompt, ids: ours.encode(prompt).inputIds }).toEqual({ prompt, ids: c.input_ids });
      const tokens = ours.tokenize(prompt);
      // The reference keeps tokens only where they are not the ids' pieces.
      const reference = c.tokens ?? ours.convertIdsToTokens(c.input_ids.slice(0, tokens.length));
      expect({ prompt, tokens }).toEqual({ prompt, tokens: reference });
    });
  });

  it.each([256, 512] as const)('pads and truncates to %i as T5Tokenizer does (a </s> at the cut is not doubled)', (maxLength) => {
    const got = ours.encode([...PROMPTS], { padding: 'max_length', maxLength, truncation: true });
    let truncated = 0;
    PROMPTS.forEach((prompt, i) => {
      const c = expected.cases[i]!;
      const { ids, mask } = expectedPadded(c, maxLength, ours.padTokenId);
      expect({ prompt, ids: got.inputIds[i] }).toEqual({ prompt, ids });
      expect(got.attentionMask[i]).toEqual(mask);
      if (c[`truncated_${maxLength}`]) truncated++;
    });
    expect(truncated).toBeGreaterThan(5);
  });

  it('decodes every encoding, with and without skip_special_tokens and clean-up', () => {
    PROMPTS.forEach((prompt, i) => {
      const c = expected.cases[i]!;
      expect({ prompt, text: ours.decode(c.input_ids) }).toEqual({ prompt, text: c.decode });
      expect({ prompt, text: ours.decode(c.input_ids, { skipSpecialTokens: true }) }).toEqual({ prompt, text: c.decode_skip_special ?? c.decode });
      expect({ prompt, text: ours.decode(c.input_ids, { cleanUpTokenizationSpaces: false }) }).toEqual({ prompt, text: c.decode_no_cleanup ?? c.decode });
    });
  });

  it(`encodes ${SLOW_RANDOM.texts.length} random texts (odd code points, specials, equal-score splits) id for id`, () => {
    SLOW_RANDOM.texts.forEach((text, i) => {
      expect({ text, ids: ours.encode(text).inputIds }).toEqual({ text, ids: SLOW_RANDOM.ids[model][i] });
    });
  });

  it(`decodes ${expected.decodes.length} other id lists (cut, shuffled, random ids, sentinels)`, () => {
    for (const { ids, decode, decode_skip_special } of expected.decodes) {
      expect({ ids, text: ours.decode(ids) }).toEqual({ ids, text: decode });
      expect({ ids, text: ours.decode(ids, { skipSpecialTokens: true }) }).toEqual({ ids, text: decode_skip_special });
    }
  });
});

describe('SentencePiece features T5 does not use (t5-variant: user-defined and unused pieces, identity normalizer)', () => {
  const tokenizer = T5Tokenizer.fromSentencePiece(new Uint8Array(readFileSync(FIXTURES + 't5-variant/spiece.model')), { nameOrPath: 't5-variant' });
  it(`encodes ${SLOW_RANDOM.texts.length} random texts id for id`, () => {
    SLOW_RANDOM.texts.forEach((text, i) => {
      expect({ text, ids: tokenizer.encode(text).inputIds }).toEqual({ text, ids: SLOW_RANDOM.ids['t5-variant'][i] });
    });
  });
});
