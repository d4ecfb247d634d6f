import type { JsonReader } from './json-reader.js';
import { isWhiteSpace } from './rust-char-classes.js';

/** A piece of normalized text on its way to the model. */
export interface Split {
  readonly text: string;
  /** Whether it begins where the input text begins (Rust: `offsets_original().0 == 0`). */
  readonly atStart: boolean;
}

/** A pre-tokenizer of the Rust `tokenizers`. */
export type PreTokenizer = (split: Split, out: Split[]) => void;

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
    return (split, out) => {
      let splits = [split];
      for (const step of steps) {
        const next: Split[] = [];
        for (const s of splits) step(s, next);
        splits = next;
      }
      out.push(...splits);
    };
  }
  if (type === 'WhitespaceSplit') return whitespaceSplit;
  return metaspace(readMetaspace(json));
}

/** Splits on White_Space, dropping it. */
function whitespaceSplit(split: Split, out: Split[]): void {
  const text = split.text;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const space = i === text.length || isWhiteSpace(text.charCodeAt(i));
    if (space && start >= 0) {
      out.push({ text: text.slice(start, i), atStart: split.atStart && start === 0 });
      start = -1;
    } else if (!space && start < 0) {
      start = i;
    }
  }
}

/** Spaces become the replacement, which is prepended as the scheme says, then splits before each one. */
function metaspace(settings: MetaspaceSettings): PreTokenizer {
  const { replacement, prependScheme } = settings;
  return (split, out) => {
    let text = split.text.replaceAll(' ', replacement);
    if (!text.startsWith(replacement) && (prependScheme === 'always' || (prependScheme === 'first' && split.atStart))) {
      text = replacement + text;
    }
    if (!settings.split) {
      out.push({ text, atStart: split.atStart });
      return;
    }
    let start = 0;
    for (let i = text.indexOf(replacement, 1); i >= 0; i = text.indexOf(replacement, i + replacement.length)) {
      if (i > start) out.push({ text: text.slice(start, i), atStart: split.atStart && start === 0 });
      start = i;
    }
    if (start < text.length) out.push({ text: text.slice(start), atStart: split.atStart && start === 0 });
  };
}
