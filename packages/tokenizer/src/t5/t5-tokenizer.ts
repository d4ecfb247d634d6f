import { FastT5Tokenizer } from './fast-tokenizer.js';
import { t5TokenizerFromPretrained, type FileSource, type T5FromPretrainedOptions } from './from-pretrained.js';
import type { T5Pipeline } from './pipeline.js';
import { parseSentencePieceModel } from './sentencepiece-model.js';
import { SlowT5Tokenizer } from './slow-tokenizer.js';
import { convertT5SentencePiece } from './t5-converter.js';
import type { T5Settings } from './t5-config.js';

export type T5Padding = 'max_length' | 'longest' | false;

export interface T5EncodeOptions {
  /** `'max_length'` pads to `maxLength` (SD3: 256, Flux: 512), `'longest'` to the longest in the batch. Default: false. */
  padding?: T5Padding;
  /** Default: `modelMaxLength` (none when the folder sets none: then pass it). */
  maxLength?: number;
  /** Cut sequences longer than `maxLength`, keeping room for `</s>`. Default: false, as Hugging Face. */
  truncation?: boolean;
  /** Append `</s>`. Default: true. */
  addSpecialTokens?: boolean;
}

export interface T5Encoding {
  readonly inputIds: number[];
  readonly attentionMask: number[];
}

export interface T5BatchEncoding {
  readonly inputIds: number[][];
  readonly attentionMask: number[][];
}

export interface T5DecodeOptions {
  /** Drop `</s>`, `<pad>`, `<unk>` and the `<extra_id_N>`. Default: false. */
  skipSpecialTokens?: boolean;
  /** Hugging Face's `clean_up_tokenization` (" ." -> "." and friends). Default: the folder's setting, else true. */
  cleanUpTokenizationSpaces?: boolean;
}

export interface T5TokenizerOptions extends T5Settings {
  /** Shown in `String(tokenizer)` and errors, as Hugging Face's `name_or_path`. */
  nameOrPath?: string;
}

/**
 * The T5 tokenizer of SD3/3.5 and Flux, id for id with Hugging Face: from a tokenizer.json it is
 * `T5TokenizerFast` (the Rust `tokenizers`), from a spiece.model alone the slow `T5Tokenizer`
 * (SentencePiece). The two differ on purpose in places (docs/t5-tokenizer.md); `reference` says
 * which one this tokenizer reproduces.
 */
export class T5Tokenizer {
  readonly nameOrPath: string;
  readonly modelMaxLength: number;
  readonly paddingSide = 'right';
  readonly truncationSide = 'right';
  readonly eosToken: string;
  readonly unkToken: string;
  readonly padToken: string;
  readonly eosTokenId: number;
  readonly unkTokenId: number;
  readonly padTokenId: number;
  private readonly pipeline: T5Pipeline;
  private readonly cleanUpTokenizationSpaces: boolean;

  private constructor(pipeline: T5Pipeline, options: T5TokenizerOptions) {
    this.pipeline = pipeline;
    this.nameOrPath = options.nameOrPath ?? '';
    this.modelMaxLength = options.modelMaxLength ?? Infinity;
    this.cleanUpTokenizationSpaces = options.cleanUpTokenizationSpaces ?? true;
    this.eosToken = options.eosToken ?? '</s>';
    this.unkToken = options.unkToken ?? '<unk>';
    this.padToken = options.padToken ?? '<pad>';
    const idOf = (token: string, role: string) => {
      const id = pipeline.tokenToId(token);
      if (id === undefined) throw new Error(`${this.nameOrPath || 'T5 tokenizer'}: the ${role} token ${JSON.stringify(token)} is not in the vocabulary`);
      return id;
    };
    this.eosTokenId = idOf(this.eosToken, 'eos');
    this.unkTokenId = idOf(this.unkToken, 'unk');
    this.padTokenId = idOf(this.padToken, 'pad');
  }

  /**
   * From a Hugging Face tokenizer folder (a path in Node, or a file source): SD3's
   * `tokenizer_3`, Flux's `tokenizer_2`. tokenizer.json gives T5TokenizerFast, spiece.model
   * alone the slow T5Tokenizer (see `useFast`).
   */
  static fromPretrained(source: string | FileSource, options?: T5FromPretrainedOptions): Promise<T5Tokenizer> {
    return t5TokenizerFromPretrained(source, options);
  }

