// REFERENCE ONLY: src/compel/parse.ts as it was before the parsers were made linear, unchanged but
// for import paths. It matched the originals on every fixture but is exponential or quadratic on
// hostile prompts; test/parsers-fuzz.test.ts checks that the current parsers give the same
// answers on small random prompts. Not for use outside the tests.

import { isPythonSpaceChar } from '../../../src/python-re.js';
import { pythonFloat } from '../../../src/python-float.js';
import {
  CompelSyntaxError,
  fragment,
  type CompelBlend,
  type CompelConjunction,
  type CompelFlattenedPrompt,
  type CompelFragment,
  type CompelLoraWeight,
  type CompelSubstitute,
} from '../../../src/compel/structures.js';

// compel's pyparsing grammar (build_parser_syntax in src/compel/prompt_parser.py) as a
// hand-written PEG with pyparsing 3's rules: ordered choice, greedy repetition without
// backtracking, whitespace (" \n\t\r") skipped before every element except CharsNotIn/NotAny/White,
// a parse action that raises ParseException (a quoted string whose content does not parse) failing
// its alternative, and any other exception (float("foo"), mismatched counts) escaping.

interface Attention {
  kind: 'Attention';
  weight: number;
  children: Item[];
}
interface Prompt {
  kind: 'Prompt';
  children: Item[];
}
interface Substitute {
  kind: 'Substitute';
  original: Item[];
  edited: Item[];
  options: Record<string, number | string>;
}
interface BlendNode {
  kind: 'Blend';
  prompts: Prompt[];
  weights: number[];
  normalize: boolean;
}
interface ConjunctionNode {
  kind: 'Conjunction';
  prompts: (Prompt | BlendNode)[];
  weights: number[];
}
/** pyparsing's ParseResults: an array is a Group (or a nested result list), flattened by `flatten`. */
type Item = CompelFragment | CompelLoraWeight | Attention | Prompt | Substitute | BlendNode | ConjunctionNode | string | number | Item[];

type Result = { loc: number; toks: Item[] } | null;
type Rule = (s: string, loc: number) => Result;

const DEFAULT_WS = ' \n\t\r';
const WHITE = ' \t\r\n';
const PY_WHITESPACE = ' \t\n\r\x0b\x0c'; // string.whitespace
const SYNTACTIC = '()",.+-=';
const KEYWORD_CHARS = /[A-Za-z0-9_-]/;

const skip = (s: string, loc: number): number => {
  while (loc < s.length && DEFAULT_WS.includes(s[loc]!)) loc++;
  return loc;
};

function literal(text: string): (s: string, loc: number) => number {
  return (s, loc) => {
    loc = skip(s, loc);
    return s.startsWith(text, loc) ? loc + text.length : -1;
  };
}
const lparen = literal('(');
const rparen = literal(')');
const comma = literal(',');

/** Python's str.expandtabs() (pyparsing's parse_string applies it first). */
function expandTabs(s: string): string {
  if (!s.includes('\t')) return s;
  let out = '';
  let col = 0;
  for (const ch of s) {
    if (ch === '\t') {
      const n = 8 - (col % 8);
      out += ' '.repeat(n);
      col += n;
    } else {
      out += ch;
      col = ch === '\n' || ch === '\r' ? 0 : col + 1;
    }
  }
  return out;
}

