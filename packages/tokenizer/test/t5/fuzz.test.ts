import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachGrapheme } from '../../src/t5/graphemes.js';
import { editedTokenizerJson, fastTokenizer, MODELS, rustTokenizer, slowTokenizer } from './fixtures.js';

// Property tests: on random Unicode text our tokenizer.json path equals the Rust tokenizers, id
// for id, and decodes random ids as Rust does; our grapheme clusters equal ICU's; the slow path
// always returns valid ids ending in </s>. A short budget by default, SDTEXT_FUZZ_RUNS for more.

const FUZZ_RUNS = Number(process.env['SDTEXT_FUZZ_RUNS'] ?? 300);

/** What T5's normalizer, pre-tokenizer and added tokens treat specially. */
const SPECIAL_FRAGMENTS = [
  ' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u0085', '\u2028', '\ufeff', '\u200b', '\0',
  '\u0301', '\u0308', '\u0323', '\u3099', '\uff9e', 'Ａ', 'ｶ', 'ﬁ', 'é', 'e', 'a', 'm', 'mm',
  '\u200d', '😀', '🏻', '🇯', '🇵', '\u1100', '\u1161', '\u11a8', 'क', '्', '\u0600', 'ー', 'x²', '①', '㎏',
  '<extra_id_0>', '<extra_id_99>', '</s>', '<pad>', '<unk>', '<0x41>', '▁', '<', '>', '＜', '／', 'ｓ', '＞',
];
const wellFormedUnit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_FRAGMENTS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);
// Lone surrogates too: they reach Rust as U+FFFD.
const unit = fc.oneof({ weight: 9, arbitrary: wellFormedUnit }, { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) });
const text = fc.string({ unit, maxLength: 40 });

describe.each(MODELS)('%s on random text', (model) => {
  const ours = fastTokenizer(model);
  const rust = rustTokenizer(model);
  const slow = slowTokenizer(model);

  it('T5TokenizerFast: ids and tokens equal the Rust tokenizers', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (input) => {
        const expected = await rust.encode(input);
        expect(ours.encode(input).inputIds).toEqual(expected.getIds());
        expect(ours.tokenize(input)).toEqual(expected.getTokens().slice(0, -1));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('T5TokenizerFast: decode of random ids equals the Rust decode', async () => {
    const ids = fc.array(fc.integer({ min: 0, max: ours.length - 1 }), { maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(ids, fc.boolean(), async (row, skipSpecialTokens) => {
        expect(ours.decode(row, { skipSpecialTokens, cleanUpTokenizationSpaces: false })).toBe(await rust.decode(row, skipSpecialTokens));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('T5Tokenizer (slow): valid ids ending in </s>, decodable', () => {
    fc.assert(
      fc.property(text, (input) => {
        const { inputIds } = slow.encode(input);
        expect(inputIds[inputIds.length - 1]).toBe(slow.eosTokenId);
        for (const id of inputIds) expect(id >= 0 && id < slow.length).toBe(true);
        expect(typeof slow.decode(inputIds, { skipSpecialTokens: true })).toBe('string');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

// Metaspace's "first" scheme prepends only to the piece that begins the text as Rust's
// alignments see it: after normalizers that strip, replace, prepend or fold characters there.
const FIRST_LAYOUTS: Record<string, (json: Record<string, unknown>) => void> = {
  'first, Strip both sides': (json) => {
    (json['normalizer'] as { normalizers: unknown[] }).normalizers[1] = { type: 'Strip', strip_left: true, strip_right: true };
  },
  'first, WhitespaceSplit before Metaspace': (json) => {
    json['pre_tokenizer'] = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first' }] };
  },
  'first, spaces removed, Prepend, Strip left': (json) => {
    const normalizers = (json['normalizer'] as { normalizers: unknown[] }).normalizers;
    normalizers[2] = { type: 'Replace', pattern: { Regex: ' +' }, content: '' };
    normalizers.push({ type: 'Prepend', prepend: 'x' }, { type: 'Strip', strip_left: true, strip_right: false });
  },
};
const startText = fc.string({ unit: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('¨', '´', ' ', '  ', '\t', '\u200b', 'ﬁ', 'Ａ', '\u0301', 'a', '<extra_id_0>', '▁', '\u3000', '½') }, { weight: 1, arbitrary: wellFormedUnit }), maxLength: 8 });

describe.each(Object.keys(FIRST_LAYOUTS))('tokenizer.json with %s', (layout) => {
  it('equals the Rust tokenizers on random text', async () => {
    const json = editedTokenizerJson('t5-nobf', (j) => {
      if (!j['pre_tokenizer'] || (j['pre_tokenizer'] as { type: string }).type === 'Metaspace') j['pre_tokenizer'] = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first' };
      FIRST_LAYOUTS[layout]!(j);
    });
    const ours = fastTokenizer('t5-nobf', json);
    const rust = rustTokenizer('t5-nobf', json);
    await fc.assert(
      fc.asyncProperty(startText, async (input) => {
        expect(ours.tokenize(input)).toEqual((await rust.encode(input, null, { addSpecialTokens: false })).getTokens());
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

describe('grapheme clusters', () => {
  const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
  // The classes were read from ICU (scripts/t5/generate-grapheme-classes.mjs); the rules are ours.
  // Well-formed text only: the fast path turns lone surrogates into U+FFFD first, as Rust must.
  it('equal ICU\'s Intl.Segmenter (the Unicode version of unicode-segmentation in tokenizers)', () => {
    fc.assert(
      fc.property(fc.string({ unit: wellFormedUnit, maxLength: 12 }), (input) => {
        const ours: string[] = [];
        forEachGrapheme(input, (start, end) => ours.push(input.slice(start, end)));
        expect(ours).toEqual([...segmenter.segment(input)].map((s) => s.segment));
      }),
      { numRuns: FUZZ_RUNS * 10 },
    );
  });
});
