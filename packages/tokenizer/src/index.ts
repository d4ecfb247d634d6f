export { CLIPTokenizer } from './clip-tokenizer.js';
export type {
  BatchEncoding,
  CLIPTokenizerInit,
  DecodeOptions,
  EncodeOptions,
  Encoding,
  Padding,
  Truncation,
} from './clip-tokenizer.js';
export { addedToken } from './added-token.js';
export type { AddedToken, TokenSpec } from './added-token.js';
export { TOKENIZER_PRESETS, tokenizerFromPreset } from './presets.js';
export type { TokenizerPreset } from './presets.js';
export { tokenizerFromPretrained } from './from-pretrained.js';
export type { FromPretrainedOptions } from './from-pretrained.js';
export { folderSource } from './file-source.js';
export type { TextFileSource } from './file-source.js';
export { bundledClipVocabulary, parseVocabularyFiles, BOS_TOKEN, EOS_TOKEN } from './vocabulary.js';
export type { Vocabulary } from './vocabulary.js';
export { BytePairEncoder } from './bpe.js';
export { BYTE_ENCODER } from './byte-encoder.js';
export { cleanText } from './clean-text.js';
export { splitWords, clipWordPattern } from './pre-tokenizer.js';
export type { BpeStep, BpeTrace } from './bpe-trace.js';
