import { describe, expect, it } from 'vitest';
import { T5Tokenizer } from '../../src/t5/index.js';
import { editedTokenizerJson, fastTokenizer, slowTokenizer, spieceModel, tokenizerJsonText } from './fixtures.js';

// Bad input gets an error that says what is wrong and where: the call and argument, or the file
// and the place in it.

/** Protobuf wire format, enough to write small SentencePiece models. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
function field(number: number, bytes: number[]): number[] {
  return [...varint(number * 8 + 2), ...varint(bytes.length), ...bytes];
}
function varintField(number: number, value: number): number[] {
  return [...varint(number * 8), ...varint(value)];
}
const utf8 = (text: string) => [...new TextEncoder().encode(text)];
function piece(text: string, type: number): number[] {
  return field(1, [...field(1, utf8(text)), ...[0x15, 0, 0, 0x80, 0xbf], ...varintField(3, type)]);
}
function model(parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

describe('T5Tokenizer refuses bad calls', () => {
  const tokenizer = fastTokenizer('t5-nobf');
  const slow = slowTokenizer('t5-nobf');

  it('texts that are not strings', () => {
    expect(() => tokenizer.encode(42 as unknown as string)).toThrow('encode: expected a string or an array of strings, got 42');
    expect(() => tokenizer.encode(['ok', null] as unknown as string[])).toThrow('encode: text 1 is null, expected a string');
    expect(() => slow.tokenize({} as unknown as string)).toThrow('tokenize: expected a string, got a object');
    expect(() => tokenizer.convertTokensToIds([1] as unknown as string[])).toThrow('convertTokensToIds: token 0 is 1, expected a string');
  });

  it('ids that are not token ids', () => {
    expect(() => tokenizer.decode('1, 2' as unknown as number[])).toThrow('decode: expected an array of token ids, got "1, 2" (a string)');
    expect(() => tokenizer.decode([5, 1.5])).toThrow('token id at position 1 is not an integer: 1.5');
    expect(() => slow.decode([5, '6' as unknown as number])).toThrow('token id at position 1 is not an integer: "6" (a string)');
    expect(() => tokenizer.decode([3, 99999])).toThrow(`token id 99999 at position 1 is out of range: ids go from 0 to ${tokenizer.length - 1}`);
    expect(() => slow.decode([-1])).toThrow('token id -1 at position 0 is out of range');
    expect(() => tokenizer.batchDecode([[1], [7, -2]])).toThrow('row 1: token id -2 at position 1 is out of range');
  });

  it('padding and truncation options', () => {
    expect(() => tokenizer.encode('a', { padding: 'yes' as unknown as false })).toThrow(`padding must be 'max_length', 'longest' or false, got "yes"`);
    expect(() => tokenizer.encode('a', { maxLength: 0, truncation: true })).toThrow('maxLength must be an integer of at least 1, got 0');
    expect(() => tokenizer.encode('a', { maxLength: 2.5 })).toThrow('maxLength must be an integer of at least 1, got 2.5');
    expect(() => tokenizer.encode('a', { padding: 'max_length' })).toThrow("padding 'max_length' needs a maxLength: t5-nobf sets no model_max_length (SD3 uses 256, Flux 512)");
  });
});

describe('malformed tokenizer.json', () => {
  const cases: [string, () => string, string][] = [
    ['not JSON', () => '{"version": "1.0",', 'tokenizer.json: not valid JSON'],
    ['no model', () => '{}', 'tokenizer.json: model: expected an object, got nothing'],
    ['a BPE model', () => editedTokenizerJson('t5-nobf', (j) => ((j['model'] as Record<string, unknown>)['type'] = 'BPE')), 'tokenizer.json: model.type: a BPE model; T5 tokenizers are Unigram'],
    ['a bad vocab entry', () => editedTokenizerJson('t5-nobf', (j) => (((j['model'] as { vocab: unknown[] }).vocab)[3] = ['x'])), 'tokenizer.json: model.vocab[3]: expected [piece, score]'],
    ['a score that is a string', () => editedTokenizerJson('t5-nobf', (j) => (((j['model'] as { vocab: unknown[] }).vocab)[4] = ['x', '-1'])), 'tokenizer.json: model.vocab[4][1]: expected a number, got string "-1"'],
    ['unk_id past the vocabulary', () => editedTokenizerJson('t5-nobf', (j) => ((j['model'] as Record<string, unknown>)['unk_id'] = 100000)), 'tokenizer.json: model.unk_id: unk_id 100000 is not in the vocabulary of 2100 pieces'],
    [
      'an unsupported normalizer',
      () => editedTokenizerJson('t5-nobf', (j) => ((j['normalizer'] as { normalizers: unknown[] }).normalizers[1] = { type: 'NFKC' })),
      'tokenizer.json: normalizer.normalizers[1]: normalizer "NFKC" is not supported (supported: Sequence, Precompiled, Strip, Replace, Prepend)',
    ],
    [
      'a charsmap that is not base64',
      () => editedTokenizerJson('t5-nobf', (j) => (((j['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers[0]!)['precompiled_charsmap'] = 'a!b')),
      'tokenizer.json: normalizer.normalizers[0].precompiled_charsmap: not valid base64',
    ],
    [
      'a broken charsmap',
      () => editedTokenizerJson('t5-nobf', (j) => (((j['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers[0]!)['precompiled_charsmap'] = 'AAEAAAAAAAAA')),
      'tokenizer.json: normalizer.normalizers[0].precompiled_charsmap: the precompiled charsmap is broken',
    ],
    [
      'an empty charsmap (which makes Rust abort)',
      () => editedTokenizerJson('t5-nobf', (j) => (((j['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers[0]!)['precompiled_charsmap'] = '')),
      'tokenizer.json: normalizer.normalizers[0].precompiled_charsmap: the precompiled charsmap is broken (0 bytes)',
    ],
    ['a bad regex', () => editedTokenizerJson('t5-nobf', (j) => ((j['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers[2] = { type: 'Replace', pattern: { Regex: '(' }, content: '' })), 'tokenizer.json: normalizer.normalizers[2].pattern.Regex: cannot be compiled'],
    ['an unknown prepend_scheme', () => editedTokenizerJson('t5-nobf', (j) => ((j['pre_tokenizer'] as Record<string, unknown>)['prepend_scheme'] = 'sometimes')), 'tokenizer.json: pre_tokenizer.prepend_scheme: unknown prepend_scheme "sometimes"'],
    ['add_prefix_space against prepend_scheme', () => editedTokenizerJson('t5-nobf', (j) => ((j['pre_tokenizer'] as Record<string, unknown>)['add_prefix_space'] = false)), 'tokenizer.json: pre_tokenizer: add_prefix_space does not match declared prepend_scheme'],
    ['a template without its special token', () => editedTokenizerJson('t5-nobf', (j) => ((j['post_processor'] as Record<string, unknown>)['special_tokens'] = {})), 'tokenizer.json: post_processor.single[1]: special token "</s>" is missing from special_tokens'],
    ['an added token without content', () => editedTokenizerJson('t5-nobf', (j) => ((j['added_tokens'] as Record<string, unknown>[])[0] = { id: 0 })), 'tokenizer.json: added_tokens[0].content: expected a string, got nothing'],
    ['an unknown version', () => editedTokenizerJson('t5-nobf', (j) => (j['version'] = '2.0')), 'tokenizer.json: version: unknown tokenizer version'],
  ];
  it.each(cases)('%s', (_what, text, message) => {
    expect(() => T5Tokenizer.fromTokenizerJson(text())).toThrow(message);
  });

  it('names the folder in the file name', () => {
    expect(() => T5Tokenizer.fromTokenizerJson('nope', { nameOrPath: 'repo/tokenizer_3' })).toThrow('repo/tokenizer_3/tokenizer.json: not valid JSON');
  });

  it('refuses something that is not text', () => {
    expect(() => T5Tokenizer.fromTokenizerJson(new Uint8Array(3) as unknown as string)).toThrow("tokenizer.json: expected the file's text, got object");
  });

  it('is not fooled by a valid file of another shape', () => {
    expect(() => T5Tokenizer.fromTokenizerJson(tokenizerJsonText('t5-nobf').replace('"model":{"type":"Unigram"', '"model":{"type":"WordPiece"'))).toThrow('a WordPiece model');
  });
});

describe('malformed spiece.model', () => {
  const specials = [piece('<pad>', 3), piece('</s>', 3), piece('<unk>', 2), piece('\u2581a', 1)];
  const cases: [string, () => Uint8Array, string][] = [
    ['empty', () => new Uint8Array(0), 'spiece.model: no pieces: not a SentencePiece model'],
    ['truncated', () => spieceModel('t5-nobf').slice(0, 5000), 'spiece.model: ModelProto'],
    ['random bytes', () => Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff), 'spiece.model: ModelProto'],
    ['a BPE model', () => model([...specials, field(2, varintField(3, 2))]), 'spiece.model: a BPE SentencePiece model; only Unigram models (T5\'s) are supported'],
    ['no <unk>', () => model([piece('<pad>', 3), piece('a', 1)]), 'spiece.model: no <unk> piece'],
    ['a piece twice', () => model([...specials, piece('\u2581a', 1)]), 'spiece.model: piece "▁a" (id 4) is defined twice'],
    ['an empty piece', () => model([...specials, piece('', 1)]), 'spiece.model: piece 4 is empty'],
    ['byte pieces without byte_fallback', () => model([...specials, piece('<0x41>', 6)]), 'spiece.model: byte piece <0x41> found although byte_fallback is false'],
    ['byte_fallback without the 256 byte pieces', () => model([...specials, piece('<0x41>', 6), field(2, varintField(35, 1))]), 'spiece.model: byte_fallback is true but there are 1 byte pieces, not 256'],
    ['an unknown piece type', () => model([...specials, piece('b', 9)]), 'spiece.model: ModelProto.pieces[4]: unknown piece type 9'],
    ['a piece that is not UTF-8', () => model([...specials, field(1, field(1, [0xff, 0xfe]))]), 'spiece.model: ModelProto.pieces[4]: field 1 is not valid UTF-8'],
    ['a wire type that is not the schema\'s', () => model([...specials, field(2, [...varint(3 * 8 + 2), 1, 0])]), 'spiece.model: ModelProto.trainer_spec: field 3 has wire type 2, expected 0'],
  ];
  it.each(cases)('%s', (_what, bytes, message) => {
    expect(() => T5Tokenizer.fromSentencePiece(bytes())).toThrow(message);
  });

  it('a model written here loads and encodes', () => {
    // The writer above is right: the same pieces without a fault make a working tokenizer.
    const tokenizer = T5Tokenizer.fromSentencePiece(model(specials));
    expect(tokenizer.encode('a').inputIds).toEqual([tokenizer.convertTokensToIds('\u2581a'), tokenizer.eosTokenId]);
  });

  it('refuses something that is not bytes', () => {
    expect(() => T5Tokenizer.fromSentencePiece('spiece' as unknown as Uint8Array)).toThrow('spiece.model: expected the bytes of a SentencePiece model');
  });
});
