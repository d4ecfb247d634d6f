import { isBad } from './badness.js';
import { hasAlteredUtf8, replaceLossySequencesBinary, restoreByteA0Binary } from './byte-fixes.js';
import { fixC1Controls, hasC1Controls } from './c1-controls.js';
import { CHARMAP_ENCODINGS, decodeUtf8Variants, decodeWindows1252, encodeSingleByte } from './codecs.js';
import { type FixTextOptions, resolveOptions } from './config.js';
import { UTF8_DETECTOR_GLOBAL_RE, UTF8_DETECTOR_RE } from './utf8-detector.js';

/** The options that steer `fixEncoding`. */
export type FixEncodingOptions = Pick<
  FixTextOptions,
  'fixEncoding' | 'restoreByteA0' | 'replaceLossySequences' | 'decodeInconsistentUtf8' | 'fixC1Controls'
>;

/**
 * Python would loop for as long as each step changes the text; real mojibake settles in a few
 * steps, and the cap only guarantees that pathological input cannot loop forever.
 */
const MAX_STEPS = 64;

// eslint-disable-next-line no-control-regex -- control characters are what it matches
const ASCII_RE = /^[\x00-\x7f]*$/;

/**
 * Fix mojibake: text that was encoded in UTF-8 and decoded in some other encoding (possibly
 * several times over). Text that does not look like mojibake (by ftfy's `isBad` heuristic) is
 * returned unchanged.
 *
 *     fixEncoding('Ã³') === 'ó'
 *     fixEncoding('This â€” should be an em dash') === 'This — should be an em dash'
 */
export function fixEncoding(text: string, options?: Partial<FixTextOptions>): string {
  const config = resolveOptions(options);
  if (!config.fixEncoding) return text;
  return fixEncodingResolved(text, config);
}

/** `fixEncoding` with options already resolved. */
export function fixEncodingResolved(text: string, config: FixEncodingOptions): string {
  for (let step = 0; step < MAX_STEPS; step++) {
    const fixed = fixEncodingOneStep(text, config);
    if (fixed === text) return text;
    text = fixed;
  }
  return text;
}

function fixEncodingOneStep(text: string, config: FixEncodingOptions): string {
  if (text.length === 0 || ASCII_RE.test(text) || !isBad(text)) return text;

  // Most likely, the text was UTF-8 decoded in a single-byte encoding: encode it back and decode
  // it as UTF-8, in the first encoding where that works.
  let latin1Possible = false;
  for (const encoding of CHARMAP_ENCODINGS) {
    let bytes = encodeSingleByte(text, encoding);
    if (bytes === null) continue;
    if (encoding === 'latin-1') latin1Possible = true;
    if (config.restoreByteA0 && hasAlteredUtf8(bytes)) bytes = restoreByteA0Binary(bytes);
    if (config.replaceLossySequences && encoding.startsWith('sloppy-')) bytes = replaceLossySequencesBinary(bytes);
    const fixed = decodeUtf8Variants(bytes);
    if (fixed !== null) return fixed;
  }

  // Then, UTF-8 mojibake mixed into text that is otherwise fine.
  if (config.decodeInconsistentUtf8 && UTF8_DETECTOR_RE.test(text)) {
    const fixed = decodeInconsistentUtf8Resolved(text, config);
    if (fixed !== text) return fixed;
  }

  // Then, Latin-1 that was meant as Windows-1252 (it has C1 controls, which nobody means).
  if (latin1Possible) {
    const fixed = decodeWindows1252(text);
    if (fixed !== null && fixed !== text) return fixed;
  }

  // Last, C1 controls one by one.
  if (config.fixC1Controls && hasC1Controls(text)) return fixC1Controls(text);
  return text;
}

/**
 * Fix sequences that look distinctly like UTF-8 mojibake, one at a time, when the text as a whole
 * cannot be re-decoded (for instance, strings in two encodings that were concatenated).
 */
export function decodeInconsistentUtf8(text: string, options?: Partial<FixTextOptions>): string {
  const config = resolveOptions(options);
  return decodeInconsistentUtf8Resolved(text, config);
}

function decodeInconsistentUtf8Resolved(text: string, config: FixEncodingOptions): string {
  return text.replace(UTF8_DETECTOR_GLOBAL_RE, (substring) =>
    // Only strictly shorter pieces, so this cannot recurse forever.
    substring.length < text.length && isBad(substring) ? fixEncodingResolved(substring, config) : substring,
  );
}
