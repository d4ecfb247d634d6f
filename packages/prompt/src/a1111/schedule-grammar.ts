// The webui's prompt-editing grammar (modules/prompt_parser.py `schedule_parser`, a lark Earley
// grammar), parsed here by recursive descent:
//
//   start:       (prompt | /[][():]/+)*
//   prompt:      (emphasized | scheduled | alternate | plain | WHITESPACE)*
//   emphasized:  "(" prompt ")" | "(" prompt ":" prompt ")" | "[" prompt "]"
//   scheduled:   "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]"
//   alternate:   "[" prompt ("|" [prompt])+ "]"
//   plain:       /([^\\\[\]():|]|\\.)+/
//
// lark's dynamic lexer matches each terminal greedily, so `plain` always runs to the next special
// character (spaces included) and a recursive descent that tries scheduled, then alternate, then
// emphasized at each "[" finds the tree lark resolves to; the fixtures check this on hundreds of
// prompts. Only scheduled and alternate nodes change text; everything else is kept verbatim.
//
// Trying three alternatives at each "[" re-parses its inside three times, and so on at every
// level (3^depth). `prompt` depends only on where it starts, so it is computed once per position
// (packrat memo) as a shared linked list of items; the tree is built from it once at the end.

import { MAX_NESTING_DEPTH, nestingError } from '../errors.js';
import { PY_SPACE } from '../python-re.js';

export type ScheduleNode =
  | { kind: 'text'; text: string }
  | { kind: 'scheduled'; before: ScheduleNode[] | null; after: ScheduleNode[]; number: string }
  | { kind: 'alternate'; options: (ScheduleNode[] | null)[] };

