import { decodeBase64 } from '../base64.js';
import { PrecompiledCharsmap } from './charsmap.js';
import type { JsonReader } from './json-reader.js';
import { PrecompiledNormalizer } from './precompiled-normalizer.js';
import { leadingWhiteSpaceEnd, trailingWhiteSpaceStart } from './rust-char-classes.js';

/**
 * A normalizer of the Rust `tokenizers`, on the text. `align` maps where the output's characters
 * come from as Rust's alignments do, which only Metaspace's "first" scheme reads: given, for
 * each UTF-16 unit of the input, its position in the original text (-1: the very start), it
 * returns the same for the output.
 */
export interface Normalizer {
  normalize(text: string): string;
  align(input: string, origins: Int32Array): Int32Array;
}

const SUPPORTED = ['Sequence', 'Precompiled', 'Strip', 'Replace', 'Prepend'] as const;

/** The origin of input unit `index` (-1, "the start", stays -1). */
const originAt = (origins: Int32Array, index: number) => (index < 0 ? -1 : origins[index]!);

/** Builds the normalizer a tokenizer.json describes (null when it has none). */
export function readNormalizer(json: JsonReader): Normalizer | null {
  if (json.isNull()) return null;
  const type = json.type('normalizer', SUPPORTED);
  switch (type) {
    case 'Sequence': {
      const steps = json.get('normalizers').array().map((item) => readNormalizer(item)).filter((n): n is Normalizer => n !== null);
      return {
        normalize: (text) => steps.reduce((t: string, step) => step.normalize(t), text),
        align: (input, origins) => {
          let text = input;
          for (const step of steps) {
            origins = step.align(text, origins);
            text = step.normalize(text);
          }
          return origins;
        },
      };
    }
    case 'Precompiled': {
      let blob: Uint8Array;
      try {
        blob = decodeBase64(json.get('precompiled_charsmap').string());
      } catch (error) {
        return json.get('precompiled_charsmap').fail(`not valid base64 (${(error as Error).message})`);
      }
      // An empty charsmap is refused too (Rust cannot parse it, and aborts).
      const normalizer = new PrecompiledNormalizer(new PrecompiledCharsmap(blob, `${json.file}: ${json.path}.precompiled_charsmap`));
      return {
        normalize: (text) => normalizer.normalize(text),
        align: (input, origins) => normalizer.alignments(input).map((source) => originAt(origins, source)),
      };
    }
    case 'Strip': {
      const left = json.get('strip_left').boolean();
      const right = json.get('strip_right').boolean();
      // Rust's char::is_whitespace; scanned, as a regex anchored at the end is quadratic.
      const bounds = (text: string): [number, number] => {
        const start = left ? leadingWhiteSpaceEnd(text) : 0;
        return [start, right ? Math.max(start, trailingWhiteSpaceStart(text)) : text.length];
      };
      return {
        normalize: (text) => text.slice(...bounds(text)),
        align: (input, origins) => origins.slice(...bounds(input)),
      };
    }
    case 'Replace': {
      const pattern = json.get('pattern');
      const content = json.get('content').string();
      const regex = readPattern(pattern);
      return {
        normalize: (text) => text.replace(regex, () => content),
        // Kept text keeps its origins; the content takes the origin of the match's last
        // character (Rust aligns insertions with the character before them).
        align: (input, origins) => {
          const out: number[] = [];
          let last = 0;
          for (const match of input.matchAll(regex)) {
            for (let i = last; i < match.index; i++) out.push(origins[i]!);
            const end = match.index + match[0].length;
            const lastChar = end < 1 ? -1 : end - (end >= 2 && isLowSurrogate(input.charCodeAt(end - 1)) ? 2 : 1);
            for (let i = 0; i < content.length; i++) out.push(originAt(origins, lastChar));
            last = end;
          }
          for (let i = last; i < input.length; i++) out.push(origins[i]!);
          return Int32Array.from(out);
        },
      };
    }
    case 'Prepend': {
      const prepend = json.get('prepend').string();
      return {
        normalize: (text) => (text === '' ? text : prepend + text),
        // The prepended characters and the first one share the first one's origin.
        align: (input, origins) => {
          if (input === '') return origins;
          const first = input.codePointAt(0)! > 0xffff ? 2 : 1;
          const out = new Int32Array(prepend.length + input.length);
          out.fill(origins[0]!, 0, prepend.length + first);
          out.set(origins.subarray(first), prepend.length + first);
          return out;
        },
      };
    }
  }
  return json.fail('unreachable');
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
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
