import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertT5SentencePiece, parseSentencePieceModel, T5Tokenizer, type FileSource } from '../../src/t5/index.js';
import { FIXTURES, MODELS, PROMPTS, rustTokenizer, SLOW_EXPECTED, spieceModel, tokenizerJsonText } from './fixtures.js';

// Loading a Hugging Face tokenizer folder: tokenizer.json gives T5TokenizerFast, spiece.model
// alone the slow T5Tokenizer, `useFast` chooses as transformers' use_fast does.

/** A temporary folder with some of a fixture model's files, and extra ones. */
function folder(model: (typeof MODELS)[number], files: string[], extra: Record<string, string> = {}, subfolder = ''): string {
  const root = mkdtempSync(join(tmpdir(), 'sdtext-t5-'));
  const dir = join(root, subfolder);
  mkdirSync(dir, { recursive: true });
  for (const file of files) copyFileSync(join(FIXTURES, model, file), join(dir, file));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return root;
}

const SAMPLE = PROMPTS.filter((_, i) => i % 7 === 0);

describe.each(MODELS)('%s folder', (model) => {
  const expected = SLOW_EXPECTED.models[model].cases;

  it('with tokenizer.json: T5TokenizerFast, equal to the Rust tokenizers', async () => {
    const tokenizer = await T5Tokenizer.fromPretrained(join(FIXTURES, model));
    expect(tokenizer.reference).toBe('T5TokenizerFast');
    const rust = rustTokenizer(model);
    for (const prompt of SAMPLE) expect(tokenizer.encode(prompt).inputIds).toEqual((await rust.encode(prompt)).getIds());
  });

  it('with useFast: false: the slow T5Tokenizer from spiece.model', async () => {
    const tokenizer = await T5Tokenizer.fromPretrained(join(FIXTURES, model), { useFast: false });
    expect(tokenizer.reference).toBe('T5Tokenizer');
    PROMPTS.forEach((prompt, i) => {
      if (i % 7 === 0) expect(tokenizer.encode(prompt).inputIds).toEqual(expected[i]!.input_ids);
    });
  });

  it('with only spiece.model: the slow T5Tokenizer', async () => {
    const tokenizer = await T5Tokenizer.fromPretrained(folder(model, ['spiece.model']));
    expect(tokenizer.reference).toBe('T5Tokenizer');
    PROMPTS.forEach((prompt, i) => {
      if (i % 7 === 0) expect(tokenizer.encode(prompt).inputIds).toEqual(expected[i]!.input_ids);
    });
  });

  it('with only spiece.model and useFast: true: converted as T5Converter does, equal to Rust on that tokenizer.json', async () => {
    const tokenizer = await T5Tokenizer.fromPretrained(folder(model, ['spiece.model']), { useFast: true });
    expect(tokenizer.reference).toBe('T5TokenizerFast');
    const rust = rustTokenizer(model);
    for (const prompt of SAMPLE) expect(tokenizer.encode(prompt).inputIds).toEqual((await rust.encode(prompt)).getIds());
  });

  it('our T5Converter writes the tokenizer.json the reference script wrote', () => {
    const converted = convertT5SentencePiece(parseSentencePieceModel(spieceModel(model), model));
    expect(JSON.parse(JSON.stringify(converted))).toEqual(JSON.parse(tokenizerJsonText(model)));
  });
});

describe('folder settings', () => {
  it('reads a subfolder with tokenizer_config.json and special_tokens_map.json (SD3: tokenizer_3)', async () => {
    const root = folder('t5-nobf', ['tokenizer.json'], {
      'tokenizer_config.json': JSON.stringify({ model_max_length: 256, clean_up_tokenization_spaces: false, eos_token: '</s>', extra_ids: 100 }),
      'special_tokens_map.json': JSON.stringify({ pad_token: { content: '<pad>', lstrip: false }, unk_token: '<unk>', eos_token: '</s>' }),
    }, 'tokenizer_3');
    const tokenizer = await T5Tokenizer.fromPretrained(root, { subfolder: 'tokenizer_3' });
    expect(tokenizer.nameOrPath).toBe(`${root}/tokenizer_3`);
    expect(tokenizer.modelMaxLength).toBe(256);
    expect(tokenizer.encode('a cat', { padding: 'max_length' }).inputIds).toHaveLength(256);
    const rust = rustTokenizer('t5-nobf');
    const ids = (await rust.encode('a cat , eh ?')).getIds();
    // clean_up_tokenization_spaces false: the Rust decode as it is.
    expect(tokenizer.decode(ids)).toBe(await rust.decode(ids, false));
    expect(String(tokenizer)).toContain(`T5TokenizerFast(name_or_path='${root}/tokenizer_3', vocab_size=${rust.getVocabSize(false)}, model_max_length=256, is_fast=True`);
  });

  it('model_max_length 1e30 is no limit', async () => {
    const root = folder('t5-nobf', ['tokenizer.json'], { 'tokenizer_config.json': '{"model_max_length": 1000000000000000019884624838656}' });
    expect((await T5Tokenizer.fromPretrained(root)).modelMaxLength).toBe(Infinity);
  });

  it('reads any file source with readBytes (a hub client, a browser fetch)', async () => {
    const source: FileSource = {
      name: 'memory:t5',
      readText: async () => null,
      readBytes: async (path) => (path === 'spiece.model' ? spieceModel('t5-bf') : null),
    };
    const tokenizer = await T5Tokenizer.fromPretrained(source);
    expect(tokenizer.reference).toBe('T5Tokenizer');
    expect(tokenizer.encode(PROMPTS[10]!).inputIds).toEqual(SLOW_EXPECTED.models['t5-bf'].cases[10]!.input_ids);
  });

  it('says what is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sdtext-t5-'));
    await expect(T5Tokenizer.fromPretrained(empty)).rejects.toThrow(`${empty}: neither tokenizer.json nor spiece.model found: not a T5 tokenizer folder`);
    const onlyJson = folder('t5-nobf', ['tokenizer.json']);
    await expect(T5Tokenizer.fromPretrained(onlyJson, { useFast: false })).rejects.toThrow(`${onlyJson}/spiece.model not found: the slow T5Tokenizer needs it`);
    const textOnly: FileSource = { name: 'text-only', readText: async () => null };
    await expect(T5Tokenizer.fromPretrained(textOnly)).rejects.toThrow('text-only/spiece.model: this file source cannot read binary files (it has no readBytes) and there is no tokenizer.json');
    await expect(T5Tokenizer.fromPretrained(42 as unknown as string)).rejects.toThrow('fromPretrained: expected a folder path or a file source');
  });

  it('refuses a broken tokenizer_config.json, and legacy=False on the slow path', async () => {
    const broken = folder('t5-nobf', ['tokenizer.json'], { 'tokenizer_config.json': '{"model_max_length": "512"}' });
    await expect(T5Tokenizer.fromPretrained(broken)).rejects.toThrow(`${broken}/tokenizer_config.json: model_max_length: expected a number, got string "512"`);
    const nonLegacy = folder('t5-nobf', ['spiece.model'], { 'tokenizer_config.json': '{"legacy": false}' });
    await expect(T5Tokenizer.fromPretrained(nonLegacy)).rejects.toThrow('legacy=False (tokenizer_config.json) is not supported');
  });
});
