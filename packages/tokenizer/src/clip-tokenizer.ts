import { addedToken, reprTokenSpec, tokenContent, type AddedToken, type TokenSpec } from './added-token.js';
import { AddedTokenSplitter } from './added-token-splitter.js';
import { BytePairEncoder } from './bpe.js';
import { traceBpe, type BpeTrace } from './bpe-trace.js';
import { byteOfChar } from './byte-encoder.js';
import { cleanText } from './clean-text.js';
import { splitWords } from './pre-tokenizer.js';
import { pythonStrip } from './python-str.js';
import { tokenizerFromPretrained, type FromPretrainedOptions } from './from-pretrained.js';
import type { TextFileSource } from './file-source.js';
import { tokenizerFromPreset, type TokenizerPreset } from './presets.js';
import type { Vocabulary } from './vocabulary.js';

/** Everything that defines a CLIP tokenizer: its vocabulary and its special tokens. */
export interface CLIPTokenizerInit {
  readonly vocabulary: Vocabulary;
  /** Shown in `String(tokenizer)`, as Hugging Face's `name_or_path`. */
  readonly nameOrPath: string;
  readonly modelMaxLength: number;
  readonly bosToken: TokenSpec;
  readonly eosToken: TokenSpec;
  readonly unkToken: TokenSpec;
  readonly padToken: TokenSpec;
  /**
   * Added tokens (added_tokens.json, tokenizer_config.json's added_tokens_decoder): ids inside the
   * vocabulary mark existing tokens, ids past it must follow on from it in order.
   */
  readonly addedTokens?: ReadonlyArray<{ readonly content: string; readonly id: number; readonly special?: boolean }>;
}

export type Padding = 'max_length' | 'longest' | false;

export interface EncodeOptions {
  /** `'max_length'` pads to `maxLength`, `'longest'` to the longest in the batch. Default: false. */
  padding?: Padding;
  /** Default: `modelMaxLength` (77). */
  maxLength?: number;
  /** Cut sequences longer than `maxLength` (keeping the final EOS). Default: false, as HF. */
  truncation?: boolean;
  /** Wrap in `<|startoftext|>` ... `<|endoftext|>`. Default: true. */
  addSpecialTokens?: boolean;
}

/** What truncation removed from one text: diffusers warns with `removedText`. */
export interface Truncation {
  readonly removedTokens: number;
  readonly removedIds: readonly number[];
  readonly removedText: string;
}

export interface Encoding {
  readonly inputIds: number[];
  readonly attentionMask: number[];
  readonly truncation: Truncation | null;
}

export interface BatchEncoding {
  readonly inputIds: number[][];
  readonly attentionMask: number[][];
  readonly truncation: (Truncation | null)[];
}

export interface DecodeOptions {
  /** Drop bos, eos, unk and pad ids (SD2's pad is "!", id 0). Default: false. */
  skipSpecialTokens?: boolean;
  /** Hugging Face's `clean_up_tokenization` (" ." -> "." and friends). Default: true. */
  cleanUpTokenizationSpaces?: boolean;
}

/** Words are cached by their text; the cache is dropped when it grows past this many entries. */
const WORD_CACHE_LIMIT = 100_000;

const utf8 = new TextEncoder();
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });

/**
 * Hugging Face's slow `CLIPTokenizer`, id for id: ftfy text repair, whitespace collapse,
 * lowercase, CLIP's word pattern, byte-level BPE, and the special tokens split out first.
 */
export class CLIPTokenizer {
  readonly nameOrPath: string;
  readonly modelMaxLength: number;
  readonly paddingSide = 'right';
  readonly truncationSide = 'right';
  readonly bosToken: string;
  readonly eosToken: string;
  readonly unkToken: string;
  readonly padToken: string;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly unkTokenId: number;
  readonly padTokenId: number;

  private readonly vocabulary: Vocabulary;
  private readonly bpe: BytePairEncoder;
  private readonly specialSpecs: Readonly<Record<'bos_token' | 'eos_token' | 'unk_token' | 'pad_token', TokenSpec>>;
  /** Added tokens by content, with their ids (specials included). */
  private readonly addedTokenIds = new Map<string, number>();
  private readonly addedTokensById = new Map<number, AddedToken>();
  private splitter: AddedTokenSplitter;
  /** Added tokens with ids past the vocabulary's, in id order. */
  private readonly extraTokens: string[] = [];
  private decoderTable: string[] | null = null;
  private readonly wordCache = new Map<string, readonly number[]>();

