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

/** A leftmost-longest matcher over a set of strings: a trie of UTF-16 code units. */
class LeftmostLongest {
  /** Children of each node by code unit; node 0 is the root. */
  private readonly children: Map<number, number>[] = [new Map()];
  /** The id of the string ending at each node, or -1. */
  private readonly ids: number[] = [-1];

  constructor(patterns: Iterable<[string, number]>) {
    for (const [content, id] of patterns) {
      if (content === '') continue;
      let node = 0;
      for (let i = 0; i < content.length; i++) {
        const unit = content.charCodeAt(i);
        let child = this.children[node]!.get(unit);
        if (child === undefined) {
          child = this.children.length;
          this.children.push(new Map());
          this.ids.push(-1);
          this.children[node]!.set(unit, child);
        }
        node = child;
      }
      this.ids[node] = id;
    }
  }

  get empty(): boolean {
    return this.children[0]!.size === 0;
  }

  /** The next match at or after `from`: the leftmost start, the longest there. */
  next(text: string, from: number): { start: number; end: number; id: number } | null {
    const root = this.children[0]!;
    for (let i = from; i < text.length; i++) {
      let node = root.get(text.charCodeAt(i));
      if (node === undefined) continue;
      let found = -1;
      let end = -1;
      for (let j = i + 1; ; j++) {
        if (this.ids[node]! >= 0) {
          found = this.ids[node]!;
          end = j;
        }
        if (j >= text.length) break;
        const child: number | undefined = this.children[node]!.get(text.charCodeAt(j));
        if (child === undefined) break;
        node = child;
      }
      if (found >= 0) return { start: i, end, id: found };
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