const PLAIN = /(?:[^\\[\]():|]|\\[^])+/y;
const WHITESPACE = new RegExp(`[${PY_SPACE}]+`, 'uy');
// lark's common.SIGNED_NUMBER: ["+"|"-"] (FLOAT | INT), ASCII digits.
const NUMBER = /[+-]?(?:[0-9]+[eE][+-]?[0-9]+|(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+)/y;

function matchAt(re: RegExp, text: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(text);
  return m ? m[0] : null;
}

/** A parsed `prompt`: its items as a linked list shared with the prompts that end the same way. */
interface PromptList {
  items: ItemCell | null;
  end: number;
}
interface ItemCell {
  parts: Part[];
  next: ItemCell | null;
}
/** What an item contributes: scheduled/alternate nodes, bracket text, or an inner prompt spliced in (emphasis). */
type Part =
  | { kind: 'text'; text: string }
  | { kind: 'splice'; items: ItemCell | null }
  | { kind: 'scheduled'; before: ItemCell | null | undefined; after: ItemCell | null; number: string }
  | { kind: 'alternate'; options: (ItemCell | null | undefined)[] };

interface Parsed<T> {
  value: T;
  end: number;
}

const text = (t: string): Part => ({ kind: 'text', text: t });

class ScheduleParser {
  /** The memo: where prompt(pos) ends (-1: not parsed yet) and its items, by position. */
  private readonly promptEnds: Int32Array;
  private readonly promptItems: (ItemCell | null)[];
  private readonly whens = new Map<number, Parsed<string> | null>();
  private depth = 0;

  constructor(private readonly text: string) {
    this.promptEnds = new Int32Array(text.length + 1).fill(-1);
    this.promptItems = new Array<ItemCell | null>(text.length + 1).fill(null);
  }

  /** start: the whole prompt, or null where lark raises (a stray "|" or a trailing backslash). */
  parseStart(): ScheduleNode[] | null {
    const nodes: ScheduleNode[] = [];
    let pos = 0;
    while (pos < this.text.length) {
      const prompt = this.prompt(pos);
      appendNodes(prompt.items, nodes);
      pos = prompt.end;
      if (pos >= this.text.length) break;
      const ch = this.text[pos]!;
      if ('[]():'.includes(ch)) {
        nodes.push({ kind: 'text', text: ch });
        pos++;
      } else {
        return null;
      }
    }
    return nodes;
  }

  /** prompt(pos) = item(pos) then prompt(item's end): walked forward, linked backward, memoized at every step. */
  private prompt(pos: number): PromptList {
    if (this.promptEnds[pos]! < 0) {
      const chain: number[] = [];
      const parts: Part[][] = [];
      let at = pos;
      while (this.promptEnds[at]! < 0) {
        const item = this.item(at);
        if (!item) {
          this.promptEnds[at] = at;
          break;
        }
        chain.push(at);
        parts.push(item.value);
        at = item.end;
      }
      const end = this.promptEnds[at]!;
      let items = this.promptItems[at]!;
      for (let i = chain.length - 1; i >= 0; i--) {
        items = { parts: parts[i]!, next: items };
        this.promptEnds[chain[i]!] = end;
        this.promptItems[chain[i]!] = items;
      }
    }
    return { items: this.promptItems[pos]!, end: this.promptEnds[pos]! };
  }

  private item(pos: number): Parsed<Part[]> | null {
    const ch = this.text[pos];
    if (ch === undefined) return null;
    if (ch === '[' || ch === '(') {
      if (this.depth >= MAX_NESTING_DEPTH) throw nestingError(ch, pos);
      this.depth++;
      try {
        if (ch === '(') return this.emphasizedRound(pos);
        const s = this.scheduled(pos) ?? this.alternate(pos);
        if (s) return { value: [s.value], end: s.end };
        return this.emphasizedSquare(pos);
      } finally {
        this.depth--;
      }
    }
    const plain = matchAt(PLAIN, this.text, pos);
    if (plain) return { value: [text(plain)], end: pos + plain.length };
    return null;
  }

  /** "[" [prompt ":"] prompt ":" [WS] NUMBER [WS] "]" */
  private scheduled(pos: number): Parsed<Part> | null {
    const first = this.prompt(pos + 1);
    if (this.text[first.end] !== ':') return null;
    const whenOnly = this.when(first.end + 1);
    if (whenOnly) return { value: { kind: 'scheduled', before: undefined, after: first.items, number: whenOnly.value }, end: whenOnly.end };
    const second = this.prompt(first.end + 1);
    if (this.text[second.end] !== ':') return null;
    const when = this.when(second.end + 1);
    if (!when) return null;
    return { value: { kind: 'scheduled', before: first.items, after: second.items, number: when.value }, end: when.end };
  }

  /** [WS] NUMBER [WS] "]" */
  private when(start: number): Parsed<string> | null {
    let found = this.whens.get(start);
    if (found !== undefined) return found;
    let pos = start;
    pos += matchAt(WHITESPACE, this.text, pos)?.length ?? 0;
    const number = matchAt(NUMBER, this.text, pos);
    found = null;
    if (number) {
      pos += number.length;
      pos += matchAt(WHITESPACE, this.text, pos)?.length ?? 0;
      if (this.text[pos] === ']') found = { value: number, end: pos + 1 };
    }
    this.whens.set(start, found);
    return found;
  }

  /** "[" prompt ("|" [prompt])+ "]"; an empty option is lark's None placeholder. */
  private alternate(pos: number): Parsed<Part> | null {
    const first = this.prompt(pos + 1);
    const options: (ItemCell | null | undefined)[] = [first.items];
    pos = first.end;
    while (this.text[pos] === '|') {
      const next = this.prompt(pos + 1);
      options.push(next.end === pos + 1 ? undefined : next.items);
      pos = next.end;
    }
    if (options.length < 2 || this.text[pos] !== ']') return null;
    return { value: { kind: 'alternate', options }, end: pos + 1 };
  }

  private emphasizedSquare(pos: number): Parsed<Part[]> | null {
    const inner = this.prompt(pos + 1);
    if (this.text[inner.end] !== ']') return null;
    return { value: [text('['), { kind: 'splice', items: inner.items }, text(']')], end: inner.end + 1 };
  }

  private emphasizedRound(pos: number): Parsed<Part[]> | null {
    const inner = this.prompt(pos + 1);
    if (this.text[inner.end] === ')') {
      return { value: [text('('), { kind: 'splice', items: inner.items }, text(')')], end: inner.end + 1 };
    }
    if (this.text[inner.end] !== ':') return null;
    const weight = this.prompt(inner.end + 1);
    if (this.text[weight.end] !== ')') return null;
    return {
      value: [text('('), { kind: 'splice', items: inner.items }, text(':'), { kind: 'splice', items: weight.items }, text(')')],
      end: weight.end + 1,
    };
  }
}

/** The nodes of a prompt's item list, appended to `out` (recursion only per nesting level). */
function appendNodes(items: ItemCell | null, out: ScheduleNode[]): ScheduleNode[] {
  for (let cell = items; cell; cell = cell.next) {
    for (const part of cell.parts) {
      if (part.kind === 'text') out.push({ kind: 'text', text: part.text });
      else if (part.kind === 'splice') appendNodes(part.items, out);
      else if (part.kind === 'scheduled') {
        out.push({
          kind: 'scheduled',
          before: part.before === undefined ? null : appendNodes(part.before, []),
          after: appendNodes(part.after, []),
          number: part.number,
        });
      } else out.push({ kind: 'alternate', options: part.options.map((o) => (o === undefined ? null : appendNodes(o, []))) });
    }
  }
  return out;
}

/**
 * The prompt-editing tree of a prompt, or null where webui's parser fails (the prompt is then used
 * as is). Linear in the prompt; throws PromptError past MAX_NESTING_DEPTH nested brackets.
 */
export function parseScheduleTree(prompt: string): ScheduleNode[] | null {
  return new ScheduleParser(prompt).parseStart();
}
