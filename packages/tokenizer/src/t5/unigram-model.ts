import type { JsonReader } from './json-reader.js';
import { PieceTrie } from './piece-trie.js';
import { utf8Bytes, textOfUtf8 } from './utf8.js';
import { bestPath, type UnigramLattice } from './viterbi.js';

/**
 * The Unigram model of the Rust `tokenizers` (models/unigram/model.rs): every vocabulary entry
 * (special and `<extra_id_N>` entries included) is in the trie, path scores are f64, runs of
 * unknown characters are fused into one token, and with `byte_fallback` a token that is not in
 * the vocabulary becomes its `<0xNN>` byte tokens.
 */
export class UnigramModel {
  readonly pieces: readonly string[];
  readonly idOf = new Map<string, number>();
  readonly unkId: number;
  readonly byteFallback: boolean;
  private readonly lattice: UnigramLattice;

  constructor(json: JsonReader) {
    const entries = json.get('vocab').array();
    if (entries.length === 0) json.get('vocab').fail('the vocabulary is empty but at least <unk> is needed');
    const pieces: string[] = [];
    const scores = new Float64Array(entries.length);
    const trie = new PieceTrie();
    let minScore = Infinity;
    entries.forEach((entry, id) => {
      const pair = entry.array();
      if (pair.length !== 2) entry.fail('expected [piece, score]');
      const piece = pair[0]!.string();
      const score = pair[1]!.number();
      pieces.push(piece);
      scores[id] = score;
      this.idOf.set(piece, id);
      trie.add(utf8Bytes(piece), id);
      if (score < minScore) minScore = score;
    });
    this.pieces = pieces;
    const unk = json.get('unk_id');
    this.unkId = unk.isNull() ? -1 : unk.integer();
    if (this.unkId >= pieces.length) unk.fail(`unk_id ${this.unkId} is not in the vocabulary of ${pieces.length} pieces`);
    this.byteFallback = json.get('byte_fallback').boolean(false);
    this.lattice = { trie, scores, unkScore: minScore - 10, unkId: this.unkId, float32: false };
  }

  /** Model::tokenize for one pre-token: its tokens and ids are appended to `tokens` and `ids`. */
  tokenize(text: string, tokens: string[], ids: number[]): void {
    if (text === '') return;
    const bytes = utf8Bytes(text);
    const path = bestPath(this.lattice, bytes, 0, bytes.length);
    const strings: string[] = [];
    let unknownRun = '';
    for (let i = 0; i < path.count; i++) {
      const id = path.ids[i]!;
      if (id === this.unkId) {
        // Runs of unknown nodes (and of the unk piece itself, as Rust compares ids) are fused.
        unknownRun += textOfUtf8(bytes.subarray(path.starts[i], path.ends[i]));
        continue;
      }
      if (unknownRun) strings.push(unknownRun);
      unknownRun = '';
      // A known node's text is its piece (the trie found it).
      strings.push(this.pieces[id]!);
    }
    if (unknownRun) strings.push(unknownRun);
    for (const token of strings) {
      const id = this.idOf.get(token);
      if (id !== undefined) {
        tokens.push(token);
        ids.push(id);
        continue;
      }
      if (this.byteFallback) {
        const byteTokens = [...utf8Bytes(token)].map((byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
        if (byteTokens.every((b) => this.idOf.has(b))) {
          for (const b of byteTokens) {
            tokens.push(b);
            ids.push(this.idOf.get(b)!);
          }
          continue;
        }
      }
      if (this.unkId < 0) throw new Error(`the Unigram model has no unk_id, so it cannot encode ${JSON.stringify(token)}`);
      tokens.push(token);
      ids.push(this.unkId);
    }
  }
}
