// REFERENCE ONLY: src/a1111/schedule-grammar.ts as it was before the parsers were made linear, unchanged but
// for import paths. It matched the originals on every fixture but is exponential or quadratic on
// hostile prompts; test/parsers-fuzz.test.ts checks that the current parsers give the same
// answers on small random prompts. Not for use outside the tests.

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

import { PY_SPACE } from '../../../src/python-re.js';

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

interface Parsed<T> {
  value: T;
  end: number;
}

class ScheduleParser {
  constructor(private readonly text: string) {}

  /** start: the whole prompt, or null where lark raises (a stray "|" or a trailing backslash). */
  parseStart(): ScheduleNode[] | null {
    const nodes: ScheduleNode[] = [];
    let pos = 0;
    while (pos < this.text.length) {
      const prompt = this.prompt(pos);
      nodes.push(...prompt.value);
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

  private prompt(pos: number): Parsed<ScheduleNode[]> {
    const nodes: ScheduleNode[] = [];
    for (;;) {
      const item = this.item(pos);
      if (!item) return { value: nodes, end: pos };
      nodes.push(...item.value);
      pos = item.end;
    }
  }

  private item(pos: number): Parsed<ScheduleNode[]> | null {
    const ch = this.text[pos];
    if (ch === undefined) return null;
    if (ch === '[') {
      const s = this.scheduled(pos) ?? this.alternate(pos);
      if (s) return { value: [s.value], end: s.end };
      return this.emphasizedSquare(pos);
    }
    if (ch === '(') return this.emphasizedRound(pos);
    const plain = matchAt(PLAIN, this.text, pos);
    if (plain) return { value: [{ kind: 'text', text: plain }], end: pos + plain.length };
    return null;
  }

  /** "[" [prompt ":"] prompt ":" [WS] NUMBER [WS] "]" */
  private scheduled(pos: number): Parsed<ScheduleNode> | null {
    const first = this.prompt(pos + 1);
    if (this.text[first.end] !== ':') return null;
    const whenOnly = this.when(first.end + 1);
    if (whenOnly) return { value: { kind: 'scheduled', before: null, after: first.value, number: whenOnly.value }, end: whenOnly.end };
    const second = this.prompt(first.end + 1);
    if (this.text[second.end] !== ':') return null;
    const when = this.when(second.end + 1);
    if (!when) return null;
    return { value: { kind: 'scheduled', before: first.value, after: second.value, number: when.value }, end: when.end };
  }

  /** [WS] NUMBER [WS] "]" */
  private when(pos: number): Parsed<string> | null {
    pos += matchAt(WHITESPACE, this.text, pos)?.length ?? 0;
    const number = matchAt(NUMBER, this.text, pos);
    if (!number) return null;
    pos += number.length;
    pos += matchAt(WHITESPACE, this.text, pos)?.length ?? 0;
    if (this.text[pos] !== ']') return null;
    return { value: number, end: pos + 1 };
  }

  /** "[" prompt ("|" [prompt])+ "]"; an empty option is lark's None placeholder. */
  private alternate(pos: number): Parsed<ScheduleNode> | null {
    const first = this.prompt(pos + 1);
    const options: (ScheduleNode[] | null)[] = [first.value];
    pos = first.end;
    while (this.text[pos] === '|') {
      const next = this.prompt(pos + 1);
      options.push(next.end === pos + 1 ? null : next.value);
      pos = next.end;
    }
    if (options.length < 2 || this.text[pos] !== ']') return null;
    return { value: { kind: 'alternate', options }, end: pos + 1 };
  }

  private emphasizedSquare(pos: number): Parsed<ScheduleNode[]> | null {
    const inner = this.prompt(pos + 1);
    if (this.text[inner.end] !== ']') return null;
    return { value: [{ kind: 'text', text: '[' }, ...inner.value, { kind: 'text', text: ']' }], end: inner.end + 1 };
  }

  private emphasizedRound(pos: number): Parsed<ScheduleNode[]> | null {
    const inner = this.prompt(pos + 1);
    if (this.text[inner.end] === ')') {
      return { value: [{ kind: 'text', text: '(' }, ...inner.value, { kind: 'text', text: ')' }], end: inner.end + 1 };
    }
    if (this.text[inner.end] !== ':') return null;
    const weight = this.prompt(inner.end + 1);
    if (this.text[weight.end] !== ')') return null;
    return {
      value: [{ kind: 'text', text: '(' }, ...inner.value, { kind: 'text', text: ':' }, ...weight.value, { kind: 'text', text: ')' }],
      end: weight.end + 1,
    };
  }
}

/** The prompt-editing tree of a prompt, or null where webui's parser fails (the prompt is then used as is). */
export function parseScheduleTree(prompt: string): ScheduleNode[] | null {
  return new ScheduleParser(prompt).parseStart();
}
