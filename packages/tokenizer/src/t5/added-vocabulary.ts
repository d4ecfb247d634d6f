import type { JsonReader } from './json-reader.js';
import { isWordChar, leadingWhiteSpaceEnd, trailingWhiteSpaceStart } from './rust-char-classes.js';

/** An entry of tokenizer.json's `added_tokens`. */
export interface FastAddedToken {
  readonly content: string;
  readonly singleWord: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  /** Matched in the normalized text rather than the raw one. */
  readonly normalized: boolean;
  readonly special: boolean;
}

/** A stretch of text: an added token (with the text it covers) or plain text. */
export type AddedSplit = { readonly id: number; readonly text: string; readonly start: number } | { readonly id: -1; readonly text: string; readonly start: number };

export function readAddedTokens(json: JsonReader): FastAddedToken[] {
  if (json.isNull()) return [];
  return json.array().map((item) => ({
    content: item.get('content').string(),
    singleWord: item.get('single_word').boolean(false),
    lstrip: item.get('lstrip').boolean(false),
    rstrip: item.get('rstrip').boolean(false),
    normalized: item.get('normalized').boolean(true),
    special: item.get('special').boolean(false),
  }));
}

/** A leftmost-longest matcher over a set of strings. */
class LeftmostLongest {
  private readonly byFirstUnit = new Map<number, { content: string; id: number }[]>();

  constructor(patterns: Iterable<[string, number]>) {
    for (const [content, id] of patterns) {
      if (content === '') continue;
      const first = content.charCodeAt(0);
      const list = this.byFirstUnit.get(first) ?? [];
      list.push({ content, id });
      this.byFirstUnit.set(first, list);
    }
    for (const list of this.byFirstUnit.values()) list.sort((a, b) => b.content.length - a.content.length);
  }

  get empty(): boolean {
    return this.byFirstUnit.size === 0;
  }

  /** The next match at or after `from`: the leftmost start, the longest there. */
  next(text: string, from: number): { start: number; end: number; id: number } | null {
    for (let i = from; i < text.length; i++) {
      const candidates = this.byFirstUnit.get(text.charCodeAt(i));
      if (!candidates) continue;
      for (const { content, id } of candidates) {
        if (text.startsWith(content, i)) return { start: i, end: i + content.length, id };
      }
    }
    return null;
  }
}

/**
 * The Rust `tokenizers` AddedVocabulary: tokens of tokenizer.json's `added_tokens` get the id of
 * their content in the model's vocabulary (or the next free id), are found leftmost-longest
 * (non-normalized ones in the raw text, normalized ones in each normalized piece), and may
 * take the whitespace around them (`lstrip`/`rstrip`) or require word boundaries (`single_word`).
 */
export class AddedVocabulary {
  readonly idByContent = new Map<string, number>();
  readonly tokenById = new Map<number, FastAddedToken>();
  readonly specialContents = new Set<string>();
  /** Normalized tokens whose normalized form differs: decoding shows that form (Rust's normalized_cache). */
  readonly normalizedForm = new Map<number, string>();
  private readonly raw: LeftmostLongest;
  private readonly normalized: LeftmostLongest;

  constructor(tokens: readonly FastAddedToken[], modelIdOf: (content: string) => number | undefined, modelSize: number, normalize: (text: string) => string) {
    let nextId = modelSize;
    for (const token of tokens) {
      if (token.content === '') continue;
      const known = this.idByContent.get(token.content);
      if (known !== undefined && sameToken(this.tokenById.get(known), token)) continue;
      let id = known ?? modelIdOf(token.content);
      if (id === undefined) id = nextId++;
      this.idByContent.set(token.content, id);
      if (token.special) this.specialContents.add(token.content);
      this.tokenById.set(id, token);
    }
    const rawPatterns: [string, number][] = [];
    const normalizedPatterns: [string, number][] = [];
    for (const [id, token] of this.tokenById) {
      if (!token.normalized) {
        rawPatterns.push([token.content, id]);
        continue;
      }
      const form = normalize(token.content);
      if (form !== token.content) this.normalizedForm.set(id, form);
      normalizedPatterns.push([form, id]);
    }
    this.raw = new LeftmostLongest(rawPatterns);
    this.normalized = new LeftmostLongest(normalizedPatterns);
  }

  /** Splits raw text on the non-normalized added tokens. */
  splitRaw(text: string, start: number): AddedSplit[] {
    return this.findMatches(text, start, this.raw);
  }

  /** Splits a normalized piece on the normalized added tokens. */
  splitNormalized(text: string, start: number): AddedSplit[] {
    return this.findMatches(text, start, this.normalized);
  }

  /** Rust's AddedVocabulary::find_matches: splits covering the whole text. */
  private findMatches(text: string, offset: number, matcher: LeftmostLongest): AddedSplit[] {
    if (matcher.empty || text === '') return [{ id: -1, text, start: offset }];
    const splits: AddedSplit[] = [];
    let startOffset = 0;
    let from = 0;
    for (let match = matcher.next(text, from); match; match = matcher.next(text, from)) {
      from = match.end;
      let { start, end } = match;
      const token = this.tokenById.get(match.id)!;
      if (token.singleWord) {
        const startSpace = start === 0 || !endsWithWord(text, start);
        const stopSpace = end === text.length || !startsWithWord(text, end);
        if (!startSpace || !stopSpace) continue;
      }
      if (token.lstrip) start = Math.max(trailingWhiteSpaceStart(text, start), startOffset);
      if (token.rstrip) end = leadingWhiteSpaceEnd(text, end);
      if (startOffset < start) splits.push({ id: -1, text: text.slice(startOffset, start), start: offset + startOffset });
      splits.push({ id: match.id, text: text.slice(start, end), start: offset + start });
      // Rust's iterator goes on from the match's own end, not from the stripped whitespace's.
      startOffset = end;
    }
    if (startOffset !== text.length) splits.push({ id: -1, text: text.slice(startOffset), start: offset + startOffset });
    return splits;
  }
}

function sameToken(a: FastAddedToken | undefined, b: FastAddedToken): boolean {
  return (
    a !== undefined &&
    a.content === b.content &&
    a.singleWord === b.singleWord &&
    a.lstrip === b.lstrip &&
    a.rstrip === b.rstrip &&
    a.normalized === b.normalized &&
    a.special === b.special
  );
}

/** Whether `text[0..at)` ends with a `\w` character. */
function endsWithWord(text: string, at: number): boolean {
  const code = text.charCodeAt(at - 1);
  const char = code >= 0xdc00 && code <= 0xdfff && at >= 2 ? text.slice(at - 2, at) : text.slice(at - 1, at);
  return isWordChar(char);
}

/** Whether `text[at..)` starts with a `\w` character. */
function startsWithWord(text: string, at: number): boolean {
  return isWordChar(String.fromCodePoint(text.codePointAt(at)!));
}
