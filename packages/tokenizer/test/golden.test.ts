import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';
import { MODES } from './golden-cases.js';

// Every prompt of the Python reference, in both modes: tokens, ids, padded ids and mask, the three
// decodes, and the batch padded to the longest.
describe.each(MODES)('golden cases, $preset', ({ preset, mode }) => {
  const tokenizer = CLIPTokenizer.fromPreset(preset);

  it('has the reference special ids', () => {
    expect(tokenizer.padToken).toBe(mode.pad_token);
    expect([tokenizer.padTokenId, tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.unkTokenId]).toEqual([
      mode.pad_token_id,
      mode.bos_token_id,
      mode.eos_token_id,
      mode.unk_token_id,
    ]);
  });

  it.each(mode.results.map((c, i) => ({ ...c, label: `${i}: ${JSON.stringify(c.text).slice(0, 60)}` })))('$label', (c) => {
    expect(tokenizer.tokenize(c.text)).toEqual(c.tokens);
    expect(tokenizer.convertTokensToIds(c.tokens)).toEqual(c.ids);
    const encoded = tokenizer.encode(c.text, { padding: 'max_length', maxLength: mode.max_length, truncation: true });
    expect(encoded.inputIds).toEqual(c.input_ids);
    expect(encoded.attentionMask).toEqual(c.attention_mask);
    expect(tokenizer.encode(c.text).inputIds).toHaveLength(c.n_ids_untruncated);
    expect(encoded.truncation?.removedTokens ?? 0).toBe(Math.max(0, c.n_ids_untruncated - mode.max_length));
    const realIds = c.input_ids.filter((_, i) => c.attention_mask[i] === 1);
    expect(tokenizer.decode(realIds)).toBe(c.decode);
    expect(tokenizer.decode(realIds, { skipSpecialTokens: true })).toBe(c.decode_skip_special);
    expect(tokenizer.decode(realIds, { cleanUpTokenizationSpaces: false })).toBe(c.decode_no_cleanup);
  });

  it('pads a batch to the longest', () => {
    const batch = tokenizer.encode(mode.batch_longest.texts, { padding: 'longest' });
    expect(batch.inputIds).toEqual(mode.batch_longest.input_ids);
    expect(batch.attentionMask).toEqual(mode.batch_longest.attention_mask);
  });
});