function pyStrip(s: string): string {
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && isPythonSpaceChar(chars[a]!)) a++;
  while (b > a && isPythonSpaceChar(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

/** base ** n for an integer n >= 1, correctly rounded (C's pow, which Python calls; V8's Math.pow is not). */
export function exactPow(base: number, n: number): number {
  if (n === 1 || !Number.isFinite(base) || base === 0) return base ** n;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, base);
  const bits = buf.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e2 = exp - 1075;
  if (exp === 0) e2 = -1074;
  else mant |= 1n << 52n;
  let m = mant ** BigInt(n);
  let e = e2 * n;
  const len = m.toString(2).length;
  if (len > 53) {
    const shift = BigInt(len - 53);
    const rem = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    m >>= shift;
    e += Number(shift);
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  }
  const sign = base < 0 && n % 2 === 1 ? -1 : 1;
  if (e > 1100) return sign * Infinity;
  if (e < -1200) return sign * 0;
  return sign * Number(m) * 2 ** e;
}

export interface CompelParserOptions {
  /** `word+` multiplies by this per `+` (compel's attention_plus_base, 1.1). */
  plusBase?: number;
  /** `word-` multiplies by this per `-` (attention_minus_base, 0.9). */
  minusBase?: number;
}

class Grammar {
  constructor(
    private readonly plusBase: number,
    private readonly minusBase: number,
  ) {}

  // non_syntax_word: a Combine of escaped symbols, a +/- not followed by whitespace, a syntactic
  // character or the end, and characters that are neither whitespace nor syntactic.
  word: Rule = (s, loc) => {
    loc = skip(s, loc);
    const start = loc;
    for (;;) {
      const c = s[loc];
      if (c === undefined) break;
      if (c === '\\' && loc + 1 < s.length && SYNTACTIC.includes(s[loc + 1]!)) loc += 2;
      else if ((c === '+' || c === '-') && loc + 1 < s.length && !WHITE.includes(s[loc + 1]!) && !SYNTACTIC.includes(s[loc + 1]!)) loc += 1;
      else if (!PY_WHITESPACE.includes(c) && !SYNTACTIC.includes(c)) loc += 1;
      else break;
    }
    return loc > start ? { loc, toks: [fragment(s.slice(start, loc), 1)] } : null;
  };

  freeWord: Rule = (s, loc) => {
    const start = loc;
    while (loc < s.length && !PY_WHITESPACE.includes(s[loc]!)) loc++;
    return loc > start ? { loc, toks: [fragment(s.slice(start, loc), 1)] } : null;
  };

  /** QuotedString('"', esc_quote='\\"') whose content is parsed again with `inner` + StringEnd. */
  quoted(inner: Rule): Rule {
    return (s, loc) => {
      loc = skip(s, loc);
      if (s[loc] !== '"') return null;
      const re = /"(?:\\"|[^"\n\r])*"/y;
      re.lastIndex = loc;
      const m = re.exec(s);
      if (!m) return null;
      let text = m[0].slice(1, -1);
      if (text.includes('\\')) {
        for (const [lit, ch] of [['\\t', '\t'], ['\\n', '\n'], ['\\f', '\f'], ['\\r', '\r']] as const) text = text.replaceAll(lit, ch);
      }
      text = text.replaceAll('\\"', '"');
      const end = loc + m[0].length;
      if (pyStrip(text).length === 0) return { loc: end, toks: [fragment('', 1)] };
      const inside = expandTabs(text.replaceAll('"', '\\"'));
      const r = inner(inside, 0);
      if (r === null || skip(inside, r.loc) !== inside.length) return null;
      return { loc: end, toks: r.toks };
    };
  }

  paren: Rule = (s, loc) => {
    let l = lparen(s, loc);
    if (l < 0) return null;
    const r = this.fragmentInclCommas(s, l);
    l = rparen(s, r!.loc);
    return l < 0 ? null : { loc: l, toks: r!.toks };
  };

  quotedFragment: Rule = (s, loc) => this.quoted(this.fragmentInclCommas)(s, loc);

  private zeroOrMore(alternatives: Rule[]): Rule {
    return (s, loc) => {
      const toks: Item[] = [];
      for (;;) {
        const r = this.first(alternatives)(s, loc);
        if (r === null) return { loc, toks };
        toks.push(...r.toks);
        loc = r.loc;
      }
    };
  }

  private first(alternatives: Rule[]): Rule {
    return (s, loc) => {
      for (const alt of alternatives) {
        const r = alt(s, loc);
        if (r !== null) return r;
      }
      return null;
    };
  }

  private readonly commaOrPeriod: Rule = (s, loc) => {
    loc = skip(s, loc);
    return s[loc] === ',' || s[loc] === '.' ? { loc: loc + 1, toks: [fragment(s[loc]!, 1)] } : null;
  };

  fragmentInclCommas: Rule = (s, loc) =>
    this.zeroOrMore([this.lora, this.attention, this.substitute, this.paren, this.quotedFragment, this.word, this.commaOrPeriod])(s, loc);

  fragmentExclCommas: Rule = (s, loc) =>
    this.zeroOrMore([this.lora, this.attention, this.substitute, this.paren, this.quotedFragment, this.word])(s, loc);

  target: Rule = (s, loc) => this.first([this.quotedFragment, this.paren, this.word])(s, loc);

  /** pyparsing_common.real | Combine(Optional("-") + Word(nums)), both as float. */
  number: Rule = (s, loc) => {
    loc = skip(s, loc);
    // the real number is a Python regex: its \d is any Unicode decimal digit, which float() reads
    for (const re of [/[+-]?(?:\p{Nd}+\.\p{Nd}*|\.\p{Nd}+)/uy, /-?[0-9]+/y]) {
      re.lastIndex = loc;
      const m = re.exec(s);
      if (m) return { loc: loc + m[0].length, toks: [Number(asciiDigits(m[0]))] };
    }
    return null;
  };

  private runOf(ch: string): Rule {
    return (s, loc) => {
      loc = skip(s, loc);
      const start = loc;
      while (s[loc] === ch) loc++;
      return loc > start ? { loc, toks: [s.slice(start, loc)] } : null;
    };
  }

  keyword: Rule = (s, loc) => {
    loc = skip(s, loc);
    const start = loc;
    while (loc < s.length && KEYWORD_CHARS.test(s[loc]!)) loc++;
    return loc > start ? { loc, toks: [s.slice(start, loc)] } : null;
  };

  private makeAttention(target: Item[], raw: number | string): Attention {
    const weight = typeof raw === 'number' ? raw : exactPow(raw[0] === '+' ? this.plusBase : this.minusBase, raw.length);
    return { kind: 'Attention', weight, children: target };
  }

  attention: Rule = (s, loc) => {
    // attention_explicit: target.attend(weight)
    const t = this.target(s, loc);
    if (t !== null) {
      let l = literal('.attend')(s, t.loc);
      if (l >= 0) l = lparen(s, l);
      if (l >= 0) {
        const w = this.first([this.runOf('+'), this.runOf('-'), this.number])(s, l);
        if (w !== null) {
          const e = rparen(s, w.loc);
          if (e >= 0) return { loc: e, toks: [this.makeAttention(t.toks, w.toks[0] as number | string)] };
        }
      }
    }
    // attention_implicit: (quoted | parenthesized) then +/-/number, or a word then +/-, no space between
    for (const [targetRule, weightRules] of [
      [this.first([this.quotedFragment, this.paren]), [this.runOf('+'), this.runOf('-'), this.number]],
      [this.word, [this.runOf('+'), this.runOf('-')]],
    ] as const) {
      const g = targetRule(s, loc);
      if (g === null || (g.loc < s.length && WHITE.includes(s[g.loc]!))) continue;
      const w = this.first([...weightRules])(s, g.loc);
      if (w !== null) return { loc: w.loc, toks: [this.makeAttention(g.toks, w.toks[0] as number | string)] };
    }
    return null;
  };

  /** option: keyword=number|keyword, a number (as str), or a keyword flag; each a Group. */
  option: Rule = (s, loc) => {
    const k = this.keyword(s, loc);
    if (k !== null) {
      const eq = literal('=')(s, k.loc);
      if (eq >= 0) {
        const v = this.first([this.number, this.keyword])(s, eq);
        if (v !== null) return { loc: v.loc, toks: [[k.toks[0]!, v.toks[0]!]] };
      }
    }
    const n = this.number(s, loc);
    if (n !== null) return { loc: n.loc, toks: [[pyStr(n.toks[0] as number)]] };
    return k === null ? null : { loc: k.loc, toks: [[k.toks[0]!]] };
  };

  /** Optional(DelimitedList(option)): the option groups. */
  options: Rule = (s, loc) => this.delimited(this.option, 0)(s, loc)!;

  private delimited(rule: Rule, min: number): Rule {
    return (s, loc) => {
      const r = rule(s, loc);
      if (r === null) return min > 0 ? null : { loc, toks: [] };
      const toks = [...r.toks];
      loc = r.loc;
      for (;;) {
        const c = comma(s, loc);
        if (c < 0) break;
        const n = rule(s, c);
        if (n === null) break;
        toks.push(...n.toks);
        loc = n.loc;
      }
      return { loc, toks };
    };
  }

  substitute: Rule = (s, loc) => {
    const t = this.target(s, loc);
    if (t === null) return null;
    let l = literal('.swap')(s, t.loc);
    if (l >= 0) l = lparen(s, l);
    if (l < 0) return null;
    const edited = this.fragmentExclCommas(s, l)!;
    l = edited.loc;
    let opts: Item[] = [];
    const c = comma(s, l);
    if (c >= 0) {
      const o = this.options(s, c)!;
      opts = o.toks;
      l = o.loc;
    }
    const e = rparen(s, l);
    if (e < 0) return null;
    const options: Record<string, number | string> = {};
    for (const g of opts as Item[][]) options[g[0] as string] = g.length > 1 ? (g[1] as number | string) : '';
    return { loc: e, toks: [{ kind: 'Substitute', original: t.toks, edited: edited.toks, options }] };
  };

  lora: Rule = (s, loc) => {
    let l = literal('useLora')(s, loc);
    if (l < 0) l = literal('withLora')(s, loc);
    if (l >= 0) l = lparen(s, l);
    if (l < 0) return null;
    const name = this.keyword(s, l);
    if (name === null) return null;
    l = name.loc;
    let weight = 1;
    const c = comma(s, l);
    if (c >= 0) {
      const n = this.number(s, c);
      if (n !== null) {
        weight = n.toks[0] as number;
        l = n.loc;
      }
    }
    const e = rparen(s, l);
    if (e < 0) return null;
    return { loc: e, toks: [{ type: 'LoraWeight', model: name.toks[0] as string, weight }] };
  };

  private readonly white: Rule = (s, loc) => {
    const start = loc;
    while (loc < s.length && WHITE.includes(s[loc]!)) loc++;
    return loc > start ? { loc, toks: [] } : null;
  };

  prompt: Rule = (s, loc) =>
    this.zeroOrMore([this.substitute, this.lora, this.attention, this.quotedFragment, this.paren, this.freeWord, this.white])(s, loc);

  quotedPrompt: Rule = (s, loc) => this.quoted(this.prompt)(s, loc);

  /** `(a, b, ...).blend(...)` / `.and(...)` / `.add(...)`: the targets and the option groups. */
  private operatorCall(s: string, loc: number, operators: string[]): { loc: number; targets: Item[][]; op: string; options: Item[][] } | null {
    let l = lparen(s, loc);
    if (l < 0) return null;
    const list = this.delimited((s2, l2) => {
      const r = this.first([this.target, this.quotedPrompt])(s2, l2);
      return r === null ? null : { loc: r.loc, toks: [r.toks] };
    }, 1)(s, l);
    if (list === null) return null;
    l = rparen(s, list.loc);
    if (l < 0) return null;
    const at = skip(s, l);
    const op = operators.find((o) => s.startsWith(o, at));
    if (op === undefined) return null;
    l = lparen(s, at + op.length);
    if (l < 0) return null;
    const o = this.options(s, l)!;
    const e = rparen(s, o.loc);
    if (e < 0) return null;
    return { loc: e, targets: list.toks as Item[][], op, options: o.toks as Item[][] };
  }

  blend = (s: string, loc: number): { loc: number; node: BlendNode } | null => {
    const r = this.operatorCall(s, loc, ['.blend']);
    if (r === null) return null;
    let raw = r.options;
    let normalize = true;
    if (raw.length > 0 && raw[raw.length - 1]![0] === 'no_normalize') {
      normalize = false;
      raw = raw.slice(0, -1);
    }
    const weights = raw.map((w) => floatOrRaise(w[0]!));
    const prompts = r.targets.map((t): Prompt => ({ kind: 'Prompt', children: t }));
    return { loc: r.loc, node: { kind: 'Blend', prompts, weights: blendWeights(prompts.length, weights, 'Blend'), normalize } };
  };

  explicitConjunction = (s: string, loc: number): { loc: number; node: ConjunctionNode } | null => {
    const r = this.operatorCall(s, loc, ['.and', '.add']);
    if (r === null) return null;
    const weights = r.options.map((w) => floatOrRaise(w[0]!));
    const prompts = r.targets.map((t): Prompt => ({ kind: 'Prompt', children: t }));
    return { loc: r.loc, node: { kind: 'Conjunction', prompts, weights: blendWeights(prompts.length, weights, 'Conjunction') } };
  };

  private loras(s: string, loc: number): { loc: number; group: Item[] } | null {
    const group: Item[] = [];
    for (;;) {
      const r = this.lora(s, loc);
      if (r === null) break;
      group.push(...r.toks);
      loc = r.loc;
    }
    return group.length > 0 ? { loc, group } : null;
  }

  implicitConjunction = (s: string, loc: number): ConjunctionNode | null => {
    const parts: (Prompt | BlendNode)[] = [];
    const before = this.loras(s, loc);
    if (before) {
      parts.push({ kind: 'Prompt', children: before.group });
      loc = before.loc;
    }
    const b = this.blend(s, loc);
    if (b !== null) {
      parts.push(b.node);
      loc = b.loc;
    } else {
      const p = this.prompt(s, loc)!;
      parts.push({ kind: 'Prompt', children: p.toks });
      loc = p.loc;
    }
    const after = this.loras(s, loc);
    if (after) {
      parts.push({ kind: 'Prompt', children: after.group });
      loc = after.loc;
    }
    if (skip(s, loc) !== s.length) return null;
    return { kind: 'Conjunction', prompts: parts, weights: parts.map(() => 1) };
  };
}

const ND = /\p{Nd}/u;

/** Unicode decimal digits as ASCII (digits come in runs of ten starting at zero). */
function asciiDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') out += ch;
    else if (ND.test(ch)) {
      let start = ch.codePointAt(0)!;
      while (ND.test(String.fromCodePoint(start - 1))) start--;
      out += String((ch.codePointAt(0)! - start) % 10);
    } else out += ch;
  }
  return out;
}

