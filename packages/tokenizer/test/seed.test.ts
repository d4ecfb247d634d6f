import { describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../src/index.js';

// Every tokenizer output printed in the seed tutorial (pipe.tokenizer of stabilityai/stable-diffusion-2-base).
describe('the seed tutorial, cell by cell', () => {
  const tokenizer = CLIPTokenizer.fromPreset('sd2');

  it('prints the tokenizer summary', () => {
    expect(String(tokenizer)).toBe(
      "PreTrainedTokenizer(name_or_path='stabilityai/stable-diffusion-2-base', vocab_size=49408, model_max_len=77, " +
        "is_fast=False, padding_side='right', truncation_side='right', special_tokens={" +
        "'bos_token': AddedToken(\"<|startoftext|>\", rstrip=False, lstrip=False, single_word=False, normalized=True), " +
        "'eos_token': AddedToken(\"<|endoftext|>\", rstrip=False, lstrip=False, single_word=False, normalized=True), " +
        "'unk_token': AddedToken(\"<|endoftext|>\", rstrip=False, lstrip=False, single_word=False, normalized=True), " +
        "'pad_token': '!'})",
    );
  });

  const tokens = tokenizer.tokenize('a highres photo of a woman wearing a red dress');

  it('tokenizes', () => {
    expect(tokens).toEqual(['a</w>', 'high', 'res</w>', 'photo</w>', 'of</w>', 'a</w>', 'woman</w>', 'wearing</w>', 'a</w>', 'red</w>', 'dress</w>']);
  });

  it('converts tokens to ids', () => {
    expect(tokenizer.convertTokensToIds(tokens)).toEqual([320, 1487, 934, 1125, 539, 320, 2308, 3309, 320, 736, 2595]);
  });

  it('pads to 77 and truncates', () => {
    const textInputs = tokenizer.encode(
      ['a highres photo of a woman wearing a red dress', ['a', ...Array<string>(100).fill('very'), 'text'].join(' ')],
      { padding: 'max_length', maxLength: tokenizer.modelMaxLength, truncation: true },
    );
    const first = [49406, 320, 1487, 934, 1125, 539, 320, 2308, 3309, 320, 736, 2595, 49407];
    expect(textInputs.inputIds[0]).toEqual([...first, ...Array<number>(64).fill(0)]);
    expect(textInputs.inputIds[1]).toEqual([49406, 320, ...Array<number>(74).fill(1070), 49407]);
    expect(textInputs.attentionMask[0]).toEqual([...Array<number>(13).fill(1), ...Array<number>(64).fill(0)]);
    expect(textInputs.attentionMask[1]).toEqual(Array<number>(77).fill(1));
    expect(textInputs.truncation[0]).toBeNull();
    expect(textInputs.truncation[1]).toMatchObject({ removedTokens: 27, removedText: [...Array<string>(26).fill('very'), 'text'].join(' ') });
  });

  it('decodes', () => {
    expect(tokenizer.decode([49406, 320, 1487, 934, 1125, 539, 320, 2308, 3309, 320, 736, 2595, 49407])).toBe(
      '<|startoftext|>a highres photo of a woman wearing a red dress <|endoftext|>',
    );
  });

  it('has the vocabulary size and special tokens', () => {
    expect(tokenizer.vocabSize).toBe(49408);
    expect(tokenizer.specialTokensMap).toEqual({
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
      pad_token: '!',
      unk_token: '<|endoftext|>',
    });
  });

  it('maps ids to tokens with decoder', () => {
    const { decoder } = tokenizer;
    expect([decoder[320], decoder[1125], decoder[49406], decoder[49407]]).toEqual(['a</w>', 'photo</w>', '<|startoftext|>', '<|endoftext|>']);
  });

  it('falls back to bytes for words outside the vocabulary', () => {
    expect(tokenizer.tokenize('你好, abcd, asdfhjklmn')).toEqual(['ä½', 'ł', 'å¥', '½</w>', ',</w>', 'ab', 'cd</w>', ',</w>', 'asdf', 'h', 'j', 'kl', 'mn</w>']);
  });

  it('encodes without padding by default', () => {
    const encoded = tokenizer.encode('abcd, asdfhjklmn');
    expect(encoded.inputIds).toEqual([49406, 596, 4480, 267, 36857, 71, 73, 8498, 4057, 49407]);
    expect(encoded.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('maps ids back with getVocab', () => {
    const idx2token = new Map(Object.entries(tokenizer.getVocab()).map(([token, idx]) => [idx, token]));
    expect(tokenizer.encode('abcd, asdfhjklmn').inputIds.map((i) => idx2token.get(i))).toEqual([
      '<|startoftext|>', 'ab', 'cd</w>', ',</w>', 'asdf', 'h', 'j', 'kl', 'mn</w>', '<|endoftext|>',
    ]);
  });

  it('pads the text-encoder batch to the longest', () => {
    const inputs = tokenizer.encode(['a photo of a cat', 'a photo of a woman wearing a red dress'], { padding: 'longest' });
    expect(inputs.inputIds).toEqual([
      [49406, 320, 1125, 539, 320, 2368, 49407, 0, 0, 0, 0],
      [49406, 320, 1125, 539, 320, 2308, 3309, 320, 736, 2595, 49407],
    ]);
    expect(inputs.attentionMask).toEqual([
      [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ]);
  });
});
