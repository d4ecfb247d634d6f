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

/** One piece of the best path: `bytes[start..end)` with its id (unkId for unknown text). */
export interface PathPiece {
  readonly start: number;
  readonly end: number;
  readonly id: number;
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
export function bestPath(model: UnigramLattice, bytes: Uint8Array, start: number, end: number): PathPiece[] {
  const size = end - start;
  if (size <= 0) return [];
  const { trie, scores, unkScore, unkId, float32, unused, userDefined } = model;
  const maxScore = model.maxScore ?? 0;
  const best = new Float64Array(size + 1);
  const startsAt = new Int32Array(size + 1).fill(-1);
  const ids = new Int32Array(size + 1);
  let pos = 0;
  let tillHere = 0;
  let hasSingleNode = false;
  let charLength = 0;
  const visit = (length: number, id: number) => {
    if (unused !== undefined && unused[id] === 1) return;
    const target = pos + length;
    // In C++ `score` is a double (the conditional's other branch, `length * max_score_ - 0.1`,
    // is), so the candidate is a double sum compared unrounded, and rounded to float when stored.
    const score = userDefined !== undefined && userDefined[id] === 1 ? Math.fround(length * maxScore) - 0.1 : scores[id]!;
    const candidate = score + tillHere;
    if (startsAt[target] === -1 || candidate > best[target]!) {
      best[target] = float32 ? Math.fround(candidate) : candidate;
      startsAt[target] = pos;
      ids[target] = id;
    }
    if (!hasSingleNode && length === charLength) hasSingleNode = true;
  };
  while (pos < size) {
    tillHere = best[pos]!;
    hasSingleNode = false;
    charLength = Math.min(oneCharLength(bytes[start + pos]!), size - pos);
    trie.prefixMatches(bytes, start + pos, end, (length, id) => visit(length, id));
    if (!hasSingleNode) {
      if (unkId < 0) throw new Error('the Unigram model has no unk_id, so it cannot encode text it has no piece for');
      const target = pos + charLength;
      // The unknown candidate is float + float in C++: rounded before the comparison.
      const candidate = float32 ? Math.fround(unkScore + tillHere) : unkScore + tillHere;
      if (startsAt[target] === -1 || candidate > best[target]!) {
        best[target] = candidate;
        startsAt[target] = pos;
        ids[target] = unkId;
      }
    }
    pos += charLength;
  }
  const path: PathPiece[] = [];
  for (let at = size; at > 0; at = startsAt[at]!) {
    path.push({ start: start + startsAt[at]!, end: start + at, id: ids[at]! });
  }
  return path.reverse();
}
