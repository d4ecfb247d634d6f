/**
 * What T5Tokenizer needs from either implementation: transformers' slow T5Tokenizer over
 * spiece.model, or T5TokenizerFast over tokenizer.json (the Rust `tokenizers`). Padding,
 * truncation and batching are shared; everything that differs between the two lives behind this.
 */
export interface T5Pipeline {
  /** The Hugging Face class this pipeline reproduces id for id. */
  readonly reference: 'T5Tokenizer' | 'T5TokenizerFast';
  /** HF's `vocab_size`. */
  readonly vocabSize: number;
  /** HF's `len(tokenizer)`: the vocabulary with the added tokens. */
  readonly length: number;
  /** At most how many ids `withSpecialTokens` adds (truncation leaves room for them). */
  readonly specialTokenCount: number;
  /** Ids of all special tokens (HF's `all_special_ids`). */
  readonly specialIds: ReadonlySet<number>;
  /** Tokens and ids of a text without the special tokens around it (HF's `tokenize` + ids). */
  encodeText(text: string): { tokens: string[]; ids: number[] };
  /** The ids with the special tokens added (T5: `</s>` appended); may add them in place. */
  withSpecialTokens(ids: number[]): number[];
  /** Decoded text before `clean_up_tokenization`; ids are checked by the caller. */
  decode(ids: readonly number[], skipSpecialTokens: boolean): string;
  idToToken(id: number): string | undefined;
  /** The id of a token, or undefined when it is neither in the vocabulary nor added. */
  tokenToId(token: string): number | undefined;
  getVocab(): Record<string, number>;
}
