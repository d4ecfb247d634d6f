export { T5Tokenizer } from './t5-tokenizer.js';
export type { T5BatchEncoding, T5DecodeOptions, T5EncodeOptions, T5Encoding, T5Padding, T5TokenizerOptions } from './t5-tokenizer.js';
export { folderFileSource } from './from-pretrained.js';
export type { FileSource, T5FromPretrainedOptions } from './from-pretrained.js';
export type { T5Settings } from './t5-config.js';
export { parseSentencePieceModel } from './sentencepiece-model.js';
export type { NormalizerSpec, PieceType, SentencePiece, SentencePieceModel, TrainerSpec } from './sentencepiece-model.js';
export { SentencePieceProcessor } from './sentencepiece-processor.js';
export { convertT5SentencePiece } from './t5-converter.js';
