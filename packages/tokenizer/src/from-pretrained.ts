import { CLIPTokenizer } from './clip-tokenizer.js';
import { folderSource, type TextFileSource } from './file-source.js';
import { parseTokenizerSettings } from './tokenizer-config.js';
import { isCanonicalClipVocabulary } from './canonical-clip-files.js';
import { bundledClipVocabulary, parseVocabularyFiles } from './vocabulary.js';

export interface FromPretrainedOptions {
  /** A folder inside the source, e.g. "tokenizer" for a Stable Diffusion repo. */
  subfolder?: string;
}

/**
 * A tokenizer from a Hugging Face tokenizer folder: vocab.json, merges.txt,
 * tokenizer_config.json, special_tokens_map.json and, if present, added_tokens.json.
 */
export async function tokenizerFromPretrained(
  source: string | TextFileSource,
  options: FromPretrainedOptions = {},
): Promise<CLIPTokenizer> {
  const files = typeof source === 'string' ? folderSource(source) : source;
  const prefix = options.subfolder ? options.subfolder.replace(/\/+$/, '') + '/' : '';
  const where = (file: string) => `${files.name}/${prefix}${file}`;
  const read = (file: string) => files.readText(prefix + file);
  const [vocab, merges, tokenizerConfig, specialTokensMap, addedTokens] = await Promise.all([
    read('vocab.json'),
    read('merges.txt'),
    read('tokenizer_config.json'),
    read('special_tokens_map.json'),
    read('added_tokens.json'),
  ]);
  for (const [file, text] of [['vocab.json', vocab], ['merges.txt', merges]] as const) {
    if (text === null) throw new Error(`${where(file)} not found: a CLIP tokenizer folder needs vocab.json and merges.txt`);
  }
  const names = { vocab: where('vocab.json'), merges: where('merges.txt') };
  // Nearly every SD tokenizer folder holds CLIP's own files: recognised by digest, not parsed.
  const vocabulary = (await isCanonicalClipVocabulary(vocab!, merges!))
    ? bundledClipVocabulary({ vocab: `${names.vocab} (CLIP's own, as bundled)`, merges: `${names.merges} (CLIP's own, as bundled)` })
    : parseVocabularyFiles(vocab!, merges!, names);
  const settings = parseTokenizerSettings({
    tokenizerConfig,
    specialTokensMap,
    addedTokens,
    names: {
      tokenizerConfig: where('tokenizer_config.json'),
      specialTokensMap: where('special_tokens_map.json'),
      addedTokens: where('added_tokens.json'),
    },
  });
  return new CLIPTokenizer({ vocabulary, nameOrPath: `${files.name}${prefix ? '/' + prefix.slice(0, -1) : ''}`, ...settings });
}
