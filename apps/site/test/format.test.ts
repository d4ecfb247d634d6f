import { describe, expect, it } from 'vitest';
import { PyTuple, pformat, repr, tensor } from '../src/lib/pyrepr';
import { SD2_TEXT_CONFIG, describeCLIPTextTransformer } from '@sdtext/text-encoder';
import * as seed from '../src/seed/outputs';

// The seed's printed values, rebuilt from plain data: the formatters alone must reproduce them.
const prompt = [49406, 320, 1487, 934, 1125, 539, 320, 2308, 3309, 320, 736, 2595, 49407];
const pad = (ids: number[], n: number): number[] => [...ids, ...Array<number>(n - ids.length).fill(0)];
const mask = (len: number, n: number): number[] => Array.from({ length: n }, (_, i) => (i < len ? 1 : 0));

describe('python printing', () => {
  it('prints lists, tuples and strings like repr()', () => {
    const tokens = ['a</w>', 'high', 'res</w>', 'photo</w>', 'of</w>', 'a</w>', 'woman</w>', 'wearing</w>', 'a</w>', 'red</w>', 'dress</w>'];
    expect(repr(tokens)).toBe(seed.tokenize);
    expect(repr(new PyTuple(['a</w>', 'photo</w>', '<|startoftext|>', '<|endoftext|>']))).toBe(seed.decoderLookup);
    expect(repr('<|startoftext|>a highres photo of a woman wearing a red dress <|endoftext|>')).toBe(seed.decode);
  });

  it('breaks long lists and dicts like pprint', () => {
    const unk = ['ä½', 'ł', 'å¥', '½</w>', ',</w>', 'ab', 'cd</w>', ',</w>', 'asdf', 'h', 'j', 'kl', 'mn</w>'];
    expect(pformat(unk)).toBe(seed.tokenizeUnknown);
    const special = { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', pad_token: '!' };
    expect(pformat(special)).toBe(seed.specialTokensMap);
  });

  it('prints int tensors like torch inside pprint', () => {
    const long = [49406, 320, ...Array<number>(74).fill(1070), 49407];
    const value = {
      input_ids: tensor([pad(prompt, 77), long]),
      attention_mask: tensor([mask(13, 77), mask(77, 77)]),
    };
    expect(pformat(value)).toBe(seed.padTruncate);
    const inputs = {
      input_ids: tensor([pad([49406, 320, 1125, 539, 320, 2368, 49407], 11), [49406, 320, 1125, 539, 320, 2308, 3309, 320, 736, 2595, 49407]]),
      attention_mask: tensor([mask(7, 11), mask(11, 11)]),
    };
    expect(pformat(value)).toBe(seed.padTruncate);
    expect(pformat(inputs)).toBe(seed.encoderInputs.replace(/,\s*device='cuda:0'/g, ''));
  });

  it('prints float tensors with 4 decimals and edge items', () => {
    // The first and last rows of the seed's last_hidden_state preview, in a [2, 4, 6] tensor.
    const row = (v: number[]): number[] => v;
    const t = tensor(
      [
        [row([-0.3135, -0.4475, -0.0083, 0.2544, -0.0327, -0.2959]), row([0.1987, -1.6914, -0.8955, 0.4661, -0.0961, -2.1465])],
        [row([1.0234, -0.7349, -2.543, 0.896, -0.0602, -1.0723]), row([-0.0199, -0.2195, -0.0608, 0.1279, 0.1672, -0.1105])],
      ],
      { dtype: 'float32' },
    );
    expect(repr(t)).toBe(
      'tensor([[[-0.3135, -0.4475, -0.0083,  0.2544, -0.0327, -0.2959],\n' +
        '         [ 0.1987, -1.6914, -0.8955,  0.4661, -0.0961, -2.1465]],\n\n' +
        '        [[ 1.0234, -0.7349, -2.5430,  0.8960, -0.0602, -1.0723],\n' +
        '         [-0.0199, -0.2195, -0.0608,  0.1279,  0.1672, -0.1105]]])',
    );
    const big = tensor(Array.from({ length: 2 }, () => Array.from({ length: 11 }, () => Array.from({ length: 1024 }, (_, k) => (k % 7) / 10 - 0.25))));
    const text = repr(big);
    expect(text.split('\n')[0]).toBe('tensor([[[-0.2500, -0.1500, -0.0500,  ...,  0.3500, -0.2500, -0.1500],');
    expect(text).toContain('         ...,\n');
    expect(repr(True())).toBe('True');
  });
});

function True(): boolean {
  return true;
}

describe('module tree', () => {
  it("text-encoder prints SD2's text transformer from its config exactly as the seed", () => {
    expect(describeCLIPTextTransformer(SD2_TEXT_CONFIG)).toBe(seed.textModelTree);
  });
});