  constructor(init: CLIPTokenizerInit) {
    this.vocabulary = init.vocabulary;
    this.nameOrPath = init.nameOrPath;
    this.modelMaxLength = init.modelMaxLength;
    this.bpe = new BytePairEncoder(init.vocabulary.merges, init.vocabulary.byteSymbols);
    this.specialSpecs = {
      bos_token: init.bosToken,
      eos_token: init.eosToken,
      unk_token: init.unkToken,
      pad_token: init.padToken,
    };
    this.bosToken = tokenContent(init.bosToken);
    this.eosToken = tokenContent(init.eosToken);
    this.unkToken = tokenContent(init.unkToken);
    this.padToken = tokenContent(init.padToken);

    for (const { content, id, special = false } of init.addedTokens ?? []) {
      const inVocabulary = id < this.vocabulary.size;
      if (inVocabulary ? this.vocabulary.tokens[id] !== content : id !== this.length) {
        throw new Error(
          inVocabulary
            ? `added token ${JSON.stringify(content)} has id ${id}, which is ${JSON.stringify(this.vocabulary.tokens[id])} in ${this.vocabulary.source}`
            : `added token ${JSON.stringify(content)} has id ${id}, expected ${this.length} (the next free id)`,
        );
      }
      this.registerAddedToken(addedToken(content, { special }), id);
    }
    // Special tokens are added tokens too: HF splits them out of the raw text before cleaning.
    for (const spec of Object.values(this.specialSpecs)) {
      const token = typeof spec === 'string' ? addedToken(spec, { special: true, normalized: false }) : { ...spec, special: true };
      const id = this.addedTokenIds.get(token.content) ?? this.vocabulary.idOfToken(token.content);
      if (id === undefined) {
        throw new Error(`special token ${JSON.stringify(token.content)} is not in ${this.vocabulary.source}`);
      }
      this.registerAddedToken(token, id);
    }
    this.bosTokenId = this.convertTokenToId(this.bosToken);
    this.eosTokenId = this.convertTokenToId(this.eosToken);
    this.unkTokenId = this.convertTokenToId(this.unkToken);
    this.padTokenId = this.convertTokenToId(this.padToken);
    this.splitter = new AddedTokenSplitter([...this.addedTokensById.values()]);
  }

  /** A bundled tokenizer: `'sd2'` (stabilityai/stable-diffusion-2-base) or `'sd1'` (openai/clip-vit-large-patch14). */
  static fromPreset(preset: TokenizerPreset): CLIPTokenizer {
    return tokenizerFromPreset(preset);
  }

  /** A tokenizer from a Hugging Face tokenizer folder (a path in Node) or any file source. */
  static fromPretrained(source: string | TextFileSource, options?: FromPretrainedOptions): Promise<CLIPTokenizer> {
    return tokenizerFromPretrained(source, options);
  }

  /** Where the vocabulary came from: "bundled CLIP vocabulary", or a vocab.json path (marked when its bytes are CLIP's own and the bundled data stands in). */
  get vocabularySource(): string {
    return this.vocabulary.source;
  }

  /** Size of the base vocabulary, without added tokens (49408 for CLIP), as HF's `vocab_size`. */
  get vocabSize(): number {
    return this.vocabulary.size;
  }

  /** Vocabulary plus added tokens, as Python's `len(tokenizer)`. */
  get length(): number {
    return this.vocabulary.size + this.extraTokens.length;
  }

  /** id -> token, for the vocabulary and the added tokens: `decoder[320] === 'a</w>'` (made on first use). */
  get decoder(): readonly string[] {
    return (this.decoderTable ??= [...this.vocabulary.tokens, ...this.extraTokens]);
  }

  /** `{bos_token, eos_token, unk_token, pad_token}` as HF's `special_tokens_map`. */
  get specialTokensMap(): Record<'bos_token' | 'eos_token' | 'unk_token' | 'pad_token', string> {
    return { bos_token: this.bosToken, eos_token: this.eosToken, unk_token: this.unkToken, pad_token: this.padToken };
  }

  /** Ids of bos, eos, unk and pad, without repeats (HF's `all_special_ids`). */
  get allSpecialIds(): number[] {
    return [...new Set([this.bosTokenId, this.eosTokenId, this.unkTokenId, this.padTokenId])];
  }

