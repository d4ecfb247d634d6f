import { MAX_NESTING_DEPTH, PromptError, describePiece, finiteWeight, nestingError } from '../errors.js';
import { pythonFloat } from '../python-float.js';
import { PY_SPACE } from '../python-re.js';
import { splitOnBreak } from './break-split.js';

/** A piece of prompt text and its emphasis; `BREAK` pieces carry weight -1, as in the webui. */
export type WeightedText = [text: string, weight: number];

// webui's re_attention, alternative for alternative. Order matters: escapes first, then the
// brackets, then `:weight)` (spaces allowed around the number since webui 1.6), then plain text.
// Each alternative is a single character class run or a bounded prefix, so matching is linear.
const RE_ATTENTION = new RegExp(
  [
    '\\\\\\(',
    '\\\\\\)',
    '\\\\\\[',
    '\\\\\\]',
    '\\\\\\\\',
    '\\\\',
    '\\(',
    '\\[',
    // Python's \d is any Unicode decimal digit ("(a:١.٥)" weighs 1.5 in the webui).
    `:[${PY_SPACE}]*([+-]?[.\\p{Nd}]+)[${PY_SPACE}]*\\)`,
    '\\)',
    '\\]',
    '[^\\\\()\\[\\]:]+',
    ':',
  ].join('|'),
  'gu',
);

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;

/** webui's float() on the `[+-]?[.\d]+` it matched: "1.2.3" or "." raise there, and here. */
function parseWeight(text: string, position: number): number {
  const value = pythonFloat(text);
  if (value === undefined) throw new PromptError(`could not convert string to float: '${text}'`, position);
  return finiteWeight(value, `:${text})`, position);
}

/**
 * The weights of webui's pieces, kept per *context* instead of per piece. webui multiplies every
 * piece pushed since a bracket opened when it closes (cost: pieces x depth); all pieces pushed
 * between two bracket events see the same brackets open, so they share one running product,
 * multiplied in the same order (1.1 * 1.1 * 1.3, not 1.3 * 1.21: bit-identical floats).
 */
class ContextWeights {
  /** Running product per context, starting at the pieces' own weight (1, or -1 for BREAK). */
  readonly weights: number[] = [];
  private text = -1;
  private breaks = -1;

  /** The context for a piece pushed now (a new one after any bracket event). */
  contextFor(isBreak: boolean): number {
    if (isBreak) {
      if (this.breaks < 0) this.breaks = this.weights.push(-1) - 1;
      return this.breaks;
    }
    if (this.text < 0) this.text = this.weights.push(1.0) - 1;
    return this.text;
  }

  /** Where a bracket opened now starts: every context created from here on is inside it. */
  open(): number {
    this.text = this.breaks = -1;
    return this.weights.length;
  }

  /** webui's multiply_range(start, multiplier), on contexts. */
  multiplyFrom(start: number, multiplier: number): void {
    this.text = this.breaks = -1;
    const w = this.weights;
    for (let c = start; c < w.length; c++) w[c]! *= multiplier;
  }
}

/**
 * AUTOMATIC1111's `parse_prompt_attention`: `(x)` multiplies by 1.1, `[x]` divides by 1.1,
 * `(x:w)` multiplies by w, `\(` etc. are literals, unbalanced brackets close at the end, and
 * `BREAK` becomes `["BREAK", -1]`. Adjacent pieces of equal weight are merged. Linear in the
 * prompt (times the nesting depth, at most MAX_NESTING_DEPTH); throws PromptError for a weight
 * that is not a finite number (or that webui's float() rejects) and for deeper nesting.
 */
export function parsePromptAttention(text: string): WeightedText[] {
  const pieces: string[] = [];
  const contextOf: number[] = [];
  const pieceAt: number[] = [];
  const contexts = new ContextWeights();
  const roundBrackets: number[] = [];
  const squareBrackets: number[] = [];

  const push = (piece: string, at: number, isBreak = false): void => {
    pieces.push(piece);
    contextOf.push(contexts.contextFor(isBreak));
    pieceAt.push(at);
  };
  const open = (stack: number[], bracket: string, at: number): void => {
    if (roundBrackets.length + squareBrackets.length >= MAX_NESTING_DEPTH) throw nestingError(bracket, at);
    stack.push(contexts.open());
  };

  for (const m of text.matchAll(RE_ATTENTION)) {
    const token = m[0];
    const weight = m[1];
    const at = m.index;
    if (token.startsWith('\\')) {
      push(token.slice(1), at);
    } else if (token === '(') {
      open(roundBrackets, token, at);
    } else if (token === '[') {
      open(squareBrackets, token, at);
    } else if (weight !== undefined && roundBrackets.length > 0) {
      contexts.multiplyFrom(roundBrackets.pop()!, parseWeight(weight, at));
    } else if (token === ')' && roundBrackets.length > 0) {
      contexts.multiplyFrom(roundBrackets.pop()!, ROUND_MULTIPLIER);
    } else if (token === ']' && squareBrackets.length > 0) {
      contexts.multiplyFrom(squareBrackets.pop()!, SQUARE_MULTIPLIER);
    } else {
      splitOnBreak(token).forEach((part, i) => {
        if (i > 0) push('BREAK', at, true);
        push(part, at);
      });
    }
  }

  for (const start of roundBrackets) contexts.multiplyFrom(start, ROUND_MULTIPLIER);
  for (const start of squareBrackets) contexts.multiplyFrom(start, SQUARE_MULTIPLIER);

  if (pieces.length === 0) return [['', 1.0]];

  // Merge runs of identical weights in one pass (BREAK's -1 never equals a real weight... unless
  // one is -1, exactly as in webui).
  const res: WeightedText[] = [];
  let run: string[] = [];
  let runWeight = NaN;
  pieces.forEach((piece, i) => {
    const weight = contexts.weights[contextOf[i]!]!;
    // Finite factors can still overflow together ("((a:1e200-ish):1e200-ish)").
    if (!Number.isFinite(weight)) {
      throw new PromptError(`the weights around ${describePiece(piece)} multiply to ${weight}, not a finite number`, pieceAt[i]);
    }
    if (weight === runWeight) {
      run.push(piece);
    } else {
      if (run.length > 0) res.push([run.join(''), runWeight]);
      run = [piece];
      runWeight = weight;
    }
  });
  res.push([run.join(''), runWeight]);
  return res;
}
