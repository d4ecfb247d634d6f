import { addedToken, type AddedToken } from '../added-token.js';
import { AddedTokenSplitter } from '../added-token-splitter.js';
import { pythonStrip } from '../python-str.js';
import type { T5Pipeline } from './pipeline.js';
import type { SentencePieceModel } from './sentencepiece-model.js';
import { SentencePieceProcessor } from './sentencepiece-processor.js';

const SPIECE_UNDERLINE = '\u2581';

/** An added token of tokenizer_config.json's `added_tokens_decoder`, by id. */
export interface ConfiguredAddedToken extends AddedToken {
  readonly id: number;
}

export interface SlowT5Options {
  /** T5Tokenizer's `extra_ids`: `<extra_id_0>` .. `<extra_id_{n-1}>` at ids `pieces + n - 1 - i`. Default 100. */
  readonly extraIds?: number;
  readonly eosToken?: string;
  readonly unkToken?: string;
  readonly padToken?: string;
  /** tokenizer_config.json's `added_tokens_decoder`: replaces the defaults' flags, as transformers does. */
  readonly addedTokensDecoder?: readonly ConfiguredAddedToken[];
}

/**
 * transformers 4.36's slow `T5Tokenizer` (legacy=True, the default) over a SentencePiece model:
 * added tokens split out of the raw text first (<pad> </s> <unk> as special tokens; the
 * <extra_id_N> with lstrip and rstrip), every other chunk through SentencePiece's encode,
 * `</s>` appended unless the ids already end with it, and its own decode.
 */
export class SlowT5Tokenizer implements T5Pipeline {
  readonly reference = 'T5Tokenizer';
  readonly specialTokenCount = 1;
  readonly specialIds: ReadonlySet<number>;
  private readonly sp: SentencePieceProcessor;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedIdByContent = new Map<string, number>();
  private readonly specialContents: ReadonlySet<string>;
  /** Added tokens `_decode` keeps out of convert_tokens_to_string ("legacy added tokens"). */
  private readonly legacyAdded: ReadonlySet<string>;
  private readonly splitter: AddedTokenSplitter;
  readonly eosTokenId: number;

  constructor(model: SentencePieceModel, where: string, options: SlowT5Options = {}) {
    this.sp = new SentencePieceProcessor(model, where);
    const pieceCount = this.sp.pieceCount;
    const extraIds = options.extraIds ?? 100;
    // T5Tokenizer.__init__: the sentinels, then the special tokens (found in the vocabulary).
    for (let i = 0; i < extraIds; i++) {
      const content = `<extra_id_${i}>`;
      this.register(pieceCount - 1 + extraIds - i, addedToken(content, { special: true, lstrip: true, rstrip: true, normalized: false }));
    }
    for (const token of options.addedTokensDecoder ?? []) this.register(token.id, token);
    const eos = options.eosToken ?? '</s>';
    const specials = [eos, options.unkToken ?? '<unk>', options.padToken ?? '<pad>'];
    for (const content of specials) {
      if (this.addedIdByContent.has(content)) continue;
      const id = this.sp.pieceToId(content);
      if (this.sp.pieces[id] !== content) throw new Error(`${where}: the special token ${JSON.stringify(content)} is not a piece of the model`);
      this.register(id, addedToken(content, { special: true, normalized: false }));
    }
    this.eosTokenId = this.addedIdByContent.get(eos)!;
    const sentinels = [...this.addedIdByContent.keys()].filter((c) => c.startsWith('<extra_id_'));
    this.specialContents = new Set([...specials, ...sentinels, ...[...this.addedById.values()].filter((t) => t.special).map((t) => t.content)]);
    this.specialIds = new Set([...this.specialContents].map((c) => this.addedIdByContent.get(c)!));
    this.legacyAdded = new Set(
      [...this.addedIdByContent].filter(([content, id]) => !this.specialContents.has(content) || id >= pieceCount).map(([content]) => content),
    );
    this.splitter = new AddedTokenSplitter([...this.addedById.values()]);
  }

  get vocabSize(): number {
    return this.sp.pieceCount;
  }

  get length(): number {
    let outside = 0;
    for (const id of this.addedById.keys()) if (id >= this.sp.pieceCount) outside++;
    return this.sp.pieceCount + outside;
  }

  encodeText(text: string): { tokens: string[]; ids: number[] } {
    const tokens: string[] = [];
    const ids: number[] = [];
    for (const chunk of this.splitter.split(text)) {
      if ('added' in chunk) {
        tokens.push(chunk.added.content);
        ids.push(this.addedIdByContent.get(chunk.added.content)!);
        continue;
      }
      for (const { piece } of this.sp.encode(chunk.text)) {
        tokens.push(piece);
        // convert_tokens_to_ids: added tokens first, then sp.piece_to_id (unknown text -> <unk>).
        ids.push(this.addedIdByContent.get(piece) ?? this.sp.pieceToId(piece));
      }
    }
    return { tokens, ids };
  }

  /** `_add_eos_if_not_present`: a text ending in </s> gets no second one. */
  withSpecialTokens(ids: number[]): number[] {
    if (ids.length === 0 || ids[ids.length - 1] !== this.eosTokenId) ids.push(this.eosTokenId);
    return ids;
  }

  decode(ids: readonly number[], skipSpecialTokens: boolean): string {
    const tokens: string[] = [];
    for (const id of ids) {
      if (skipSpecialTokens && this.specialIds.has(id)) continue;
      tokens.push(this.idToToken(id)!);
    }
    const subTexts: string[] = [];
    let current: string[] = [];
    for (const token of tokens) {
      if (this.legacyAdded.has(token)) {
        if (current.length) {
          const text = this.tokensToString(current);
          if (text.length > 0) subTexts.push(text);
          current = [];
        }
        subTexts.push(token);
      } else {
        current.push(token);
      }
    }
    if (current.length) subTexts.push(this.tokensToString(current));
    return subTexts.join(' ');
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.sp.pieces[id];
  }

  tokenToId(token: string): number | undefined {
    const id = this.addedIdByContent.get(token) ?? this.sp.pieceToId(token);
    return this.sp.pieces[id] === token || this.addedIdByContent.has(token) ? id : undefined;
  }

  getVocab(): Record<string, number> {
    const vocab: Record<string, number> = {};
    for (let id = 0; id < this.vocabSize; id++) vocab[this.idToToken(id)!] = id;
    for (const [content, id] of this.addedIdByContent) vocab[content] = id;
    return vocab;
  }

  /** T5Tokenizer.convert_tokens_to_string: specials stay out of sp.decode, the first "▁" goes. */
  private tokensToString(tokens: string[]): string {
    const pieces = [...tokens];
    pieces[0] = stripLeading(pieces[0]!, SPIECE_UNDERLINE);
    let current: string[] = [];
    let out = '';
    let previousWasSpecial = false;
    for (const token of pieces) {
      if (this.specialContents.has(token)) {
        if (!previousWasSpecial) out += ' ';
        out += this.sp.decodePieces(current) + token;
        previousWasSpecial = true;
        current = [];
      } else {
        current.push(token);
        previousWasSpecial = false;
      }
    }
    out += this.sp.decodePieces(current);
    return pythonStrip(out);
  }

  private register(id: number, token: AddedToken): void {
    const previous = this.addedById.get(id);
    if (previous) this.addedIdByContent.delete(previous.content);
    this.addedById.set(id, token);
    this.addedIdByContent.set(token.content, id);
  }
}

/** Python's str.lstrip(chars) for one character. */
function stripLeading(text: string, char: string): string {
  let start = 0;
  while (text.startsWith(char, start)) start += char.length;
  return text.slice(start);
}
