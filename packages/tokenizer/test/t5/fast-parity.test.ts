import { describe, expect, it } from 'vitest';
import type { Tokenizer } from 'tokenizers';
import type { T5Tokenizer } from '../../src/t5/index.js';
import {
  editedTokenizerJson,
  fastTokenizer,
  hfCleanUp,
  installedRustTokenizersVersion,
  MODELS,
  PROMPTS,
  RUST_TOKENIZERS_VERSION,
  rustTokenizer,
  type ModelName,
} from './fixtures.js';

// T5TokenizerFast: our tokenizer.json path against the Rust `tokenizers` (npm 0.23.2) on every
// prompt of the corpus, for both models: ids, tokens, padding/truncation to 256 (SD3) and 512
// (Flux) with the attention mask, batches padded to the longest, and decode.

async function expectSameOnCorpus(ours: T5Tokenizer, rust: Tokenizer, prompts: readonly string[] = PROMPTS): Promise<void> {
  const encodings = await rust.encodeBatch([...prompts]);
  const bare = await rust.encodeBatch([...prompts], { addSpecialTokens: false });
  prompts.forEach((prompt, i) => {
    const got = ours.encode(prompt);
    expect({ prompt, ids: got.inputIds }).toEqual({ prompt, ids: encodings[i]!.getIds() });
    expect(got.attentionMask).toEqual(encodings[i]!.getAttentionMask());
    expect({ prompt, tokens: ours.tokenize(prompt) }).toEqual({ prompt, tokens: bare[i]!.getTokens() });
  });
}

it(`the reference is npm tokenizers ${RUST_TOKENIZERS_VERSION} (another version: recheck, then update the docs)`, () => {
  expect(installedRustTokenizersVersion).toBe(RUST_TOKENIZERS_VERSION);
});

describe.each(MODELS)('T5TokenizerFast %s equals the Rust tokenizers', (model: ModelName) => {
  const ours = fastTokenizer(model);
  const rust = rustTokenizer(model);

  it(`encodes all ${PROMPTS.length} prompts id for id, with the same tokens`, async () => {
    await expectSameOnCorpus(ours, rust);
  });

  it.each([256, 512])('pads and truncates to %i as Hugging Face does (</s> kept, attention mask)', async (maxLength) => {
    const padded = rustTokenizer(model);
    padded.setTruncation(maxLength);
    padded.setPadding({ maxLength, padId: ours.padTokenId, padToken: ours.padToken });
    const expected = await padded.encodeBatch([...PROMPTS]);
    const got = ours.encode([...PROMPTS], { padding: 'max_length', maxLength, truncation: true });
    let truncated = 0;
    PROMPTS.forEach((prompt, i) => {
      expect({ prompt, ids: got.inputIds[i] }).toEqual({ prompt, ids: expected[i]!.getIds() });
      expect(got.attentionMask[i]).toEqual(expected[i]!.getAttentionMask());
      if (got.attentionMask[i]![maxLength - 1] === 1) truncated++;
    });
    // The corpus reaches past both limits.
    expect(truncated).toBeGreaterThan(5);
  });

  it('pads a batch to its longest row', async () => {
    const batch = PROMPTS.slice(0, 40);
    const padded = rustTokenizer(model);
    padded.setPadding({ padId: ours.padTokenId, padToken: ours.padToken });
    const expected = await padded.encodeBatch([...batch]);
    const got = ours.encode(batch, { padding: 'longest' });
    expect(got.inputIds).toEqual(expected.map((e) => e.getIds()));
    expect(got.attentionMask).toEqual(expected.map((e) => e.getAttentionMask()));
  });

  it('encodes without </s> when asked (addSpecialTokens: false)', async () => {
    for (const prompt of PROMPTS.slice(0, 60)) {
      const expected = await rust.encode(prompt, null, { addSpecialTokens: false });
      expect(ours.encode(prompt, { addSpecialTokens: false }).inputIds).toEqual(expected.getIds());
    }
  });

  it('decodes every encoding as T5TokenizerFast (Rust decode, then clean_up_tokenization)', async () => {
    const encodings = await rust.encodeBatch([...PROMPTS]);
    for (const encoding of encodings) {
      const ids = encoding.getIds();
      for (const skipSpecialTokens of [false, true]) {
        const raw = await rust.decode(ids, skipSpecialTokens);
        expect(ours.decode(ids, { skipSpecialTokens, cleanUpTokenizationSpaces: false })).toBe(raw);
        expect(ours.decode(ids, { skipSpecialTokens })).toBe(hfCleanUp(raw));
      }
    }
    const rows = encodings.slice(0, 10).map((e) => e.getIds());
    expect(ours.batchDecode(rows, { skipSpecialTokens: true })).toEqual(
      (await rust.decodeBatch(rows, true)).map((text) => hfCleanUp(text)),
    );
  });

  it('maps tokens and ids as the Rust vocabulary does', () => {
    const vocab = rust.getVocab(true);
    expect(ours.getVocab()).toEqual(vocab);
    expect(ours.vocabSize).toBe(rust.getVocabSize(false));
    expect(ours.length).toBe(rust.getVocabSize(true));
    for (let id = 0; id < ours.length; id += 7) expect(ours.convertIdsToTokens(id)).toBe(rust.idToToken(id));
    for (const token of ['</s>', '<pad>', '<unk>', '<extra_id_0>', '<extra_id_99>', '▁a', 'not-a-piece']) {
      expect(ours.convertTokensToIds(token)).toBe(rust.tokenToId(token) ?? ours.unkTokenId);
    }
  });
});

