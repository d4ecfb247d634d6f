import type { SentencePieceModel } from './sentencepiece-model.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? ALPHABET[n & 63]! : '=';
  }
  return out;
}

/**
 * The tokenizer.json transformers 4.36's T5Converter makes of a SentencePiece model, as
 * `T5TokenizerFast.from_pretrained` does for a repo with only spiece.model: the pieces with their
 * scores and the `<extra_id_N>` after them (99 first), the charsmap as a Precompiled normalizer
 * followed by a right Strip and runs of spaces replaced by "▁", Metaspace ("always"), `</s>`
 * appended, the special tokens as added tokens. The model's byte fallback is not carried over.
 */
export function convertT5SentencePiece(model: SentencePieceModel, extraIds = 100): Record<string, unknown> {
  const vocab: [string, number][] = model.pieces.map((p) => [p.piece, p.score]);
  for (let i = extraIds - 1; i >= 0; i--) vocab.push([`<extra_id_${i}>`, 0]);
  const idOf = new Map(vocab.map(([piece], id) => [piece, id]));
  const specials = ['</s>', '<unk>', '<pad>', ...Array.from({ length: extraIds }, (_, i) => `<extra_id_${i}>`)];
  const addedTokens = specials
    .filter((content) => idOf.has(content))
    .map((content) => ({ id: idOf.get(content)!, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((a, b) => a.id - b.id);
  const normalizers: Record<string, unknown>[] = [
    { type: 'Strip', strip_left: false, strip_right: true },
    { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '\u2581' },
  ];
  const charsmap = model.normalizerSpec.precompiledCharsmap;
  if (charsmap.length > 0) normalizers.unshift({ type: 'Precompiled', precompiled_charsmap: encodeBase64(charsmap) });
  const metaspace = { type: 'Metaspace', replacement: '\u2581', add_prefix_space: true, prepend_scheme: 'always' };
  const eos = { SpecialToken: { id: '</s>', type_id: 0 } };
  const sequence = (id: string) => ({ Sequence: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'TemplateProcessing',
      single: [sequence('A'), eos],
      pair: [sequence('A'), eos, sequence('B'), eos],
      special_tokens: { '</s>': { id: '</s>', ids: [idOf.get('</s>')], tokens: ['</s>'] } },
    },
    decoder: { ...metaspace },
    model: { type: 'Unigram', unk_id: model.trainerSpec.unkId, vocab, byte_fallback: false },
  };
}