  /** T5TokenizerFast from the text of a tokenizer.json. */
  static fromTokenizerJson(text: string, options: T5TokenizerOptions = {}): T5Tokenizer {
    const file = options.nameOrPath ? `${options.nameOrPath}/tokenizer.json` : 'tokenizer.json';
    return new T5Tokenizer(new FastT5Tokenizer(text, file), options);
  }

  /**
   * From the bytes of a spiece.model: the slow T5Tokenizer, or with `fast: true` the
   * T5TokenizerFast that transformers converts it to (T5Converter) when a repo has no tokenizer.json.
   */
  static fromSentencePiece(bytes: Uint8Array, options: T5TokenizerOptions & { fast?: boolean } = {}): T5Tokenizer {
    const file = options.nameOrPath ? `${options.nameOrPath}/spiece.model` : 'spiece.model';
    const model = parseSentencePieceModel(bytes, file);
    if (options.fast) {
      const json = JSON.stringify(convertT5SentencePiece(model, options.extraIds ?? 100));
      return new T5Tokenizer(new FastT5Tokenizer(json, `${file} (converted to tokenizer.json)`), options);
    }
    if (options.legacy === false) {
      throw new Error(`${file}: legacy=False (tokenizer_config.json) is not supported by the slow T5Tokenizer here; only the legacy behaviour, transformers' default`);
    }
    return new T5Tokenizer(new SlowT5Tokenizer(model, file, options), options);
  }

  /** Which Hugging Face tokenizer this one equals: `'T5TokenizerFast'` or the slow `'T5Tokenizer'`. */
  get reference(): 'T5Tokenizer' | 'T5TokenizerFast' {
    return this.pipeline.reference;
  }

  /** HF's `vocab_size`. */
  get vocabSize(): number {
    return this.pipeline.vocabSize;
  }

  /** Vocabulary plus added tokens, as Python's `len(tokenizer)`. */
  get length(): number {
    return this.pipeline.length;
  }

  /** Ids of the special tokens (`</s>`, `<unk>`, `<pad>`, the sentinels), as HF's `all_special_ids`. */
  get allSpecialIds(): number[] {
    return [...this.pipeline.specialIds].sort((a, b) => a - b);
  }

  /** token -> id for the vocabulary and the added tokens (HF's `get_vocab()`). */
  getVocab(): Record<string, number> {
    return this.pipeline.getVocab();
  }

  /** The tokens of a text, without `</s>` (HF's `tokenize`); unknown text shows as itself. */
  tokenize(text: string): string[] {
    return this.pipeline.encodeText(checkText(text, 'tokenize')).tokens;
  }

  convertTokensToIds(tokens: string): number;
  convertTokensToIds(tokens: readonly string[]): number[];
  convertTokensToIds(tokens: string | readonly string[]): number | number[] {
    const one = (token: unknown, position: number) => {
      if (typeof token !== 'string') throw new TypeError(`convertTokensToIds: token ${position} is ${describe(token)}, expected a string`);
      return this.pipeline.tokenToId(token) ?? this.unkTokenId;
    };
    if (typeof tokens === 'string') return one(tokens, 0);
    if (!Array.isArray(tokens)) throw new TypeError(`convertTokensToIds: expected a string or an array of strings, got ${describe(tokens)}`);
    return tokens.map(one);
  }

