import { GRAPHEME_CLASS_RUNS } from './grapheme-classes.generated.js';

// Class numbers of scripts/t5/generate-grapheme-classes.mjs.
const CR = 1;
const LF = 2;
const CONTROL = 3;
const EXTEND = 4;
const ZWJ = 5;
const REGIONAL_INDICATOR = 6;
const PREPEND = 7;
const SPACING_MARK = 8;
const L = 9;
const V = 10;
const T = 11;
const LV = 12;
const LVT = 13;
const EXTENDED_PICTOGRAPHIC = 14;
const CONJUNCT_CONSONANT = 15;
const CONJUNCT_LINKER = 16;
const CONJUNCT_EXTEND = 17;

let bmpClasses: Uint8Array | null = null;
let astralStarts: Uint32Array | null = null;
let astralClasses: Uint8Array | null = null;

/** Builds the lookup tables on first use: one byte per BMP code point, runs above it. */
function load(): void {
  const starts: number[] = [];
  const classes: number[] = [];
  for (const run of GRAPHEME_CLASS_RUNS.split(' ')) {
    if (!run) continue;
    const colon = run.indexOf(':');
    starts.push(parseInt(run.slice(0, colon), 16));
    classes.push(Number(run.slice(colon + 1)));
  }
  const bmp = new Uint8Array(0x10000);
  const astralFrom = [];
  const astralClass = [];
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i]!;
    const to = i + 1 < starts.length ? starts[i + 1]! : 0x110000;
    if (from < 0x10000) bmp.fill(classes[i]!, from, Math.min(to, 0x10000));
    if (to > 0x10000) {
      astralFrom.push(Math.max(from, 0x10000));
      astralClass.push(classes[i]!);
    }
  }
  bmpClasses = bmp;
  astralStarts = Uint32Array.from(astralFrom);
  astralClasses = Uint8Array.from(astralClass);
}

/** The grapheme class of a code point. */
export function graphemeClass(codePoint: number): number {
  if (bmpClasses === null) load();
  if (codePoint < 0x10000) return bmpClasses![codePoint]!;
  const starts = astralStarts!;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= codePoint) lo = mid;
    else hi = mid - 1;
  }
  return astralClasses![lo]!;
}

const isExtendLike = (c: number) => c === EXTEND || c === CONJUNCT_LINKER || c === CONJUNCT_EXTEND;

/**
 * Extended grapheme clusters of a string (UAX #29 rules GB3-GB999 with GB9c and GB11, as the
 * Rust crate unicode-segmentation applies them), reported as UTF-16 [start, end) ranges.
 */
export function forEachGrapheme(text: string, visit: (start: number, end: number) => void): void {
  const length = text.length;
  if (length === 0) return;
  let start = 0;
  let previous = -1;
  // GB11: 1 after ExtPict Extend*, 2 after ExtPict Extend* ZWJ.
  let emoji = 0;
  // GB9c: 1 after Consonant [Extend Linker]*, 2 once a Linker was among them.
  let conjunct = 0;
  let regionalIndicators = 0;
  let i = 0;
  while (i < length) {
    const unit = text.charCodeAt(i);
    let codePoint = unit;
    let width = 1;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        codePoint = ((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    const next = graphemeClass(codePoint);
    if (previous >= 0 && breaksBetween(previous, next, emoji, conjunct, regionalIndicators)) {
      visit(start, i);
      start = i;
    }
    emoji = next === EXTENDED_PICTOGRAPHIC ? 1 : emoji === 1 && isExtendLike(next) ? 1 : emoji === 1 && next === ZWJ ? 2 : 0;
    conjunct =
      next === CONJUNCT_CONSONANT
        ? 1
        : conjunct > 0 && next === CONJUNCT_LINKER
          ? 2
          : conjunct > 0 && (next === CONJUNCT_EXTEND || next === ZWJ)
            ? conjunct
            : 0;
    regionalIndicators = next === REGIONAL_INDICATOR ? regionalIndicators + 1 : 0;
    previous = next;
    i += width;
  }
  visit(start, length);
}

function breaksBetween(previous: number, next: number, emoji: number, conjunct: number, regionalIndicators: number): boolean {
  if (previous === CR && next === LF) return false; // GB3
  if (previous === CONTROL || previous === CR || previous === LF) return true; // GB4
  if (next === CONTROL || next === CR || next === LF) return true; // GB5
  if (previous === L && (next === L || next === V || next === LV || next === LVT)) return false; // GB6
  if ((previous === LV || previous === V) && (next === V || next === T)) return false; // GB7
  if ((previous === LVT || previous === T) && next === T) return false; // GB8
  if (isExtendLike(next) || next === ZWJ) return false; // GB9
  if (next === SPACING_MARK) return false; // GB9a
  if (previous === PREPEND) return false; // GB9b
  if (conjunct === 2 && next === CONJUNCT_CONSONANT) return false; // GB9c
  if (emoji === 2 && next === EXTENDED_PICTOGRAPHIC) return false; // GB11
  if (previous === REGIONAL_INDICATOR && next === REGIONAL_INDICATOR && regionalIndicators % 2 === 1) return false; // GB12, GB13
  return true; // GB999
}
