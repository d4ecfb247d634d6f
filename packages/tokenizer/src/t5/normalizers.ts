import { decodeBase64 } from '../base64.js';
import { PrecompiledCharsmap } from './charsmap.js';
import type { JsonReader } from './json-reader.js';
import { PrecompiledNormalizer } from './precompiled-normalizer.js';
import { leadingWhiteSpaceEnd, trailingWhiteSpaceStart } from './rust-char-classes.js';

/** A normalizer of the Rust `tokenizers`, on the text alone (offsets are not tracked). */
export interface Normalizer {
  normalize(text: string): string;
  /** Whether it may remove characters at the start of the text (Metaspace's "first" reads this). */
  readonly stripsLeft: boolean;
}

const SUPPORTED = ['Sequence', 'Precompiled', 'Strip', 'Replace', 'Prepend'] as const;


/** Builds the normalizer a tokenizer.json describes (null when it has none). */
export function readNormalizer(json: JsonReader): Normalizer | null {
  if (json.isNull()) return null;
  const type = json.type('normalizer', SUPPORTED);
  switch (type) {
    case 'Sequence': {
      const steps = json.get('normalizers').array().map((item) => readNormalizer(item)).filter((n): n is Normalizer => n !== null);
      return {
        normalize: (text) => steps.reduce((t, step) => step.normalize(t), text),
        stripsLeft: steps.some((s) => s.stripsLeft),
      };
    }
    case 'Precompiled': {
      let blob: Uint8Array;
      try {
        blob = decodeBase64(json.get('precompiled_charsmap').string());
      } catch (error) {
        return json.get('precompiled_charsmap').fail(`not valid base64 (${(error as Error).message})`);
      }
      // spm_precompiled accepts an empty charsmap as no rules at all.
      if (blob.length === 0) return { normalize: (text) => text, stripsLeft: false };
      const normalizer = new PrecompiledNormalizer(new PrecompiledCharsmap(blob, `${json.file}: ${json.path}.precompiled_charsmap`));
      return { normalize: (text) => normalizer.normalize(text), stripsLeft: false };
    }
    case 'Strip': {
      const left = json.get('strip_left').boolean();
      const right = json.get('strip_right').boolean();
      return {
        // Rust's char::is_whitespace; scanned, as a regex anchored at the end is quadratic.
        normalize: (text) => text.slice(left ? leadingWhiteSpaceEnd(text) : 0, right ? trailingWhiteSpaceStart(text) : text.length),
        stripsLeft: left,
      };
    }
    case 'Replace': {
      const pattern = json.get('pattern');
      const content = json.get('content').string();
      const regex = readPattern(pattern);
      return { normalize: (text) => text.replace(regex, () => content), stripsLeft: false };
    }
    case 'Prepend': {
      const prepend = json.get('prepend').string();
      return { normalize: (text) => (text === '' ? text : prepend + text), stripsLeft: false };
    }
  }
  return json.fail('unreachable');
}

/** A Replace pattern: `{"String": "..."}` (literal) or `{"Regex": "..."}` (run as a JavaScript RegExp). */
export function readPattern(pattern: JsonReader): RegExp {
  if (pattern.has('String')) return new RegExp(escapeRegExp(pattern.get('String').string()), 'gu');
  if (pattern.has('Regex')) {
    const source = pattern.get('Regex').string();
    try {
      return new RegExp(source, 'gu');
    } catch (error) {
      return pattern.get('Regex').fail(`cannot be compiled as a regular expression (${(error as Error).message})`);
    }
  }
  return pattern.fail('expected {"String": ...} or {"Regex": ...}');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