function blendWeights(count: number, weights: number[], what: string): number[] {
  if (weights.length === 0) return new Array<number>(count).fill(1);
  if (weights.length !== count) throw new CompelSyntaxError('ParsingException', `while parsing ${what}: mismatched prompts/weights counts`);
  return weights;
}

function floatOrRaise(value: Item): number {
  const v = typeof value === 'number' ? value : pythonFloat(String(value));
  if (v === undefined) throw new CompelSyntaxError('ValueError', `could not convert string to float: '${String(value)}'`);
  return v;
}

/** Python's str(float): what the number option's token_map(str) makes of a weight. */
function pyStr(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

// ----------------------------------------------------------------------------- flatten

type Flat = CompelFragment | CompelSubstitute | CompelFlattenedPrompt | CompelBlend;

function fuse(items: (CompelFragment | CompelSubstitute)[]): (CompelFragment | CompelSubstitute)[] {
  const fused: (CompelFragment | CompelSubstitute)[] = [];
  for (const x of items) {
    if (x.type === 'CrossAttentionControlSubstitute') {
      fused.push(substitute(fuse(x.original) as CompelFragment[], fuse(x.edited) as CompelFragment[], x.options));
      continue;
    }
    const last = fused[fused.length - 1];
    if (last !== undefined && last.type === 'Fragment' && last.weight === x.weight) {
      fused[fused.length - 1] = fragment(`${last.text} ${x.text}`, last.weight);
    } else fused.push(x);
  }
  return fused;
}

/** CrossAttentionControlSubstitute's constructor: defaults, shape_freedom to s_end. */
function substitute(original: CompelFragment[], edited: CompelFragment[], options: Record<string, number | string>): CompelSubstitute {
  const merged: Record<string, number | string> = { s_start: 0.0, s_end: 0.0, t_start: 0.2, t_end: 1.0 };
  const opts = { ...options };
  if ('shape_freedom' in opts) {
    const sf = opts['shape_freedom']!;
    delete opts['shape_freedom'];
    if (typeof sf !== 'number') throw new CompelSyntaxError('TypeError', 'shape_freedom must be a number');
    merged['s_end'] = 1.0 - sf ** (1 / 3);
  }
  Object.assign(merged, opts);
  return {
    type: 'CrossAttentionControlSubstitute',
    original: original.length > 0 ? original : [fragment('', 1)],
    edited: edited.length > 0 ? edited : [fragment('', 1)],
    options: merged,
  };
}

function flattenInternal(node: Item, scale: number, loras: CompelLoraWeight[]): Flat[] {
  if (Array.isArray(node)) return node.flatMap((x) => flattenInternal(x, scale, loras));
  if (typeof node === 'string' || typeof node === 'number') throw new CompelSyntaxError('ParsingException', `unhandled node type when flattening ${node}`);
  if ('type' in node) {
    if (node.type === 'LoraWeight') {
      loras.push(node);
      return [];
    }
    return [fragment(node.text, node.weight * scale)];
  }
  switch (node.kind) {
    case 'Attention':
      return node.children.flatMap((c) => flattenInternal(c, scale * node.weight, loras));
    case 'Substitute': {
      const o = flattenInternal(node.original, scale, loras) as CompelFragment[];
      const e = flattenInternal(node.edited, scale, loras) as CompelFragment[];
      return [substitute(o, e, node.options)];
    }
    case 'Blend': {
      const prompts = node.prompts.flatMap((p) => flattenInternal(p, scale, loras)) as CompelFlattenedPrompt[];
      if (prompts.length !== node.weights.length) throw new CompelSyntaxError('ParsingException', 'while parsing Blend: mismatched prompts/weights counts');
      for (const p of prompts) {
        if (p.children.some((c) => c.type === 'CrossAttentionControlSubstitute')) {
          throw new CompelSyntaxError('ParsingException', 'while parsing Blend: sorry, you cannot do .swap() as part of a Blend');
        }
      }
      return [{ type: 'Blend', prompts, weights: node.weights, normalize: node.normalize }];
    }
    case 'Prompt': {
      const fused = fuse(node.children.flatMap((c) => flattenInternal(c, scale, loras)) as (CompelFragment | CompelSubstitute)[]);
      return fused.length > 0 ? [{ type: 'FlattenedPrompt', children: fused }] : [];
    }
    case 'Conjunction':
      throw new CompelSyntaxError('ParsingException', 'unhandled node type Conjunction when flattening');
  }
}

function flatten(root: ConjunctionNode): CompelConjunction {
  const prompts: (CompelFlattenedPrompt | CompelBlend)[] = [];
  const weights: number[] = [];
  const loras: CompelLoraWeight[] = [];
  root.prompts.forEach((part, i) => {
    const flat = flattenInternal(part, 1.0, loras);
    if (flat.length > 0) {
      prompts.push(...(flat as (CompelFlattenedPrompt | CompelBlend)[]));
      weights.push(root.weights[i]!);
    }
  });
  return { type: 'Conjunction', prompts, weights, loras };
}

/**
 * compel's `PromptParser().parse_conjunction(prompt)`: `word+` / `word-` (1.1 / 0.9 per sign),
 * `(words)1.3`, `(words)-`, `"quoted"+`, `x.attend(w)`, `("a", "b").blend(0.7, 0.3[, no_normalize])`,
 * `("a", "b").and(w...)`, `x.swap(y)`, `useLora(name, w)`; nesting multiplies, equal neighbours
 * fuse with a space, `\(` `\)` `\"` are literals. Throws CompelSyntaxError where compel raises.
 */
export function parseCompelPrompt(prompt: string, options: CompelParserOptions = {}): CompelConjunction {
  const grammar = new Grammar(options.plusBase ?? 1.1, options.minusBase ?? 0.9);
  // compel enforces a space after each comma (Python's \S, Unicode-aware)
  let text = prompt.replace(/,(.)/gsu, (m, c: string) => (isPythonSpaceChar(c) ? m : `, ${c}`));
  if (pyStrip(text).length === 0) {
    return { type: 'Conjunction', prompts: [{ type: 'FlattenedPrompt', children: [fragment('', 1.0)] }], weights: [1.0], loras: [] };
  }
  text = expandTabs(text);
  const explicit = grammar.explicitConjunction(text, 0);
  const root = explicit !== null ? explicit.node : grammar.implicitConjunction(text, 0);
  if (root === null) throw new CompelSyntaxError('ParseException', `compel cannot parse ${JSON.stringify(prompt)}`);
  return flatten(root);
}