  /** token -> id for the vocabulary and the added tokens (HF's `get_vocab()`). */
  getVocab(): Record<string, number> {
    const vocab: Record<string, number> = {};
    this.vocabulary.tokens.forEach((token, id) => (vocab[token] = id));
    for (const [content, id] of this.addedTokenIds) vocab[content] = id;
    return vocab;
  }

  /**
   * Adds tokens matched verbatim before cleaning (textual inversion's `<cat-toy>`). New ones get
   * ids from `length` on (49408 for CLIP); returns how many new ids were made.
   */
  addTokens(tokens: string | readonly string[], options: { special?: boolean } = {}): number {
    let added = 0;
    for (const content of typeof tokens === 'string' ? [tokens] : tokens) {
      if (typeof content !== 'string') throw new TypeError(`addTokens: expected strings, got ${typeof content}`);
      if (content === '' || this.addedTokenIds.has(content)) continue;
      const special = options.special ?? false;
      let id = this.vocabulary.idOfToken(content);
      if (id === undefined) {
        id = this.length;
        added++;
      }
      this.registerAddedToken(addedToken(content, { special }), id);
    }
    this.splitter = new AddedTokenSplitter([...this.addedTokensById.values()]);
    this.wordCache.clear();
    return added;
  }

  /** The BPE tokens of a text, as HF's `tokenize` (no bos/eos). */
  tokenize(text: string): string[] {
    return this.textToIds(text).map((id) => this.decoder[id]!);
  }

  /**
   * The words BPE sees, in order: each text between added tokens cleaned and split by CLIP's
   * pattern, and each added token as a word of its own (HF's `tokenize` before BPE).
   */
  /**
   * How CLIP's BPE turns one word (one of `preTokenize`'s) into tokens, step by step: its UTF-8
   * bytes, their byte symbols, and each merge (HF's loop: the lowest-ranked pair, merged wherever
   * it occurs). The final `ids` are what `encode` gives for the word.
   */
  bpeTrace(word: string): BpeTrace {
    if (typeof word !== 'string' || word === '') throw new TypeError('bpeTrace: expected a non-empty word (one of preTokenize(text))');
    return traceBpe(word, this.bpe, this.decoder);
  }

  preTokenize(text: string): string[] {
    if (typeof text !== 'string') throw new TypeError(`expected a string, got ${text === null ? 'null' : typeof text}`);
    const words: string[] = [];
    for (const piece of this.splitter.split(text)) {
      if ('added' in piece) words.push(piece.added.content);
      else for (const word of splitWords(cleanText(piece.text))) words.push(word);
    }
    return words;
  }

  convertTokensToIds(tokens: string): number;
  convertTokensToIds(tokens: readonly string[]): number[];
  convertTokensToIds(tokens: string | readonly string[]): number | number[] {
    return typeof tokens === 'string' ? this.convertTokenToId(tokens) : tokens.map((t) => this.convertTokenToId(t));
  }

