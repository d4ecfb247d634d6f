import * as fs from 'node:fs';
import { BOS_TOKEN, EOS_TOKEN, bundledClipVocabulary } from '@sdtext/tokenizer';
import { HF_TOKENIZER_DIR } from './paths.js';

/** SD2 pads with "!" (id 0); its slow tokenizer treats the pad token as a special added token. */
const PAD_TOKEN = '!';

/**
 * The `tokenizers` JSON that the hub's openai/clip-vit-large-patch14 tokenizer.json uses, made
 * from our bundled vocabulary, with SD2's "!" pad token added: NFC + whitespace collapse +
 * lowercase, CLIP's word pattern (Removed, inverted), byte-level without its own regex, BPE with
 * `</w>` word ends, bos/eos by RobertaProcessing.
 */
export function clipTokenizerJson(): object {
  const vocabulary = bundledClipVocabulary();
  const vocab: Record<string, number> = {};
  vocabulary.tokens.forEach((token, id) => (vocab[token] = id));
  const merges: string[] = [];
  for (let i = 0; i < vocabulary.merges.length; i += 3) {
    merges.push(`${vocabulary.tokens[vocabulary.merges[i]!]} ${vocabulary.tokens[vocabulary.merges[i + 1]!]}`);
  }
  const added = (id: number, content: string, normalized: boolean) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      added(vocabulary.idOf.get(PAD_TOKEN)!, PAD_TOKEN, false),
      added(vocabulary.idOf.get(BOS_TOKEN)!, BOS_TOKEN, true),
      added(vocabulary.idOf.get(EOS_TOKEN)!, EOS_TOKEN, false),
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS_TOKEN, vocabulary.idOf.get(EOS_TOKEN)!],
      cls: [BOS_TOKEN, vocabulary.idOf.get(BOS_TOKEN)!],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

/** stabilityai/stable-diffusion-2-base's tokenizer_config.json, as transformers.js reads it. */
export const SD2_TOKENIZER_CONFIG = {
  tokenizer_class: 'CLIPTokenizer',
  model_max_length: 77,
  bos_token: BOS_TOKEN,
  eos_token: EOS_TOKEN,
  unk_token: EOS_TOKEN,
  pad_token: PAD_TOKEN,
  do_lower_case: true,
  add_prefix_space: false,
  clean_up_tokenization_spaces: true,
  errors: 'replace',
};

/**
 * vocab.json and merges.txt as the hub has them in every SD tokenizer folder: Python's
 * `json.dumps(vocab, ensure_ascii=False)` in id order, and the merges after "#version: 0.2".
 */
export function hubVocabularyFiles(): { vocabJson: string; mergesTxt: string } {
  const { tokens, merges } = bundledClipVocabulary();
  const vocabJson = '{' + tokens.map((t, i) => `${JSON.stringify(t)}: ${i}`).join(', ') + '}';
  const lines = ['#version: 0.2'];
  for (let r = 0; r < merges.length / 3; r++) lines.push(`${tokens[merges[r * 3]!]} ${tokens[merges[r * 3 + 1]!]}`);
  return { vocabJson, mergesTxt: lines.join('\n') + '\n' };
}

/**
 * Writes the folder once and returns its path: tokenizer.json (for the peers), the hub's
 * vocab.json and merges.txt (what sdtext and Python's slow tokenizer read), tokenizer_config.json,
 * special_tokens_map.json.
 */
export function ensureHfTokenizerFolder(): string {
  const marker = `${HF_TOKENIZER_DIR}tokenizer.json`;
  if (fs.existsSync(marker) && fs.existsSync(`${HF_TOKENIZER_DIR}merges.txt`)) return HF_TOKENIZER_DIR;
  fs.mkdirSync(HF_TOKENIZER_DIR, { recursive: true });
  fs.writeFileSync(`${HF_TOKENIZER_DIR}tokenizer_config.json`, JSON.stringify(SD2_TOKENIZER_CONFIG, null, 2));
  fs.writeFileSync(
    `${HF_TOKENIZER_DIR}special_tokens_map.json`,
    JSON.stringify({ bos_token: BOS_TOKEN, eos_token: EOS_TOKEN, unk_token: EOS_TOKEN, pad_token: PAD_TOKEN }, null, 2),
  );
  const { vocabJson, mergesTxt } = hubVocabularyFiles();
  fs.writeFileSync(`${HF_TOKENIZER_DIR}vocab.json`, vocabJson);
  fs.writeFileSync(`${HF_TOKENIZER_DIR}merges.txt`, mergesTxt);
  // Written last, under a temporary name: its presence means the folder is complete.
  fs.writeFileSync(`${marker}.tmp`, JSON.stringify(clipTokenizerJson()));
  fs.renameSync(`${marker}.tmp`, marker);
  return HF_TOKENIZER_DIR;
}
