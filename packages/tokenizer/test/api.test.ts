import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';

describe('CLIPTokenizer API', () => {
  it('adds tokens from id 49408 on, as textual inversion needs', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd2');
    expect(tokenizer.addTokens(['<cat-toy>', '<cat-toy>', 'cat</w>'])).toBe(1);
    expect(tokenizer.convertTokensToIds('<cat-toy>')).toBe(49408);
    expect(tokenizer.length).toBe(49409);
    expect(tokenizer.vocabSize).toBe(49408);
    expect(tokenizer.decoder[49408]).toBe('<cat-toy>');
    expect(tokenizer.getVocab()['<cat-toy>']).toBe(49408);
    // Added tokens are matched before cleaning, so case and spacing matter as in HF.
    expect(tokenizer.tokenize('a <cat-toy>, photo')).toEqual(['a</w>', '<cat-toy>', ',</w>', 'photo</w>']);
    expect(tokenizer.decode(tokenizer.encode('a <cat-toy> photo').inputIds, { skipSpecialTokens: true })).toBe('a <cat-toy> photo');
  });

  it('pads without truncating when asked', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd1');
    const long = tokenizer.encode('word '.repeat(100), { padding: 'max_length' });
    expect(long.inputIds).toHaveLength(102);
    expect(long.truncation).toBeNull();
    const short = tokenizer.encode('a cat', { padding: 'max_length', maxLength: 8 });
    expect(short.inputIds).toEqual([49406, 320, 2368, 49407, 49407, 49407, 49407, 49407]);
    expect(short.attentionMask).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('encodes without special tokens', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd2');
    expect(tokenizer.encode('a cat', { addSpecialTokens: false }).inputIds).toEqual([320, 2368]);
    expect(tokenizer.encode('a b c d', { addSpecialTokens: false, truncation: true, maxLength: 2 }).inputIds).toEqual([320, 321]);
  });

  it('decodes batches and skips special tokens, SD2 pad "!" included', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd2');
    const batch = tokenizer.encode(['a cat!', 'hello , world'], { padding: 'longest' });
    expect(tokenizer.batchDecode(batch.inputIds, { skipSpecialTokens: true })).toEqual(['a cat', 'hello, world']);
    expect(tokenizer.batchDecode(batch.inputIds, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toEqual(['a cat', 'hello , world']);
  });

  it('rejects ids out of range with the position', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd2');
    expect(() => tokenizer.decode([320, 49408])).toThrow('token id 49408 at position 1 is out of range: ids go from 0 to 49407');
    expect(() => tokenizer.decode([-1])).toThrow(/token id -1 at position 0/);
    expect(() => tokenizer.decode([1.5])).toThrow('token id at position 0 is not an integer: 1.5');
  });

  it('rejects ids that are not integers, such as strings from JSON or a form', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd2');
    const strings = ['320'] as unknown as number[];
    expect(() => tokenizer.decode(strings)).toThrow(new TypeError('token id at position 0 is not an integer: "320" (a string)'));
    expect(() => tokenizer.decode([320, NaN])).toThrow('token id at position 1 is not an integer: NaN');
    expect(() => tokenizer.decode([320, null as unknown as number])).toThrow('token id at position 1 is not an integer: null');
    expect(() => tokenizer.decode('320' as unknown as number[])).toThrow('decode: expected an array of token ids, got "320" (a string)');
    expect(() => tokenizer.convertIdsToTokens(strings)).toThrow('token id at position 0 is not an integer: "320" (a string)');
    expect(() => tokenizer.convertIdsToTokens('320' as unknown as number)).toThrow('token id at position 0 is not an integer');
    expect(() => tokenizer.batchDecode([[320], strings])).toThrow('row 1: token id at position 0 is not an integer: "320" (a string)');
    expect(() => tokenizer.batchDecode([320] as unknown as number[][])).toThrow('row 0: decode: expected an array of token ids, got 320');
    expect(() => tokenizer.batchDecode(null as unknown as number[][])).toThrow('batchDecode: expected an array of id arrays, got null');
  });

  it('rejects bad options and inputs', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd2');
    expect(() => tokenizer.encode('a', { padding: 'max' as 'max_length' })).toThrow(/padding must be/);
    expect(() => tokenizer.encode('a', { maxLength: 1 })).toThrow(/maxLength must be an integer of at least 2/);
    expect(() => tokenizer.encode(['a', 3 as unknown as string])).toThrow('encode: text 1 is number, expected a string');
    expect(() => CLIPTokenizer.fromPreset('sd3' as 'sd2')).toThrow(/unknown tokenizer preset "sd3": use one of sd2, sd1/);
  });

  it('maps unknown tokens to unk', () => {
    const tokenizer = CLIPTokenizer.fromPreset('sd2');
    expect(tokenizer.convertTokensToIds(['not-a-token'])).toEqual([49407]);
  });
});