/** tokenizer.json layouts beyond the two fixtures, each checked against Rust on the whole corpus. */
const VARIANTS: Record<string, (json: Record<string, unknown>) => void> = {
  // What the model has but T5Converter drops: byte fallback on the fast path.
  'byte_fallback on': (json) => ((json['model'] as Record<string, unknown>)['byte_fallback'] = true),
  // The layout of older converters (google/t5-v1_1-*, which SD3 and Flux ship): Precompiled alone,
  // WhitespaceSplit before Metaspace, add_prefix_space without prepend_scheme, no model type.
  'old converter layout': (json) => {
    const normalizers = (json['normalizer'] as { normalizers: unknown[] }).normalizers;
    json['normalizer'] = normalizers[0];
    json['pre_tokenizer'] = {
      type: 'Sequence',
      pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', str_rep: '▁', add_prefix_space: true }],
    };
    json['decoder'] = { type: 'Metaspace', replacement: '▁', str_rep: '▁', add_prefix_space: true };
    delete (json['model'] as Record<string, unknown>)['type'];
  },
  'runs of spaces to one space': (json) => {
    const normalizers = (json['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers;
    json['normalizer'] = { type: 'Sequence', normalizers: [normalizers[0], { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] };
  },
  'prepend_scheme first (legacy=False)': (json) => {
    json['pre_tokenizer'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
    json['decoder'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
  },
  'prepend_scheme never, no split': (json) => {
    json['pre_tokenizer'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: false };
    json['decoder'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: false };
  },
  'strip on both sides': (json) => {
    const normalizers = (json['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers;
    normalizers[1] = { type: 'Strip', strip_left: true, strip_right: true };
  },
  // The slow tokenizer's flags written into tokenizer.json, and tokens matched after normalization.
  'added tokens with lstrip/rstrip, single_word, normalized': (json) => {
    const added = json['added_tokens'] as Record<string, unknown>[];
    added.forEach((token, i) => {
      if (String(token['content']).startsWith('<extra_id_')) Object.assign(token, { lstrip: true, rstrip: true, single_word: i % 3 === 0 });
    });
    added.push({ id: 5000, content: 'cat', single_word: true, lstrip: false, rstrip: false, normalized: true, special: false });
    added.push({ id: 5001, content: 'ＤＯＧ', single_word: false, lstrip: false, rstrip: true, normalized: true, special: true });
    added.push({ id: 5002, content: ' sea', single_word: false, lstrip: true, rstrip: false, normalized: false, special: false });
  },
  'strip on both sides with prepend_scheme first': (json) => {
    const normalizers = (json['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers;
    normalizers[1] = { type: 'Strip', strip_left: true, strip_right: true };
    json['pre_tokenizer'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
  },
  // The Llama converter's layout: the normalizer writes the metaspaces, no pre-tokenizer.
  'Prepend and Replace, no pre-tokenizer, decoder Sequence': (json) => {
    const normalizers = (json['normalizer'] as { normalizers: Record<string, unknown>[] }).normalizers;
    json['normalizer'] = {
      type: 'Sequence',
      normalizers: [normalizers[0], { type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
    };
    json['pre_tokenizer'] = null;
    json['decoder'] = { type: 'Sequence', decoders: [{ type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }] };
  },
  'no post_processor, no normalizer': (json) => {
    json['post_processor'] = null;
    json['normalizer'] = null;
  },
};

describe.each(Object.keys(VARIANTS))('tokenizer.json variant: %s', (variant) => {
  it.each(MODELS)('%s: equals the Rust tokenizers on the corpus, decode included', async (model) => {
    const json = editedTokenizerJson(model, VARIANTS[variant]!);
    const ours = fastTokenizer(model, json);
    const rust = rustTokenizer(model, json);
    await expectSameOnCorpus(ours, rust);
    for (const prompt of PROMPTS.slice(0, 120)) {
      const ids = (await rust.encode(prompt)).getIds();
      expect(ours.decode(ids, { cleanUpTokenizationSpaces: false })).toBe(await rust.decode(ids, false));
      expect(ours.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false })).toBe(await rust.decode(ids, true));
    }
  });
});