  convertIdsToTokens(ids: number): string;
  convertIdsToTokens(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string[];
  convertIdsToTokens(ids: number | readonly number[], options: { skipSpecialTokens?: boolean } = {}): string | string[] {
    if (!Array.isArray(ids)) return this.tokenOfId(ids, 0);
    const skip = options.skipSpecialTokens ? new Set(this.allSpecialIds) : null;
    const tokens: string[] = [];
    ids.forEach((id, position) => {
      if (!skip?.has(id)) tokens.push(this.tokenOfId(id, position));
    });
    return tokens;
  }

  /** Token ids for one text or a batch, padded and truncated as asked (HF's `tokenizer(...)`). */
  encode(text: string, options?: EncodeOptions): Encoding;
  encode(texts: readonly string[], options?: EncodeOptions): BatchEncoding;
  encode(input: string | readonly string[], options: EncodeOptions = {}): Encoding | BatchEncoding {
    if (typeof input === 'string') {
      const batch = this.encodeBatch([input], options);
      return { inputIds: batch.inputIds[0]!, attentionMask: batch.attentionMask[0]!, truncation: batch.truncation[0]! };
    }
    if (!Array.isArray(input)) throw new TypeError('encode: expected a string or an array of strings');
    return this.encodeBatch(input, options);
  }

  /** Text of token ids, as HF's `decode`: `</w>` becomes a space, bytes decode as UTF-8. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (!Array.isArray(ids)) throw new TypeError(`decode: expected an array of token ids, got ${describe(ids)}`);
    const tokens = this.convertIdsToTokens(ids, { skipSpecialTokens: options.skipSpecialTokens ?? false });
    // Tokens added on top of the vocabulary are not byte-level: they join the text as they are,
    // separated by spaces (HF's spaces_between_special_tokens); specials stay in the byte stream.
    const pieces: string[] = [];
    let run: string[] = [];
    for (const token of tokens) {
      const id = this.addedTokenIds.get(token);
      const isLegacyAdded = id !== undefined && !this.addedTokensById.get(id)!.special;
      if (isLegacyAdded) {
        if (run.length) {
          const piece = this.bytesToText(run);
          if (piece) pieces.push(piece);
          run = [];
        }
        pieces.push(token);
      } else {
        run.push(token);
      }
    }
    if (run.length) pieces.push(this.bytesToText(run));
    const text = pieces.join(' ');
    return options.cleanUpTokenizationSpaces ?? true ? cleanUpTokenization(text) : text;
  }

  batchDecode(rows: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
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

  /** The summary Hugging Face prints for `pipe.tokenizer`. */
  toString(): string {
    const specials = (['bos_token', 'eos_token', 'unk_token', 'pad_token'] as const)
      .map((key) => `'${key}': ${reprTokenSpec(this.specialSpecs[key])}`)
      .join(', ');
    return (
      `PreTrainedTokenizer(name_or_path='${this.nameOrPath}', vocab_size=${this.vocabSize}, ` +
      `model_max_len=${this.modelMaxLength === Infinity ? '1000000000000000019884624838656' : this.modelMaxLength}, is_fast=False, padding_side='${this.paddingSide}', ` +
      `truncation_side='${this.truncationSide}', special_tokens={${specials}})`
    );
  }

  private registerAddedToken(token: AddedToken, id: number): void {
    this.addedTokenIds.set(token.content, id);
    this.addedTokensById.set(id, token);
    if (id === this.length) {
      this.extraTokens.push(token.content);
      this.decoderTable?.push(token.content);
    }
  }

  private convertTokenToId(token: string): number {
    return this.addedTokenIds.get(token) ?? this.vocabulary.idOfToken(token) ?? this.unkTokenIdOrThrow(token);
  }

  private unkTokenIdOrThrow(token: string): number {
    const unk = this.addedTokenIds.get(this.unkToken) ?? this.vocabulary.idOfToken(this.unkToken);
    if (unk === undefined) throw new Error(`token ${JSON.stringify(token)} is unknown and there is no unk token`);
    return unk;
  }

  private tokenOfId(id: unknown, position: number): string {
    // Ids typed in JavaScript may be anything: "320" must not read as an id out of range.
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new TypeError(`token id at position ${position} is not an integer: ${describe(id)}`);
    }
    const token = this.decoder[id];
    if (token === undefined) {
      throw new RangeError(`token id ${id} at position ${position} is out of range: ids go from 0 to ${this.length - 1}`);
    }
    return token;
  }

  /** Ids of a text without bos/eos: added tokens by id, the rest cleaned and BPE-encoded. */
  private textToIds(text: string): number[] {
    if (typeof text !== 'string') throw new TypeError(`expected a string, got ${text === null ? 'null' : typeof text}`);
    const ids: number[] = [];
    for (const piece of this.splitter.split(text)) {
      if ('added' in piece) {
        ids.push(this.addedTokenIds.get(piece.added.content)!);
        continue;
      }
      for (const word of splitWords(cleanText(piece.text))) {
        const wordIds = this.wordIds(word);
        for (let i = 0; i < wordIds.length; i++) ids.push(wordIds[i]!);
      }
    }
    return ids;
  }

