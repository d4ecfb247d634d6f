import type { JsonReader } from './json-reader.js';
import { isWhiteSpace } from './rust-char-classes.js';

/** A piece of normalized text on its way to the model. */
export interface Split {
  readonly text: string;
  /**
   * Where each UTF-16 unit comes from in the text being encoded (-1: its very start), kept only
   * for the piece that begins it and only for Metaspace's "first" scheme; null otherwise.
   */
  readonly origins: Int32Array | null;
}

/** Whether a split begins where the text begins (Rust: `offsets_original().0 == 0`). */
function atStart(split: Split): boolean {
  return split.origins !== null && split.origins.length > 0 && split.origins[0]! <= 0;
}

function sub(split: Split, start: number, end: number): Split {
  return { text: split.text.slice(start, end), origins: split.origins ? split.origins.subarray(start, end) : null };
}

/** A pre-tokenizer of the Rust `tokenizers`; `usesStart` when it needs `Split.origins`. */
export interface PreTokenizer {
  (split: Split, out: Split[]): void;
  readonly usesStart: boolean;
}

export type PrependScheme = 'always' | 'first' | 'never';

/** Metaspace's settings, which its decoder shares. */
export interface MetaspaceSettings {
  readonly replacement: string;
  readonly prependScheme: PrependScheme;
  readonly split: boolean;
}

const SUPPORTED = ['Metaspace', 'WhitespaceSplit', 'Sequence'] as const;

/**
 * Metaspace's settings as the Rust deserializer reads them, old layouts included:
 * `add_prefix_space` (before 0.19) and `str_rep` are accepted; add_prefix_space false requires
 * prepend_scheme "never" (Rust's default for a missing one is "always").
 */
export function readMetaspace(json: JsonReader): MetaspaceSettings {
  const replacement = json.get('replacement').string();
  if ([...replacement].length !== 1) json.get('replacement').fail('expected one character');
  let prependScheme: PrependScheme = 'always';
  if (json.has('prepend_scheme')) {
    const scheme = json.get('prepend_scheme').string();
    if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') return json.get('prepend_scheme').fail(`unknown prepend_scheme "${scheme}"`);
    prependScheme = scheme;
  }
  if (json.has('add_prefix_space') && json.get('add_prefix_space').boolean() === false) {
    // Without prepend_scheme Rust assumes "always", which then contradicts add_prefix_space.
    if (prependScheme !== 'never') json.fail('add_prefix_space does not match declared prepend_scheme');
    prependScheme = 'never';
  }
  const split = json.has('split') ? json.get('split').boolean() : true;
  return { replacement, prependScheme, split };
}

export function readPreTokenizer(json: JsonReader): PreTokenizer | null {
  if (json.isNull()) return null;
  const type = json.type('pre_tokenizer', SUPPORTED);
  if (type === 'Sequence') {
    const steps = json.get('pretokenizers').array().map((item) => readPreTokenizer(item)).filter((p): p is PreTokenizer => p !== null);
    const run = (split: Split, out: Split[]) => {
      let splits = [split];
      for (const step of steps) {
        const next: Split[] = [];
        for (const s of splits) step(s, next);
        splits = next;
      }
      out.push(...splits);
    };
    return Object.assign(run, { usesStart: steps.some((s) => s.usesStart) });
  }
  if (type === 'WhitespaceSplit') return Object.assign(whitespaceSplit, { usesStart: false });
  const settings = readMetaspace(json);
  return Object.assign(metaspace(settings), { usesStart: settings.prependScheme === 'first' });
}

/** Splits on White_Space, dropping it. */
function whitespaceSplit(split: Split, out: Split[]): void {
  const text = split.text;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const space = i === text.length || isWhiteSpace(text.charCodeAt(i));
    if (space && start >= 0) {
      out.push(sub(split, start, i));
      start = -1;
    } else if (!space && start < 0) {
      start = i;
    }
  }
}

/** Spaces become the replacement, which is prepended as the scheme says, then splits before each one. */
function metaspace(settings: MetaspaceSettings): (split: Split, out: Split[]) => void {
  const { replacement, prependScheme } = settings;
  return (split, out) => {
    let text = split.text.replaceAll(' ', replacement);
    let origins = split.origins;
    if (!text.startsWith(replacement) && (prependScheme === 'always' || (prependScheme === 'first' && atStart(split)))) {
      text = replacement + text;
      // The prepended character shares the first one's origin.
      if (origins) origins = Int32Array.from([...new Array<number>(replacement.length).fill(origins[0] ?? -1), ...origins]);
    }
    const replaced: Split = { text, origins };
    if (!settings.split) {
      out.push(replaced);
      return;
    }
    let start = 0;
    for (let i = text.indexOf(replacement, 1); i >= 0; i = text.indexOf(replacement, i + replacement.length)) {
      if (i > start) out.push(sub(replaced, start, i));
      start = i;
    }
    if (start < text.length) out.push(sub(replaced, start, text.length));
  };
}
