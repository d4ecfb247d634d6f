import { ByteBuffer } from './byte-buffer.js';
import { PrecompiledCharsmap } from './charsmap.js';
import type { NormalizerSpec } from './sentencepiece-model.js';
import type { PieceTrie } from './piece-trie.js';
import { REPLACEMENT_UTF8, validCharLength } from './utf8.js';

/** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's whitespace symbol, in UTF-8. */
export const SPACE_SYMBOL_UTF8 = new Uint8Array([0xe2, 0x96, 0x81]);
const SPACE = 0x20;

/**
 * SentencePiece's Normalizer (normalizer.cc of 0.1.97) on UTF-8 bytes: at each position the
 * longest rule of the precompiled charsmap (user-defined symbols first, copied as they are),
 * else one character (a malformed byte becomes U+FFFD); then whitespace: leading and trailing
 * spaces dropped, runs collapsed, a dummy "▁" prefix, spaces written as "▁".
 */
export class SentencePieceNormalizer {
  private readonly charsmap: PrecompiledCharsmap | null;

  constructor(
    private readonly spec: NormalizerSpec,
    private readonly userDefined: PieceTrie | null,
    where: string,
  ) {
    this.charsmap = spec.precompiledCharsmap.length > 0 ? new PrecompiledCharsmap(spec.precompiledCharsmap, where) : null;
  }

  normalize(input: Uint8Array): Uint8Array {
    const spec = this.spec;
    let pos = 0;
    const end = input.length;
    if (spec.removeExtraWhitespaces) {
      while (pos < end) {
        const [out, consumed] = this.normalizePrefix(input, pos);
        if (!(out.length === 1 && out[0] === SPACE)) break;
        pos += consumed;
      }
    }
    if (pos >= end) return new Uint8Array(0);
    const normalized = new ByteBuffer(end * 3);
    const addSpace = () => (spec.escapeWhitespaces ? normalized.append(SPACE_SYMBOL_UTF8) : normalized.push(SPACE));
    if (spec.addDummyPrefix) addSpace();
    let isPrevSpace = spec.removeExtraWhitespaces;
    while (pos < end) {
      const [out, consumed] = this.normalizePrefix(input, pos);
      let from = 0;
      // Heading spaces of a rule's output go when the text so far ends with a space.
      while (isPrevSpace && from < out.length && out[from] === SPACE) from++;
      if (from < out.length) {
        for (let i = from; i < out.length; i++) {
          if (spec.escapeWhitespaces && out[i] === SPACE) normalized.append(SPACE_SYMBOL_UTF8);
          else normalized.push(out[i]!);
        }
        isPrevSpace = out[out.length - 1] === SPACE;
      }
      pos += consumed;
      if (!spec.removeExtraWhitespaces) isPrevSpace = false;
    }
    if (spec.removeExtraWhitespaces) {
      const space = spec.escapeWhitespaces ? SPACE_SYMBOL_UTF8 : new Uint8Array([SPACE]);
      while (normalized.endsWith(space)) normalized.length -= space.length;
    }
    return normalized.view().slice();
  }

  /** The normalized form of the longest rule matching at `pos`, and how many input bytes it reads. */
  private normalizePrefix(input: Uint8Array, pos: number): [Uint8Array, number] {
    if (this.userDefined) {
      let longest = 0;
      this.userDefined.prefixMatches(input, pos, input.length, (length) => (longest = Math.max(longest, length)));
      if (longest > 0) return [input.subarray(pos, pos + longest), longest];
    }
    let longestLength = 0;
    let longestOffset = 0;
    this.charsmap?.prefixMatches(input, pos, input.length, false, (length, offset) => {
      if (longestLength === 0 || length > longestLength) {
        longestLength = length;
        longestOffset = offset;
      }
    });
    if (longestLength > 0) return [this.charsmap!.replacementAt(longestOffset), longestLength];
    const length = validCharLength(input, pos, input.length);
    return length > 0 ? [input.subarray(pos, pos + length), length] : [REPLACEMENT_UTF8, 1];
  }
}
