import type { AddedToken } from './added-token.js';
import { pythonLstrip, pythonRstrip } from './python-str.js';

/** A piece of raw text: either an added token or the text between two of them. */
export type TextPiece = { readonly added: AddedToken } | { readonly text: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Splits raw text on added tokens before any cleaning, as Hugging Face's `Trie.split` +
 * `tokenize` do: at each position the longest added token wins; `lstrip`/`rstrip` tokens eat the
 * neighbouring whitespace; `singleWord` tokens only match between spaces.
 */
export class AddedTokenSplitter {
  private readonly pattern: RegExp | null;
  private readonly byContent: ReadonlyMap<string, AddedToken>;

  constructor(tokens: readonly AddedToken[]) {
    this.byContent = new Map(tokens.map((t) => [t.content, t]));
    const contents = [...this.byContent.keys()].filter((c) => c.length > 0);
    // Longest first: a regex alternation takes the first alternative that matches at a position.
    contents.sort((a, b) => b.length - a.length);
    this.pattern = contents.length ? new RegExp(contents.map(escapeRegExp).join('|'), 'g') : null;
  }

  split(text: string): TextPiece[] {
    const raw: (AddedToken | string)[] = [];
    if (this.pattern) {
      let last = 0;
      this.pattern.lastIndex = 0;
      for (let m = this.pattern.exec(text); m; m = this.pattern.exec(text)) {
        if (m.index > last) raw.push(text.slice(last, m.index));
        raw.push(this.byContent.get(m[0])!);
        last = m.index + m[0].length;
      }
      if (last < text.length) raw.push(text.slice(last));
    } else if (text) {
      raw.push(text);
    }
    // HF's whitespace handling around added tokens, in the same order.
    for (let i = 0; i < raw.length; i++) {
      const token = raw[i]!;
      if (typeof token === 'string') continue;
      const left = i > 0 ? raw[i - 1] : undefined;
      const right = i + 1 < raw.length ? raw[i + 1] : undefined;
      if (token.rstrip && typeof right === 'string') raw[i + 1] = pythonLstrip(right);
      if (token.lstrip && typeof left === 'string') raw[i - 1] = pythonRstrip(left);
      if (token.singleWord && typeof left === 'string' && left && !left.endsWith(' ')) {
        raw[i - 1] = left + token.content;
        raw[i] = '';
      } else if (token.singleWord && typeof right === 'string' && right && !right.startsWith(' ')) {
        raw[i] = token.content + right;
        raw[i + 1] = '';
      }
    }
    const pieces: TextPiece[] = [];
    for (const piece of raw) {
      if (typeof piece === 'string') {
        if (piece) pieces.push({ text: piece });
      } else {
        pieces.push({ added: piece });
      }
    }
    return pieces;
  }
}
