import { PieceTrie } from './piece-trie.js';
import { byteOfPiece, type SentencePieceModel } from './sentencepiece-model.js';
import { SentencePieceNormalizer } from './sentencepiece-normalizer.js';
import { bestPath, type UnigramLattice } from './viterbi.js';
import { decodeUtf8BytewiseReplacement, textOfUtf8, utf8Bytes } from './utf8.js';

const SPACE_SYMBOL = '\u2581';
const textEncoder = new TextEncoder();

/** A piece of an encoded text: its string (normalized text, or `<0xNN>`) and id. */
export interface EncodedPiece {
  readonly piece: string;
  readonly id: number;
}

/**
 * SentencePiece 0.1.97's SentencePieceProcessor for Unigram models, the engine of transformers'
 * slow T5Tokenizer: `encode` (Normalizer, optimized Viterbi in float32, PopulateSentencePieceText's
 * merge of unknown runs or byte fallback), `pieceToId`, `idToPiece` and `decodePieces`.
 */
export class SentencePieceProcessor {
  readonly pieces: readonly string[];
  readonly unkId: number;
  private readonly normalizer: SentencePieceNormalizer;
  private readonly lattice: UnigramLattice;
  private readonly idOfPiece = new Map<string, number>();
  private readonly kind: Uint8Array;
  private readonly byteFallback: boolean;
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly unkSurface: string;
  /** Whether decoding drops the text's leading "▁" (add_dummy_prefix or remove_extra_whitespaces). */
  private readonly dropsLeadingSpace: boolean;
  private readonly removesExtraWhitespaces: boolean;

  constructor(model: SentencePieceModel, where: string) {
    const { pieces, trainerSpec } = model;
    this.pieces = pieces.map((p) => p.piece);
    this.byteFallback = trainerSpec.byteFallback;
    this.unkSurface = trainerSpec.unkSurface;
    this.dropsLeadingSpace = model.normalizerSpec.addDummyPrefix || model.normalizerSpec.removeExtraWhitespaces;
    this.removesExtraWhitespaces = model.normalizerSpec.removeExtraWhitespaces;
    const trie = new PieceTrie();
    const userDefinedTrie = new PieceTrie();
    const scores = new Float64Array(pieces.length);
    const unused = new Uint8Array(pieces.length);
    const userDefined = new Uint8Array(pieces.length);
    this.kind = new Uint8Array(pieces.length);
    let unkId = -1;
    let minScore = 3.4028234663852886e38; // FLT_MAX
    let maxScore = 1.1754943508222875e-38; // FLT_MIN, as SentencePiece starts it
    let hasUserDefined = false;
    pieces.forEach(({ piece, score, type }, id) => {
      scores[id] = score;
      this.idOfPiece.set(piece, id);
      this.kind[id] = KIND[type];
      // The Viterbi trie holds normal, user-defined and unused pieces (the last never emitted).
      if (type === 'normal' || type === 'user_defined' || type === 'unused') trie.add(textEncoder.encode(piece), id);
      if (type === 'unused') unused[id] = 1;
      if (type === 'user_defined') {
        userDefined[id] = 1;
        userDefinedTrie.add(textEncoder.encode(piece), id);
        hasUserDefined = true;
      }
      if (type === 'normal') {
        minScore = Math.min(minScore, score);
        maxScore = Math.max(maxScore, score);
      }
      if (type === 'unknown') unkId = id;
      if (type === 'byte') this.byteIds[byteOfPiece(piece)] = id;
    });
    this.unkId = unkId;
    this.normalizer = new SentencePieceNormalizer(model.normalizerSpec, hasUserDefined ? userDefinedTrie : null, where);
    this.lattice = {
      trie,
      scores,
      unkScore: Math.fround(minScore - 10),
      unkId,
      float32: true,
      unused,
      userDefined: hasUserDefined ? userDefined : undefined,
      maxScore,
    };
  }

  get pieceCount(): number {
    return this.pieces.length;
  }

  /** SentencePieceProcessor.encode(text, out_type=str) with the ids. */
  encode(text: string): EncodedPiece[] {
    const normalized = this.normalizer.normalize(utf8Bytes(text));
    const path = bestPath(this.lattice, normalized, 0, normalized.length);
    const out: EncodedPiece[] = [];
    let previousWasUnknown = false;
    for (let i = 0; i < path.count; i++) {
      const id = path.ids[i]!;
      const start = path.starts[i]!;
      const end = path.ends[i]!;
      const isUnknown = id === this.unkId;
      if (isUnknown && this.byteFallback) {
        // An unknown piece becomes its UTF-8 bytes, <0xNN> each.
        for (let b = start; b < end; b++) out.push({ piece: BYTE_NAMES[normalized[b]!]!, id: this.byteIds[normalized[b]!]! });
      } else {
        const piece = isUnknown ? textOfUtf8(normalized.subarray(start, end)) : this.pieces[id]!;
        const last = out[out.length - 1];
        // Runs of unknown characters merge into one piece.
        if (previousWasUnknown && isUnknown && last) out[out.length - 1] = { piece: last.piece + piece, id };
        else out.push({ piece, id });
      }
      previousWasUnknown = isUnknown;
    }
    return out;
  }

  /** PieceToId: control, unknown and byte pieces first, then the others; anything else is <unk>. */
  pieceToId(piece: string): number {
    return this.idOfPiece.get(piece) ?? this.unkId;
  }

  idToPiece(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined) throw new RangeError(`piece id ${id} is out of range: ids go from 0 to ${this.pieces.length - 1}`);
    return piece;
  }

  /**
   * SentencePieceProcessor.decode(list of pieces): control pieces vanish, <unk> reads " ⁇ ",
   * runs of byte pieces decode as UTF-8 (each malformed byte a U+FFFD), "▁" becomes a space and
   * the leading "▁" of the text is dropped (all of them while nothing has been written, as
   * remove_extra_whitespaces asks).
   */
  decodePieces(pieces: readonly string[]): string {
    let text = '';
    let bytes: number[] = [];
    const flushBytes = () => {
      if (bytes.length) text += decodeUtf8BytewiseReplacement(Uint8Array.from(bytes));
      bytes = [];
    };
    let isBosWhitespace = true;
    let bosWhitespaceSeen = false;
    for (const piece of pieces) {
      const id = this.pieceToId(piece);
      if (this.kind[id] === KIND.byte) {
        bytes.push(byteOfPiece(piece));
        continue;
      }
      flushBytes();
      if (bosWhitespaceSeen || text !== '') isBosWhitespace = false;
      const kind = this.kind[id];
      bosWhitespaceSeen = false;
      if (kind === KIND.control) continue;
      if (kind === KIND.unknown) {
        text += this.pieces[id] === piece ? this.unkSurface : piece;
        continue;
      }
      let rest = piece;
      if (isBosWhitespace && this.dropsLeadingSpace && rest.startsWith(SPACE_SYMBOL)) {
        rest = rest.slice(1);
        bosWhitespaceSeen = !this.removesExtraWhitespaces;
      }
      text += rest.replaceAll(SPACE_SYMBOL, ' ');
    }
    flushBytes();
    return text;
  }
}

const KIND = { normal: 0, unknown: 1, control: 2, user_defined: 3, unused: 4, byte: 5 } as const;

/** `<0x00>` .. `<0xFF>`: SentencePiece's ByteToPiece. */
const BYTE_NAMES = Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
