import type { PieceTrie } from './piece-trie.js';
import { oneCharLength } from './utf8.js';

/** What the best-path search needs of a Unigram model. */
export interface UnigramLattice {
  readonly trie: PieceTrie;
  /** Score of each piece id. */
  readonly scores: Float64Array;
  /** The score of an unknown character: the lowest piece score minus 10. */
  readonly unkScore: number;
  /** Id given to a character no piece of one character covers; -1 when the model has none. */
  readonly unkId: number;
  /**
   * SentencePiece keeps path scores in float32 (`float best_path_score`); the Rust `tokenizers`
   * in f64. Sums of many scores round differently, which can flip near ties.
   */
  readonly float32: boolean;
  /** SentencePiece only: 1 for pieces that are never emitted (UNUSED). */
  readonly unused?: Uint8Array;
  /** SentencePiece only: 1 for user-defined pieces, scored `length * maxScore - 0.1` to always win. */
  readonly userDefined?: Uint8Array;
  readonly maxScore?: number;
}

/** The best path as parallel arrays, in text order: piece i is `bytes[starts[i]..ends[i])` with id `ids[i]`. */
export interface Path {
  readonly count: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly ids: Int32Array;
}

/**
 * The best segmentation of `bytes[start..end)` (UTF-8) under a Unigram model: the optimized
 * Viterbi of SentencePiece 0.1.97 (unigram_model.cc EncodeOptimized) and of the Rust
 * `tokenizers` (Unigram::encode_optimized), which it follows line by line. For each start
 * position, every piece found by a prefix search extends the best path ending there; a
 * position no one-character piece covers gets an unknown node. A candidate replaces a node only
 * with a strictly higher score, so on ties the earlier start and then the shorter piece win.
 * Time is O(n * longest piece), memory O(n).
 */
export function bestPath(model: UnigramLattice, bytes: Uint8Array, start: number, end: number): Path {
  const size = Math.max(0, end - start);
  const { trie, scores, unkScore, unkId, float32, unused, userDefined } = model;
  const maxScore = model.maxScore ?? 0;
  const best = new Float64Array(size + 1);
  const startsAt = new Int32Array(size + 1).fill(-1);
  const idsAt = new Int32Array(size + 1);
  let pos = 0;
  while (pos < size) {
    const tillHere = best[pos]!;
    let hasSingleNode = false;
    const charLength = Math.min(oneCharLength(bytes[start + pos]!), size - pos);
    // Every piece that starts here, shortest first (the trie walk of both implementations).
    let node = 0;
    for (let length = 1; pos + length <= size; length++) {
      node = trie.child(node, bytes[start + pos + length - 1]!);
      if (node < 0) break;
      const id = trie.idAt(node);
      if (id < 0 || (unused !== undefined && unused[id] === 1)) continue;
      const target = pos + length;
      // In C++ `score` is a double (the conditional's other branch, `length * max_score_ - 0.1`,
      // is), so the candidate is a double sum compared unrounded, and rounded to float when stored.
      const score = userDefined !== undefined && userDefined[id] === 1 ? Math.fround(length * maxScore) - 0.1 : scores[id]!;
      const candidate = score + tillHere;
      if (startsAt[target] === -1 || candidate > best[target]!) {
        best[target] = float32 ? Math.fround(candidate) : candidate;
        startsAt[target] = pos;
        idsAt[target] = id;
      }
      if (length === charLength) hasSingleNode = true;
    }
    if (!hasSingleNode) {
      if (unkId < 0) throw new Error('the Unigram model has no unk_id, so it cannot encode text it has no piece for');
      const target = pos + charLength;
      // The unknown candidate is float + float in C++: rounded before the comparison.
      const candidate = float32 ? Math.fround(unkScore + tillHere) : unkScore + tillHere;
      if (startsAt[target] === -1 || candidate > best[target]!) {
        best[target] = candidate;
        startsAt[target] = pos;
        idsAt[target] = unkId;
      }
    }
    pos += charLength;
  }
  let count = 0;
  for (let at = size; at > 0; at = startsAt[at]!) count++;
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  const ids = new Int32Array(count);
  for (let at = size, i = count - 1; at > 0; at = startsAt[at]!, i--) {
    starts[i] = start + startsAt[at]!;
    ends[i] = start + at;
    ids[i] = idsAt[at]!;
  }
  return { count, starts, ends, ids };
}
