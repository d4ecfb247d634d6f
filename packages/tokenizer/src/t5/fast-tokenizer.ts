import { AddedVocabulary, readAddedTokens } from './added-vocabulary.js';
import { readDecoder, type DecodeChain } from './decoders.js';
import { JsonReader } from './json-reader.js';
import { readNormalizer, type Normalizer } from './normalizers.js';
import type { T5Pipeline } from './pipeline.js';
import { readPreTokenizer, type PreTokenizer, type Split } from './pre-tokenizers.js';
import { readPostProcessor, type SingleTemplate } from './template-processing.js';
import { UnigramModel } from './unigram-model.js';

/** Words are cached by their text below this length (Rust caches words under 256 bytes too). */
const CACHED_WORD_LENGTH = 256;
const WORD_CACHE_LIMIT = 100_000;

/** Lone surrogates become U+FFFD, as they do on their way into the Rust binding (napi). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * T5TokenizerFast: a tokenizer.json run as the Rust `tokenizers` (0.23) runs it. Added tokens
 * are split out of the raw text, each other piece goes through the normalizer (Precompiled,
 * Strip, Replace), the pre-tokenizer (Metaspace) and the Unigram model; TemplateProcessing
 * appends `</s>`; decoding maps ids back to tokens and runs the decoder (Metaspace).
 */
export class FastT5Tokenizer implements T5Pipeline {
  readonly reference = 'T5TokenizerFast';
  readonly specialTokenCount: number;
  readonly specialIds: ReadonlySet<number>;
  private readonly model: UnigramModel;
  private readonly added: AddedVocabulary;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer | null;
  private readonly template: SingleTemplate;
  private readonly decoder: DecodeChain | null;
  private readonly wordCache = new Map<string, { tokens: string[]; ids: number[] }>();
  private readonly normalizedCache = new Map<string, string>();

  constructor(text: string, file: string) {
    const json = JsonReader.parse(text, file);
    json.object();
    if (json.has('version') && json.get('version').string() !== '1.0') json.get('version').fail('unknown tokenizer version');
    const model = json.get('model');
    const modelType = model.has('type') ? model.get('type').string() : 'Unigram';
    if (modelType !== 'Unigram') model.get('type').fail(`a ${modelType} model; T5 tokenizers are Unigram`);
    this.model = new UnigramModel(model);
    this.normalizer = readNormalizer(json.get('normalizer'));
    this.preTokenizer = readPreTokenizer(json.get('pre_tokenizer'));
    this.template = readPostProcessor(json.get('post_processor'));
    this.decoder = readDecoder(json.get('decoder'));
    const normalize = (t: string) => (this.normalizer ? this.normalizer.normalize(t) : t);
    this.added = new AddedVocabulary(readAddedTokens(json.get('added_tokens')), (c) => this.model.idOf.get(c), this.model.pieces.length, normalize);
    this.specialTokenCount = this.template.before.length + this.template.after.length;
    this.specialIds = new Set([...this.added.specialContents].map((c) => this.added.idByContent.get(c)!));
    for (const id of [...this.template.before, ...this.template.after]) {
      if (this.idToToken(id) === undefined) json.get('post_processor').fail(`special token id ${id} is not in the vocabulary`);
    }
  }

  get vocabSize(): number {
    return this.model.pieces.length;
  }

  get length(): number {
    let outside = 0;
    for (const content of this.added.idByContent.keys()) if (!this.model.idOf.has(content)) outside++;
    return this.model.pieces.length + outside;
  }

  encodeText(input: string): { tokens: string[]; ids: number[] } {
    const text = input.replace(LONE_SURROGATE, '\ufffd');
    const tokens: string[] = [];
    const ids: number[] = [];
    const emit = (token: string, id: number) => {
      tokens.push(token);
      ids.push(id);
    };
    for (const raw of this.added.splitRaw(text, 0)) {
      if (raw.id >= 0) {
        emit(raw.text, raw.id);
        continue;
      }
      const normalized = this.normalize(raw.text);
      // Metaspace's "first" prepends to the piece that begins the text, as Rust's alignments see it.
      let origins: Int32Array | null = null;
      if (raw.start === 0 && this.preTokenizer?.usesStart) {
        const identity = Int32Array.from({ length: raw.text.length }, (_, i) => i);
        origins = this.normalizer ? this.normalizer.align(raw.text, identity) : identity;
      }
      for (const piece of this.added.splitNormalized(normalized, raw.start)) {
        if (piece.text === '') continue;
        if (piece.id >= 0) {
          emit(piece.text, piece.id);
          continue;
        }
        const splits: Split[] = [];
        const local = piece.start - raw.start;
        const split: Split = { text: piece.text, origins: origins ? origins.subarray(local, local + piece.text.length) : null };
        if (this.preTokenizer) this.preTokenizer(split, splits);
        else splits.push(split);
        for (const word of splits) this.tokenizeWord(word.text, tokens, ids);
      }
    }
    return { tokens, ids };
  }

  withSpecialTokens(ids: number[]): number[] {
    const { before, after } = this.template;
    for (const id of after) ids.push(id);
    if (before.length > 0) ids.unshift(...before);
    return ids;
  }

  /** The normalizer's output; short texts (those between added tokens) are cached. */
  private normalize(text: string): string {
    if (!this.normalizer) return text;
    if (text.length >= CACHED_WORD_LENGTH) return this.normalizer.normalize(text);
    let normalized = this.normalizedCache.get(text);
    if (normalized === undefined) {
      normalized = this.normalizer.normalize(text);
      if (this.normalizedCache.size >= WORD_CACHE_LIMIT) this.normalizedCache.clear();
      this.normalizedCache.set(text, normalized);
    }
    return normalized;
  }

  /** The model's tokens of one pre-token, appended; short words are cached. */
  private tokenizeWord(word: string, tokens: string[], ids: number[]): void {
    if (word.length >= CACHED_WORD_LENGTH) {
      this.model.tokenize(word, tokens, ids);
      return;
    }
    let cached = this.wordCache.get(word);
    if (cached === undefined) {
      cached = { tokens: [], ids: [] };
      this.model.tokenize(word, cached.tokens, cached.ids);
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, cached);
    }
    for (let i = 0; i < cached.ids.length; i++) {
      tokens.push(cached.tokens[i]!);
      ids.push(cached.ids[i]!);
    }
  }

  decode(ids: readonly number[], skipSpecialTokens: boolean): string {
    const tokens: string[] = [];
    for (const id of ids) {
      const token = this.idToToken(id)!;
      if (skipSpecialTokens && this.added.specialContents.has(token)) continue;
      tokens.push(token);
    }
    return this.decoder ? this.decoder(tokens).join('') : tokens.join(' ');
  }

  idToToken(id: number): string | undefined {
    const added = this.added.tokenById.get(id);
    if (added) return this.added.normalizedForm.get(id) ?? added.content;
    return this.model.pieces[id];
  }

  tokenToId(token: string): number | undefined {
    return this.added.idByContent.get(token) ?? this.model.idOf.get(token);
  }

  getVocab(): Record<string, number> {
    const vocab: Record<string, number> = {};
    this.model.pieces.forEach((piece, id) => (vocab[piece] = this.model.idOf.get(piece) ?? id));
    for (const [content, id] of this.added.idByContent) vocab[content] = id;
    return vocab;
  }
}