  private wordIds(word: string): readonly number[] {
    let ids = this.wordCache.get(word);
    if (ids === undefined) {
      // The special-token words of CLIP's pattern bypass BPE, as HF's pre-filled bpe cache does.
      const special = word === this.bosToken || word === this.eosToken ? this.vocabulary.idOfToken(word) : undefined;
      ids = special !== undefined ? [special] : this.bpe.encode(utf8.encode(word));
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, ids);
    }
    return ids;
  }

  private encodeBatch(texts: readonly string[], options: EncodeOptions): BatchEncoding {
    const padding = options.padding ?? false;
    if (padding !== false && padding !== 'max_length' && padding !== 'longest') {
      throw new Error(`padding must be 'max_length', 'longest' or false, got ${JSON.stringify(padding)}`);
    }
    // A tokenizer without a length limit (model_max_length 1e30) neither pads to nor truncates at
    // it, as transformers does ("Default to no padding / no truncation"): ask for maxLength.
    const maxLength = options.maxLength ?? this.modelMaxLength;
    const addSpecial = options.addSpecialTokens ?? true;
    const specialCount = addSpecial ? 2 : 0;
    if (maxLength !== Infinity && (!Number.isInteger(maxLength) || maxLength < Math.max(1, specialCount))) {
      throw new Error(`maxLength must be an integer of at least ${Math.max(1, specialCount)}, got ${maxLength}`);
    }
    // First the ids of each text (truncated), then each padded row built once at its final length:
    // fewer short-lived arrays keeps V8 from promoting a batch's garbage to old space.
    const rows: number[][] = [];
    const truncation: (Truncation | null)[] = [];
    texts.forEach((text, index) => {
      if (typeof text !== 'string') throw new TypeError(`encode: text ${index} is ${text === null ? 'null' : typeof text}, expected a string`);
      const ids = this.textToIds(text);
      let cut: Truncation | null = null;
      if (options.truncation && ids.length + specialCount > maxLength) {
        const keep = Math.max(0, maxLength - specialCount);
        cut = this.truncationReport(ids.slice(keep));
        ids.length = keep;
      }
      rows.push(ids);
      truncation.push(cut);
    });
    let target = 0;
    if (padding === 'max_length' && maxLength !== Infinity) target = maxLength;
    else if (padding === 'longest') for (const ids of rows) target = Math.max(target, ids.length + specialCount);
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    // Rows start as copies of a padded row and of a mask per real length: slice() makes packed
    // arrays of small integers in one copy, where filling `new Array(n)` leaves them holey.
    const padded = packedRow(target, () => this.padTokenId);
    const masks = new Map<number, number[]>();
    for (const ids of rows) {
      const real = ids.length + specialCount;
      let row: number[];
      if (real <= target) {
        row = padded.slice();
        let i = 0;
        if (addSpecial) row[i++] = this.bosTokenId;
        for (let k = 0; k < ids.length; k++) row[i++] = ids[k]!;
        if (addSpecial) row[i] = this.eosTokenId;
      } else {
        row = addSpecial ? [this.bosTokenId, ...ids, this.eosTokenId] : ids.slice();
      }
      let mask = masks.get(real);
      if (mask === undefined) {
        mask = packedRow(Math.max(real, target), (i) => (i < real ? 1 : 0));
        masks.set(real, mask);
      }
      inputIds.push(row);
      attentionMask.push(mask.slice());
    }
    return { inputIds, attentionMask, truncation };
  }

  /** What truncation cut. Its text is decoded on first read: a megabyte prompt cuts 300k ids. */
  private truncationReport(removedIds: number[]): Truncation {
    let text: string | undefined;
    const decode = () => (text ??= this.decode(removedIds));
    return {
      removedTokens: removedIds.length,
      removedIds,
      get removedText() {
        return decode();
      },
    };
  }

  /** HF's `convert_tokens_to_string`: characters back to bytes, UTF-8 with replacement, `</w>` to space. */
  private bytesToText(tokens: readonly string[]): string {
    const joined = tokens.join('');
    const bytes = new Uint8Array(joined.length);
    let n = 0;
    for (let i = 0; i < joined.length; i++) {
      const byte = byteOfChar(joined.charCodeAt(i));
      // Only added tokens hold characters outside the byte alphabet, and they never get here.
      if (byte >= 0) bytes[n++] = byte;
    }
    return pythonStrip(utf8Lenient.decode(bytes.subarray(0, n)).replaceAll('</w>', ' '));
  }
}

/** A value in an error message: `"320" (a string)`, `1.5`, `null`. */
function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `${JSON.stringify(value)} (a string)`;
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

/** An array of `length` small integers built by push, so V8 keeps it packed (no holes to check). */
function packedRow(length: number, valueAt: (i: number) => number): number[] {
  const row: number[] = [];
  for (let i = 0; i < length; i++) row.push(valueAt(i));
  return row;
}
