import { MAX_NESTING_DEPTH, PromptError, describePiece, finiteWeight, nestingError } from '../errors.js';
import { isPythonSpaceCode } from '../python-re.js';
import { pythonFloat } from '../python-float.js';
import {
  CompelSyntaxError,
  fragment,
  type CompelBlend,
  type CompelConjunction,
  type CompelFlattenedPrompt,
  type CompelFragment,
  type CompelLoraWeight,
  type CompelSubstitute,
} from './structures.js';

// compel's pyparsing grammar (build_parser_syntax in src/compel/prompt_parser.py) as a
// hand-written PEG with pyparsing 3's rules: ordered choice, greedy repetition without
// backtracking, whitespace (" \n\t\r") skipped before every element except CharsNotIn/NotAny/White,
// a parse action that raises ParseException (a quoted string whose content does not parse) failing
// its alternative, and any other exception (float("foo"), mismatched counts) escaping.
//
// Like pyparsing with enable_packrat() (which compel turns on), every rule that can recurse is
// memoized per position: without it "(((a)))" re-parses its inside four times per level. A
// parenthesized or quoted inside is kept as one nested list (not spread into its parent), so
// nothing is copied once per level, and nesting deeper than MAX_NESTING_DEPTH is refused.

interface Attention {
  kind: 'Attention';
  weight: number;
  children: Item[];
  /** Where its target starts, for errors: `where(at)` is the position in the prompt. */
  at: number;
  where: (loc: number) => number;
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
type Rule = (loc: number) => Result;

const WHITE = ' \t\r\n';
const PY_WHITESPACE = ' \t\n\r\x0b\x0c'; // string.whitespace
const SYNTACTIC = '()",.+-=';
const KEYWORD_CHARS = /[A-Za-z0-9_-]/;
const QUOTED = /"(?:\\"|[^"\n\r])*"/y;
// pyparsing_common.real is a Python regex: its \d is any Unicode decimal digit, which float() reads
const REAL = /[+-]?(?:\p{Nd}+\.\p{Nd}*|\.\p{Nd}+)/uy;
const INTEGER = /-?[0-9]+/y;
/** Where each lora of a parse starts, for errors (kept off the public structure). */
const loraPositions = new WeakMap<CompelLoraWeight, () => number>();

/** Python's str.expandtabs() (pyparsing's parse_string applies it first); `origin` gets each output unit's input index. */
function expandTabs(s: string, origin?: number[]): string {
  if (!s.includes('\t')) {
    if (origin) for (let i = 0; i < s.length; i++) origin.push(i);
    return s;
  }
  const out: string[] = [];
  let col = 0;
  let i = 0;
  for (const ch of s) {
    if (ch === '\t') {
      const n = 8 - (col % 8);
      out.push(' '.repeat(n));
      if (origin) for (let k = 0; k < n; k++) origin.push(i);
      col += n;
    } else {
      out.push(ch);
      if (origin) for (let k = 0; k < ch.length; k++) origin.push(i + k);
      col = ch === '\n' || ch === '\r' ? 0 : col + 1;
    }
    i += ch.length;
  }
  return out.join('');
}

/** compel's space after each comma (`,(.)` with Python's \S, Unicode-aware); `origin` as for expandTabs. */
function spaceAfterCommas(s: string, origin?: number[]): string {
  const out: string[] = [];
  let copied = 0;
  for (let i = s.indexOf(','); i >= 0 && i + 1 < s.length; i = s.indexOf(',', i)) {
    const code = s.codePointAt(i + 1)!;
    const end = i + 1 + (code > 0xffff ? 2 : 1);
    if (!isPythonSpaceCode(code)) {
      out.push(s.slice(copied, i + 1), ' ');
      if (origin) {
        for (let k = copied; k <= i; k++) origin.push(k);
        origin.push(i);
      }
      copied = i + 1;
    }
    i = end; // the matched character is consumed: ",,a" becomes ", ,a"
  }
  out.push(s.slice(copied));
  if (origin) for (let k = copied; k < s.length; k++) origin.push(k);
  return out.join('');
}

function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPythonSpaceCode(s.charCodeAt(a))) a++;
  while (b > a && isPythonSpaceCode(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/** base ** n for an integer n >= 1, correctly rounded (C's pow, which Python calls; V8's Math.pow is not). */
export function exactPow(base: number, n: number): number {
  if (n === 1 || !Number.isFinite(base) || base === 0) return base ** n;
  const sign = base < 0 && n % 2 === 1 ? -1 : 1;
  // Far outside the doubles the result is inf or 0 whatever the rounding: no need for a
  // megabyte-wide BigInt ("a" followed by a million "+").
  const log2 = n * Math.log2(Math.abs(base));
  if (log2 > 1100) return sign * Infinity;
  if (log2 < -1200) return sign * 0;
  // Only a base within a few percent of 1 gets here with this many signs: its BigInt would grow
  // by 53 bits per sign. Math.pow is at most an ulp away.
  if (n > 20_000) return base ** n;
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
  if (e > 1100) return sign * Infinity;
  if (e < -1200) return sign * 0;
  return sign * Number(m) * 2 ** e;
}

export interface CompelParserOptions {
  /** `word+` multiplies by this per `+` (compel's attention_plus_base, 1.1). */
  plusBase?: number;
  /** `word-` multiplies by this per `-` (attention_minus_base, 0.9). */
  minusBase?: number;
  /**
   * Refuse (PromptError) a weight that is not a finite number: `(a)99…9` (400 digits),
   * `a++…+` (thousands of signs), `.blend(inf, nan)`, nested weights overflowing. compel returns
   * them (and writes inf/nan conditioning); default false, as compel. tokenizeCompel,
   * encodeCompel and explainPrompt always refuse.
   */
  finiteWeights?: boolean;
}

interface GrammarOptions {
  plus: number;
  minus: number;
  finiteWeights: boolean;
}

/** The grammar over one string (the prompt, or a quoted string's inside), with its packrat memo. */
class Parse {
  /** The packrat memo where re-parsing would multiply: parenthesized and quoted insides, by position. */
  private readonly parens = new Map<number, Result>();
  private readonly quotes = new Map<string, Result>();

  constructor(
    private readonly s: string,
    private readonly bases: GrammarOptions,
    /** Nesting levels open across this parse and the ones it started (quoted insides). */
    private readonly nesting: { depth: number },
    /** Where a position of `s` is in the prompt as given. */
    readonly promptPosition: (loc: number) => number,
  ) {}

  /** One more level inside `bracket` at `loc`, refused past MAX_NESTING_DEPTH. */
  private nested<T>(bracket: string, loc: number, parse: () => T): T {
    if (this.nesting.depth >= MAX_NESTING_DEPTH) throw nestingError(bracket, this.promptPosition(loc));
    this.nesting.depth++;
    try {
      return parse();
    } finally {
      this.nesting.depth--;
    }
  }

  /** pyparsing's default whitespace skip (" \n\t\r"), called before nearly every element. */
  private skip(loc: number): number {
    const s = this.s;
    for (let c = s.charCodeAt(loc); c === 32 || c === 10 || c === 9 || c === 13; c = s.charCodeAt(++loc));
    return loc;
  }

  private literal(text: string, loc: number): number {
    loc = this.skip(loc);
    return this.s.startsWith(text, loc) ? loc + text.length : -1;
  }

  // non_syntax_word: a Combine of escaped symbols, a +/- not followed by whitespace, a syntactic
  // character or the end, and characters that are neither whitespace nor syntactic.
  // Every alternative at a position tries a word first (as an attention's or a swap's target,
  // then as itself): the last answer is kept.
  private lastWordLoc = -1;
  private lastWord: Result = null;

  private readonly word: Rule = (loc) => {
    if (loc === this.lastWordLoc) return this.lastWord;
    this.lastWordLoc = loc;
    return (this.lastWord = this.scanWord(loc));
  };

  private scanWord(loc: number): Result {
    const s = this.s;
    loc = this.skip(loc);
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
  }

  private readonly freeWord: Rule = (loc) => {
    const start = loc;
    while (loc < this.s.length && !PY_WHITESPACE.includes(this.s[loc]!)) loc++;
    return loc > start ? { loc, toks: [fragment(this.s.slice(start, loc), 1)] } : null;
  };

  /** QuotedString('"', esc_quote='\\"') whose content is parsed again with `inner` + StringEnd. */
  private quoted(inner: 'fragmentInclCommas' | 'prompt', loc: number): Result {
    loc = this.skip(loc);
    if (this.s[loc] !== '"') return null;
    const key = `${inner} ${loc}`;
    let r = this.quotes.get(key);
    if (r !== undefined) return r;
    r = this.quotedInside(inner, loc);
    this.quotes.set(key, r);
    return r;
  }

  private quotedInside(inner: 'fragmentInclCommas' | 'prompt', loc: number): Result {
    QUOTED.lastIndex = loc;
    const m = QUOTED.exec(this.s);
    if (!m) return null;
    let text = m[0].slice(1, -1);
    if (text.includes('\\')) {
      for (const [lit, ch] of [['\\t', '\t'], ['\\n', '\n'], ['\\f', '\f'], ['\\r', '\r']] as const) text = text.replaceAll(lit, ch);
    }
    text = text.replaceAll('\\"', '"');
    const end = loc + m[0].length;
    if (pyStrip(text).length === 0) return { loc: end, toks: [fragment('', 1)] };
    const inside = new Parse(expandTabs(text.replaceAll('"', '\\"')), this.bases, this.nesting, () => this.promptPosition(loc));
    const r = this.nested('"', loc, () => inside[inner](0));
    if (r === null || inside.skip(r.loc) !== inside.s.length) return null;
    return { loc: end, toks: [r.toks] };
  }

  // The rules on the recursive path (paren, zeroOrMore, attention) are written out without
  // helpers: every frame per nesting level is stack that 256 levels must fit in.
  private readonly paren: Rule = (loc) => {
    const l = this.literal('(', loc);
    if (l < 0) return null;
    let r = this.parens.get(l);
    if (r !== undefined) return r;
    if (this.nesting.depth >= MAX_NESTING_DEPTH) throw nestingError('(', this.promptPosition(l - 1));
    this.nesting.depth++;
    try {
      const inner = this.zeroOrMore(this.inclCommas, l);
      const e = this.literal(')', inner.loc);
      r = e < 0 ? null : { loc: e, toks: [inner.toks] };
    } finally {
      this.nesting.depth--;
    }
    this.parens.set(l, r);
    return r;
  };

  private readonly quotedFragment: Rule = (loc) => this.quoted('fragmentInclCommas', loc);

  /** ZeroOrMore(alternative | ...): the first alternative that matches, as long as one does. */
  private zeroOrMore(alternatives: readonly Rule[], loc: number): { loc: number; toks: Item[] } {
    const toks: Item[] = [];
    for (;;) {
      let r: Result = null;
      for (let i = 0; r === null && i < alternatives.length; i++) r = alternatives[i]!(loc);
      if (r === null) return { loc, toks };
      for (const t of r.toks) toks.push(t);
      loc = r.loc;
    }
  }

  private first(alternatives: readonly Rule[], loc: number): Result {
    for (const alt of alternatives) {
      const r = alt(loc);
      if (r !== null) return r;
    }
    return null;
  }

  private readonly commaOrPeriod: Rule = (loc) => {
    loc = this.skip(loc);
    const c = this.s[loc];
    return c === ',' || c === '.' ? { loc: loc + 1, toks: [fragment(c, 1)] } : null;
  };

  private readonly fragmentInclCommas: Rule = (loc) => this.zeroOrMore(this.inclCommas, loc);
  private readonly fragmentExclCommas: Rule = (loc) => this.zeroOrMore(this.exclCommas, loc);
  private readonly target: Rule = (loc) => this.first(this.targets, loc);

  /** pyparsing_common.real | Combine(Optional("-") + Word(nums)), both as float. */
  private readonly number: Rule = (loc) => {
    loc = this.skip(loc);
    for (const re of [REAL, INTEGER]) {
      re.lastIndex = loc;
      const m = re.exec(this.s);
      if (m) return { loc: loc + m[0].length, toks: [Number(asciiDigits(m[0]))] };
    }
    return null;
  };

  private runOf(ch: string): Rule {
    return (loc) => {
      loc = this.skip(loc);
      const start = loc;
      while (this.s[loc] === ch) loc++;
      return loc > start ? { loc, toks: [this.s.slice(start, loc)] } : null;
    };
  }
  private readonly pluses = this.runOf('+');
  private readonly minuses = this.runOf('-');

  private readonly keyword: Rule = (loc) => {
    loc = this.skip(loc);
    const start = loc;
    while (loc < this.s.length && KEYWORD_CHARS.test(this.s[loc]!)) loc++;
    return loc > start ? { loc, toks: [this.s.slice(start, loc)] } : null;
  };

  private readonly powers = new Map<string, number>();

  /** exactPow, once per base and count: every "dog++" of a long prompt asks for 1.1 ** 2. */
  private power(base: number, n: number): number {
    const key = `${base} ${n}`;
    let p = this.powers.get(key);
    if (p === undefined) this.powers.set(key, (p = exactPow(base, n)));
    return p;
  }

  /** The node; a weight that is not a finite number is refused only if the node is used (see flattenInto). */
  private makeAttention(target: Item[], raw: number | string, loc: number): Attention {
    const weight = typeof raw === 'number' ? raw : this.power(raw[0] === '+' ? this.bases.plus : this.bases.minus, raw.length);
    return { kind: 'Attention', weight, children: target, at: this.skip(loc), where: this.promptPosition };
  }

  private readonly attention: Rule = (loc) => {
      // attention_explicit: target.attend(weight)
      const t = this.quotedFragment(loc) ?? this.paren(loc) ?? this.word(loc);
      if (t !== null) {
        let l = this.literal('.attend', t.loc);
        if (l >= 0) l = this.literal('(', l);
        if (l >= 0) {
          const w = this.first([this.pluses, this.minuses, this.number], l);
          if (w !== null) {
            const e = this.literal(')', w.loc);
            if (e >= 0) return { loc: e, toks: [this.makeAttention(t.toks, w.toks[0] as number | string, loc)] };
          }
        }
      }
      // attention_implicit: (quoted | parenthesized) then +/-/number, or a word then +/-, no space between
      const group = this.quotedFragment(loc) ?? this.paren(loc);
      if (group !== null && !(group.loc < this.s.length && WHITE.includes(this.s[group.loc]!))) {
        const w = this.pluses(group.loc) ?? this.minuses(group.loc) ?? this.number(group.loc);
        if (w !== null) return { loc: w.loc, toks: [this.makeAttention(group.toks, w.toks[0] as number | string, loc)] };
      }
      const word = this.word(loc);
      if (word !== null && !(word.loc < this.s.length && WHITE.includes(this.s[word.loc]!))) {
        const w = this.pluses(word.loc) ?? this.minuses(word.loc);
        if (w !== null) return { loc: w.loc, toks: [this.makeAttention(word.toks, w.toks[0] as number | string, loc)] };
      }
      return null;
  };

  /** option: keyword=number|keyword, a number (as str), or a keyword flag; each a Group. */
  private readonly option: Rule = (loc) => {
    const k = this.keyword(loc);
    if (k !== null) {
      const eq = this.literal('=', k.loc);
      if (eq >= 0) {
        const v = this.first([this.number, this.keyword], eq);
        if (v !== null) return { loc: v.loc, toks: [[k.toks[0]!, v.toks[0]!]] };
      }
    }
    const n = this.number(loc);
    if (n !== null) return { loc: n.loc, toks: [[pyStr(n.toks[0] as number)]] };
    return k === null ? null : { loc: k.loc, toks: [[k.toks[0]!]] };
  };

  /** Optional(DelimitedList(option)): the option groups. */
  private options(loc: number): { loc: number; toks: Item[] } {
    return this.delimited(this.option, 0, loc)!;
  }

  private delimited(rule: Rule, min: number, loc: number): Result {
    const r = rule(loc);
    if (r === null) return min > 0 ? null : { loc, toks: [] };
    const toks = [...r.toks];
    loc = r.loc;
    for (;;) {
      const c = this.literal(',', loc);
      if (c < 0) break;
      const n = rule(c);
      if (n === null) break;
      for (const t of n.toks) toks.push(t);
      loc = n.loc;
    }
    return { loc, toks };
  }

  private readonly substitute: Rule = (loc) => {
      const t = this.target(loc);
      if (t === null) return null;
      let l = this.literal('.swap', t.loc);
      if (l >= 0) l = this.literal('(', l);
      if (l < 0) return null;
      const open = l - 1;
      return this.nested('(', open, () => {
        const edited = this.fragmentExclCommas(l)!;
        l = edited.loc;
        let opts: Item[] = [];
        const c = this.literal(',', l);
        if (c >= 0) {
          const o = this.options(c);
          opts = o.toks;
          l = o.loc;
        }
        const e = this.literal(')', l);
        if (e < 0) return null;
        const options: Record<string, number | string> = {};
        for (const g of opts as Item[][]) options[g[0] as string] = g.length > 1 ? (g[1] as number | string) : '';
        return { loc: e, toks: [{ kind: 'Substitute', original: t.toks, edited: edited.toks, options }] };
      });
  };

  private readonly lora: Rule = (loc) => {
      let l = this.literal('useLora', loc);
      if (l < 0) l = this.literal('withLora', loc);
      if (l >= 0) l = this.literal('(', l);
      if (l < 0) return null;
      const name = this.keyword(l);
      if (name === null) return null;
      l = name.loc;
      let weight = 1;
      const c = this.literal(',', l);
      if (c >= 0) {
        const n = this.number(c);
        if (n !== null) {
          weight = n.toks[0] as number;
          l = n.loc;
        }
      }
      const e = this.literal(')', l);
      if (e < 0) return null;
      const node: CompelLoraWeight = { type: 'LoraWeight', model: name.toks[0] as string, weight };
      loraPositions.set(node, () => this.promptPosition(this.skip(loc)));
      return { loc: e, toks: [node] };
  };

  private readonly white: Rule = (loc) => {
    const start = loc;
    while (loc < this.s.length && WHITE.includes(this.s[loc]!)) loc++;
    return loc > start ? { loc, toks: [] } : null;
  };

  private readonly prompt: Rule = (loc) => this.zeroOrMore(this.promptElements, loc);

  // The alternatives, in pyparsing's order (fields below the rules they list).
  private readonly inclCommas: readonly Rule[] = [this.lora, this.attention, this.substitute, this.paren, this.quotedFragment, this.word, this.commaOrPeriod];
  private readonly exclCommas: readonly Rule[] = [this.lora, this.attention, this.substitute, this.paren, this.quotedFragment, this.word];
  private readonly targets: readonly Rule[] = [this.quotedFragment, this.paren, this.word];
  private readonly promptElements: readonly Rule[] = [this.substitute, this.lora, this.attention, this.quotedFragment, this.paren, this.freeWord, this.white];

  private readonly quotedPrompt: Rule = (loc) => this.quoted('prompt', loc);

  /** `(a, b, ...).blend(...)` / `.and(...)` / `.add(...)`: the targets and the option groups. */
  private operatorCall(loc: number, operators: string[]): { loc: number; targets: Item[][]; op: string; options: Item[][] } | null {
    let l = this.literal('(', loc);
    if (l < 0) return null;
    const list = this.nested('(', l - 1, () =>
      this.delimited(
        (l2) => {
          const r = this.first([this.target, this.quotedPrompt], l2);
          return r === null ? null : { loc: r.loc, toks: [r.toks] };
        },
        1,
        l,
      ),
    );
    if (list === null) return null;
    l = this.literal(')', list.loc);
    if (l < 0) return null;
    const at = this.skip(l);
    const op = operators.find((o) => this.s.startsWith(o, at));
    if (op === undefined) return null;
    l = this.literal('(', at + op.length);
    if (l < 0) return null;
    const o = this.options(l);
    const e = this.literal(')', o.loc);
    if (e < 0) return null;
    return { loc: e, targets: list.toks as Item[][], op, options: o.toks as Item[][] };
  }

  blend(loc: number): { loc: number; node: BlendNode } | null {
    const r = this.operatorCall(loc, ['.blend']);
    if (r === null) return null;
    let raw = r.options;
    let normalize = true;
    if (raw.length > 0 && raw[raw.length - 1]![0] === 'no_normalize') {
      normalize = false;
      raw = raw.slice(0, -1);
    }
    const prompts = r.targets.map((t): Prompt => ({ kind: 'Prompt', children: t }));
    const weights = this.finiteWeights(blendWeights(prompts.length, raw.map((w) => floatOrRaise(w[0]!)), 'Blend'), '.blend()', loc);
    return { loc: r.loc, node: { kind: 'Blend', prompts, weights, normalize } };
  }

  explicitConjunction(loc: number): { loc: number; node: ConjunctionNode } | null {
    const r = this.operatorCall(loc, ['.and', '.add']);
    if (r === null) return null;
    const prompts = r.targets.map((t): Prompt => ({ kind: 'Prompt', children: t }));
    const weights = this.finiteWeights(blendWeights(prompts.length, r.options.map((w) => floatOrRaise(w[0]!)), 'Conjunction'), `${r.op}()`, loc);
    return { loc: r.loc, node: { kind: 'Conjunction', prompts, weights } };
  }

  /** compel takes inf and nan here (after its own checks); refused when asked. */
  private finiteWeights(weights: number[], operator: string, loc: number): number[] {
    if (!this.bases.finiteWeights) return weights;
    return weights.map((w) => finiteWeight(w, operator, this.promptPosition(this.skip(loc))));
  }

  private loras(loc: number): { loc: number; group: Item[] } | null {
    const group: Item[] = [];
    for (;;) {
      const r = this.lora(loc);
      if (r === null) break;
      for (const t of r.toks) group.push(t);
      loc = r.loc;
    }
    return group.length > 0 ? { loc, group } : null;
  }

  implicitConjunction(loc: number): ConjunctionNode | null {
    const parts: (Prompt | BlendNode)[] = [];
    const before = this.loras(loc);
    if (before) {
      parts.push({ kind: 'Prompt', children: before.group });
      loc = before.loc;
    }
    const b = this.blend(loc);
    if (b !== null) {
      parts.push(b.node);
      loc = b.loc;
    } else {
      const p = this.prompt(loc)!;
      parts.push({ kind: 'Prompt', children: p.toks });
      loc = p.loc;
    }
    const after = this.loras(loc);
    if (after) {
      parts.push({ kind: 'Prompt', children: after.group });
      loc = after.loc;
    }
    if (this.skip(loc) !== this.s.length) return null;
    return { kind: 'Conjunction', prompts: parts, weights: parts.map(() => 1) };
  }
}

const ND = /\p{Nd}/u;

/** Unicode decimal digits as ASCII (digits come in runs of ten starting at zero). */
function asciiDigits(text: string): string {
  if (/^[-+.0-9]*$/.test(text)) return text;
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

/**
 * compel's Fragment constructor unescaped `\(` `\)` `\"` again each time a fusion rebuilt the
 * text, so in a run of n equal-weight fragments the first two are unescaped n - 1 more times, the
 * k-th n - k + 1 times. Each pass only shortens a backslash run before ( ) " by one: k passes
 * shorten it by k, computed here in one pass (rebuilding the text per fusion was quadratic).
 */
function unescapeTimes(text: string, times: number): string {
  if (times === 0 || !text.includes('\\')) return text;
  return text.replace(/(\\+)(?=[()"])/g, (run: string) => run.slice(Math.min(run.length, times)));
}

function fuse(items: (CompelFragment | CompelSubstitute)[]): (CompelFragment | CompelSubstitute)[] {
  const fused: (CompelFragment | CompelSubstitute)[] = [];
  let run: CompelFragment[] = [];
  const endRun = (): void => {
    if (run.length === 1) fused.push(run[0]!);
    else if (run.length > 1) {
      const n = run.length;
      const text = run.map((f, k) => unescapeTimes(f.text, k === 0 ? n - 1 : n - k)).join(' ');
      fused.push({ type: 'Fragment', text, weight: run[0]!.weight });
    }
    run = [];
  };
  for (const x of items) {
    if (x.type === 'CrossAttentionControlSubstitute') {
      endRun();
      fused.push(substitute(fuse(x.original) as CompelFragment[], fuse(x.edited) as CompelFragment[], x.options));
    } else {
      if (run.length > 0 && run[0]!.weight !== x.weight) endRun();
      run.push(x);
    }
  }
  endRun();
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

/** compel's _flatten, appending to `out` (the recursion goes only as deep as the nesting). */
/** What flattening carries down: the loras found, and whether a weight must be finite. */
interface FlattenState {
  loras: CompelLoraWeight[];
  finiteWeights: boolean;
}

function flattenInto(node: Item, scale: number, state: FlattenState, out: Flat[]): void {
  if (Array.isArray(node)) {
    for (const x of node) flattenInto(x, scale, state, out);
    return;
  }
  if (typeof node === 'string' || typeof node === 'number') throw new CompelSyntaxError('ParsingException', `unhandled node type when flattening ${node}`);
  if ('type' in node) {
    if (node.type === 'LoraWeight') {
      if (state.finiteWeights && !Number.isFinite(node.weight)) finiteWeight(node.weight, `useLora(${node.model})`, loraPositions.get(node)?.() ?? 0);
      state.loras.push(node);
    } else {
      // compel builds a new Fragment here (unescaping again); with nothing to unescape and the
      // same weight that is this one.
      const weight = node.weight * scale;
      out.push(Object.is(weight, node.weight) && !node.text.includes('\\') ? node : fragment(node.text, weight));
    }
    return;
  }
  switch (node.kind) {
    case 'Attention': {
      const inner = scale * node.weight;
      if (state.finiteWeights && !Number.isFinite(inner)) {
        throw new PromptError(
          Number.isFinite(node.weight) ? `the nested weights multiply to ${inner} here, not a finite number` : `the weight here is ${node.weight}, not a finite number`,
          node.where(node.at),
        );
      }
      for (const c of node.children) flattenInto(c, inner, state, out);
      return;
    }
    case 'Substitute': {
      const o: Flat[] = [];
      const e: Flat[] = [];
      flattenInto(node.original, scale, state, o);
      flattenInto(node.edited, scale, state, e);
      out.push(substitute(o as CompelFragment[], e as CompelFragment[], node.options));
      return;
    }
    case 'Blend': {
      const prompts: Flat[] = [];
      for (const p of node.prompts) flattenInto(p, scale, state, prompts);
      if (prompts.length !== node.weights.length) throw new CompelSyntaxError('ParsingException', 'while parsing Blend: mismatched prompts/weights counts');
      for (const p of prompts as CompelFlattenedPrompt[]) {
        if (p.children.some((c) => c.type === 'CrossAttentionControlSubstitute')) {
          throw new CompelSyntaxError('ParsingException', 'while parsing Blend: sorry, you cannot do .swap() as part of a Blend');
        }
      }
      out.push({ type: 'Blend', prompts: prompts as CompelFlattenedPrompt[], weights: node.weights, normalize: node.normalize });
      return;
    }
    case 'Prompt': {
      const children: Flat[] = [];
      for (const c of node.children) flattenInto(c, scale, state, children);
      const fused = fuse(children as (CompelFragment | CompelSubstitute)[]);
      if (fused.length > 0) out.push({ type: 'FlattenedPrompt', children: fused });
      return;
    }
    case 'Conjunction':
      throw new CompelSyntaxError('ParsingException', 'unhandled node type Conjunction when flattening');
  }
}

function flatten(root: ConjunctionNode, finiteWeights: boolean): CompelConjunction {
  const prompts: (CompelFlattenedPrompt | CompelBlend)[] = [];
  const weights: number[] = [];
  const state: FlattenState = { loras: [], finiteWeights };
  root.prompts.forEach((part, i) => {
    const flat: Flat[] = [];
    flattenInto(part, 1.0, state, flat);
    if (flat.length > 0) {
      for (const p of flat) prompts.push(p as CompelFlattenedPrompt | CompelBlend);
      weights.push(root.weights[i]!);
    }
  });
  return { type: 'Conjunction', prompts, weights, loras: state.loras };
}

/** compel's preprocessing (a space after commas, tabs expanded) and a map back to the prompt's positions, built on demand. */
function preprocess(prompt: string, commasSpaced: string): { text: string; promptPosition: (loc: number) => number } {
  const text = expandTabs(commasSpaced);
  let origin: number[] | undefined;
  const promptPosition = (loc: number): number => {
    if (!origin) {
      const afterCommas: number[] = [];
      const afterTabs: number[] = [];
      expandTabs(spaceAfterCommas(prompt, afterCommas), afterTabs);
      origin = afterTabs.map((i) => afterCommas[i]!);
    }
    return loc < origin.length ? origin[loc]! : prompt.length;
  };
  return { text, promptPosition };
}

/**
 * compel's `PromptParser().parse_conjunction(prompt)`: `word+` / `word-` (1.1 / 0.9 per sign),
 * `(words)1.3`, `(words)-`, `"quoted"+`, `x.attend(w)`, `("a", "b").blend(0.7, 0.3[, no_normalize])`,
 * `("a", "b").and(w...)`, `x.swap(y)`, `useLora(name, w)`; nesting multiplies, equal neighbours
 * fuse with a space, `\(` `\)` `\"` are literals. Throws CompelSyntaxError where compel raises, and
 * PromptError (which CompelSyntaxError extends) for nesting past MAX_NESTING_DEPTH and, with
 * `finiteWeights`, for a weight that is not a finite number. Linear in the prompt, as
 * pyparsing's packrat parser is.
 */
export function parseCompelPrompt(prompt: string, options: CompelParserOptions = {}): CompelConjunction {
  const commasSpaced = spaceAfterCommas(prompt);
  if (pyStrip(commasSpaced).length === 0) {
    return { type: 'Conjunction', prompts: [{ type: 'FlattenedPrompt', children: [fragment('', 1.0)] }], weights: [1.0], loras: [] };
  }
  const { text, promptPosition } = preprocess(prompt, commasSpaced);
  const finiteWeights = options.finiteWeights ?? false;
  const parse = new Parse(text, { plus: options.plusBase ?? 1.1, minus: options.minusBase ?? 0.9, finiteWeights }, { depth: 0 }, promptPosition);
  const explicit = parse.explicitConjunction(0);
  const root = explicit !== null ? explicit.node : parse.implicitConjunction(0);
  if (root === null) throw new CompelSyntaxError('ParseException', `compel cannot parse ${describePiece(prompt)}`);
  return flatten(root, finiteWeights);
}