  convertIdsToTokens(ids: number): string;
  convertIdsToTokens(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string[];
  convertIdsToTokens(ids: number | readonly number[], options: { skipSpecialTokens?: boolean } = {}): string | string[] {
    if (!Array.isArray(ids)) return this.tokenOf(ids, 0);
    const tokens: string[] = [];
    ids.forEach((id, position) => {
      const token = this.tokenOf(id, position);
      if (!(options.skipSpecialTokens && this.pipeline.specialIds.has(id))) tokens.push(token);
    });
    return tokens;
  }

  /** Token ids for one text or a batch, padded and truncated as asked (HF's `tokenizer(...)`). */
  encode(text: string, options?: T5EncodeOptions): T5Encoding;
  encode(texts: readonly string[], options?: T5EncodeOptions): T5BatchEncoding;
  encode(input: string | readonly string[], options: T5EncodeOptions = {}): T5Encoding | T5BatchEncoding {
    if (typeof input === 'string') {
      const batch = this.encodeBatch([input], options);
      return { inputIds: batch.inputIds[0]!, attentionMask: batch.attentionMask[0]! };
    }
    if (!Array.isArray(input)) throw new TypeError(`encode: expected a string or an array of strings, got ${describe(input)}`);
    return this.encodeBatch(input, options);
  }

  /** Text of token ids (HF's `decode`). */
  decode(ids: readonly number[], options: T5DecodeOptions = {}): string {
    if (!Array.isArray(ids)) throw new TypeError(`decode: expected an array of token ids, got ${describe(ids)}`);
    ids.forEach((id, position) => this.tokenOf(id, position));
    const text = this.pipeline.decode(ids, options.skipSpecialTokens ?? false);
    return (options.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces) ? cleanUpTokenization(text) : text;
  }

  batchDecode(rows: readonly (readonly number[])[], options: T5DecodeOptions = {}): string[] {
    if (!Array.isArray(rows)) throw new TypeError(`batchDecode: expected an array of id arrays, got ${describe(rows)}`);
    return rows.map((ids, row) => {
      try {
        return this.decode(ids, options);
      } catch (error) {
        if (error instanceof Error) error.message = `row ${row}: ${error.message}`;
        throw error;
      }
    });
  }

  /** The summary Hugging Face prints for the tokenizer. */
  toString(): string {
    const fast = this.reference === 'T5TokenizerFast';
    const maxLength = this.modelMaxLength === Infinity ? '1000000000000000019884624838656' : String(this.modelMaxLength);
    return (
      `${this.reference}(name_or_path='${this.nameOrPath}', vocab_size=${this.vocabSize}, model_max_length=${maxLength}, ` +
      `is_fast=${fast ? 'True' : 'False'}, padding_side='right', truncation_side='right', ` +
      `special_tokens={'eos_token': '${this.eosToken}', 'unk_token': '${this.unkToken}', 'pad_token': '${this.padToken}'})`
    );
  }

  private tokenOf(id: unknown, position: number): string {
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new TypeError(`token id at position ${position} is not an integer: ${describe(id)}`);
    }
    const token = id >= 0 ? this.pipeline.idToToken(id) : undefined;
    if (token === undefined) {
      throw new RangeError(`token id ${id} at position ${position} is out of range: ids go from 0 to ${this.pipeline.length - 1}`);
    }
    return token;
  }

  private encodeBatch(texts: readonly string[], options: T5EncodeOptions): T5BatchEncoding {
    const padding = options.padding ?? false;
    if (padding !== false && padding !== 'max_length' && padding !== 'longest') {
      throw new Error(`padding must be 'max_length', 'longest' or false, got ${JSON.stringify(padding)}`);
    }
    const addSpecial = options.addSpecialTokens ?? true;
    const reserved = addSpecial ? this.pipeline.specialTokenCount : 0;
    const maxLength = options.maxLength ?? this.modelMaxLength;
    if (maxLength !== Infinity && (!Number.isInteger(maxLength) || maxLength < Math.max(1, reserved))) {
      throw new Error(`maxLength must be an integer of at least ${Math.max(1, reserved)}, got ${maxLength}`);
    }
    if (padding === 'max_length' && maxLength === Infinity) {
      throw new Error(`padding 'max_length' needs a maxLength: ${this.nameOrPath || 'this tokenizer'} sets no model_max_length (SD3 uses 256, Flux 512)`);
    }
    const rows = texts.map((text, index) => {
      if (typeof text !== 'string') throw new TypeError(`encode: text ${index} is ${describe(text)}, expected a string`);
      let ids = this.pipeline.encodeText(text).ids;
      // Truncation keeps room for the special tokens, which come after it (so </s> stays).
      if (options.truncation && ids.length + reserved > maxLength) ids = ids.slice(0, maxLength - reserved);
      return addSpecial ? this.pipeline.withSpecialTokens(ids) : ids;
    });
    let target = 0;
    if (padding === 'max_length') target = maxLength;
    else if (padding === 'longest') for (const ids of rows) target = Math.max(target, ids.length);
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    for (const ids of rows) {
      const length = ids.length;
      for (let i = length; i < target; i++) ids.push(this.padTokenId);
      inputIds.push(ids);
      attentionMask.push(new Array<number>(ids.length).fill(1, 0, length).fill(0, length));
    }
    return { inputIds, attentionMask };
  }
}

function checkText(text: unknown, what: string): string {
  if (typeof text !== 'string') throw new TypeError(`${what}: expected a string, got ${describe(text)}`);
  return text;
}

/** A value in an error message: `"320" (a string)`, `1.5`, `null`. */
function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)} (a string)`;
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Hugging Face's `clean_up_tokenization`. */
function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
