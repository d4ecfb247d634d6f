import { MAX_NESTING_DEPTH, finiteWeight, nestingError } from '../errors.js';
import { pythonFloat } from '../python-float.js';

/** A piece of prompt text and its absolute weight. */
export interface ComfyWeightedText {
  text: string;
  weight: number;
}

const OPEN = 40; // (
const CLOSE = 41; // )
const COLON = 58; // :

/**
 * ComfyUI's `parse_parentheses`: splits the top level into plain runs and balanced `( … )`
 * groups (an unclosed group runs to the end; a stray ")" drives the nesting negative, as there).
 */
export function parseParentheses(text: string): string[] {
  return topLevelSegments(text).map(([start, end]) => text.slice(start, end));
}

/** parse_parentheses as [start, end) ranges, character for character the same scan. */
function topLevelSegments(text: string): [number, number][] {
  const result: [number, number][] = [];
  let start = 0;
  let nesting = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN) {
      if (nesting === 0) {
        if (i > start) result.push([start, i]);
        start = i;
      }
      nesting++;
    } else if (c === CLOSE) {
      nesting--;
      if (nesting === 0) {
        result.push([start, i + 1]);
        start = i + 1;
      }
    }
  }
  if (text.length > start) result.push([start, text.length]);
  return result;
}

/** A weighted piece with where it starts in the prompt. */
interface Piece extends ComfyWeightedText {
  at: number;
}

/**
 * ComfyUI's `token_weights` in one pass. The original re-scans each group's inside at every level
 * (and recurses once per level); here every "(" is matched once up front, and groups are visited
 * with an explicit stack of ranges. Inside a group the nesting never goes below its start, so a
 * group is its "(" up to the matching ")" within the range, or (unclosed) to the range's end.
 */
function weightedPieces(text: string, currentWeight: number, refuseNonFinite: boolean): Piece[] {
  const matching = matchParentheses(text);
  const lastColon = lastColonBefore(text);
  const nextParen = nextParenthesisFrom(text);
  const out: Piece[] = [];
  // Work still to do, next last: a segment (a group or plain text) or a range to split into
  // segments (a group's inside), each with its weight and nesting level.
  const todo: { kind: 'segment' | 'range'; start: number; end: number; weight: number; depth: number }[] = [];
  const pushSegments = (segments: [number, number][], weight: number, depth: number): void => {
    for (let i = segments.length - 1; i >= 0; i--) todo.push({ kind: 'segment', start: segments[i]![0], end: segments[i]![1], weight, depth });
  };

  pushSegments(topLevelSegments(text), currentWeight, 0);
  while (todo.length > 0) {
    const { kind, start, end, weight, depth } = todo.pop()!;
    if (kind === 'range') {
      // parse_parentheses of a group's inside: plain runs, and groups ending at their matching ")"
      // within the range (or unclosed, at its end).
      const segments: [number, number][] = [];
      let pos = start;
      while (pos < end) {
        let open = pos;
        while (open < end && text.charCodeAt(open) !== OPEN) open++;
        if (open > pos) segments.push([pos, open]);
        if (open >= end) break;
        const close = matching[open]!;
        const groupEnd = close >= 0 && close < end ? close + 1 : end;
        segments.push([open, groupEnd]);
        pos = groupEnd;
      }
      pushSegments(segments, weight, depth);
    } else if (end - start >= 2 && text.charCodeAt(start) === OPEN && text.charCodeAt(end - 1) === CLOSE) {
      if (depth >= MAX_NESTING_DEPTH) throw nestingError('(', start);
      let innerEnd = end - 1;
      let innerWeight = weight * 1.1;
      // x.rfind(":") > 0 inside the group, and float() of what follows it (never with a parenthesis).
      const colon = lastColon[innerEnd]!;
      if (colon > start + 1 && nextParen[colon + 1]! >= innerEnd) {
        const parsed = pythonFloat(text.slice(colon + 1, innerEnd));
        if (parsed !== undefined) {
          innerWeight = refuseNonFinite ? finiteWeight(parsed, text.slice(start, end), start) : parsed;
          innerEnd = colon;
        }
      }
      todo.push({ kind: 'range', start: start + 1, end: innerEnd, weight: innerWeight, depth: depth + 1 });
    } else {
      out.push({ text: text.slice(start, end), weight, at: start });
    }
  }
  return out;
}

/** For each "(", the index of its matching ")" (-1 when it has none). */
function matchParentheses(text: string): Int32Array {
  const matching = new Int32Array(text.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN) open.push(i);
    else if (c === CLOSE && open.length > 0) matching[open.pop()!] = i;
  }
  return matching;
}

/** For each index i, the last ":" before i (-1 when none). */
function lastColonBefore(text: string): Int32Array {
  const last = new Int32Array(text.length + 1);
  let colon = -1;
  for (let i = 0; i <= text.length; i++) {
    last[i] = colon;
    if (text.charCodeAt(i) === COLON) colon = i;
  }
  return last;
}

/** For each index i, the first "(" or ")" at or after i (the length when none). */
function nextParenthesisFrom(text: string): Int32Array {
  const next = new Int32Array(text.length + 1);
  let paren = text.length;
  for (let i = text.length; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === OPEN || c === CLOSE) paren = i;
    next[i] = paren;
  }
  return next;
}

/**
 * ComfyUI's `token_weights`: `(x)` is 1.1 times the enclosing weight, `(x:w)` is w *absolute*
 * (not multiplied), and a `:w` Python's float() rejects leaves the text and the 1.1 alone. As in
 * ComfyUI, `(x:inf)` and `(x:nan)` weigh inf and nan (tokenizeWithWeights refuses them). Linear
 * in the text; throws PromptError past MAX_NESTING_DEPTH nested groups.
 */
export function tokenWeights(text: string, currentWeight: number): ComfyWeightedText[] {
  return weightedPieces(text, currentWeight, false).map(({ text: t, weight }) => ({ text: t, weight }));
}

// Escaped parentheses survive parsing as private control pairs, as in ComfyUI.
const ESCAPED_CLOSE = '\0\x01';
const ESCAPED_OPEN = '\0\x02';

export function escapeImportant(text: string): string {
  return text.replaceAll('\\)', ESCAPED_CLOSE).replaceAll('\\(', ESCAPED_OPEN);
}

export function unescapeImportant(text: string): string {
  return text.replaceAll(ESCAPED_CLOSE, ')').replaceAll(ESCAPED_OPEN, '(');
}

export interface ComfyParseOptions {
  /**
   * Refuse (PromptError) a weight that is not a finite number, `(cat:nan)`, `(cat:inf)`,
   * `(cat:99…9)` with 400 nines. ComfyUI returns them (and writes nan/inf conditioning); default
   * false, as ComfyUI. tokenizeWithWeights and explainPrompt always refuse.
   */
  finiteWeights?: boolean;
}

/** The whole ComfyUI prompt parse: escapes, `token_weights`, unescaped texts. */
export function parseComfyPrompt(text: string, options: ComfyParseOptions = {}): ComfyWeightedText[] {
  return weightedPieces(escapeImportant(text), 1.0, options.finiteWeights ?? false).map(({ text: t, weight }) => ({ text: unescapeImportant(t), weight }));
}

/**
 * parseComfyPrompt for the road to embeddings: the same pieces, with where each starts in the
 * prompt (escapes keep their length), and a weight that is not a finite number refused with a
 * PromptError naming its group and position.
 */
export function parseComfyPieces(text: string): Piece[] {
  return weightedPieces(escapeImportant(text), 1.0, true).map((p) => ({ ...p, text: unescapeImportant(p.text) }));
}
