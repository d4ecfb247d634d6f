/** Unicode normalization forms that `fixText` can apply (or `null` for none). */
export type NormalizationForm = 'NFC' | 'NFKC' | 'NFD' | 'NFKD';

/**
 * Options for `fixText`: ftfy 6.1.1's `TextFixerConfig`, with camelCase names and the same defaults.
 * (`explain` is not here: this port does not build explanations.)
 */
export interface FixTextOptions {
  /**
   * Replace HTML entities such as `&amp;` with the text they stand for. `'auto'` (default) does so
   * unless the text contains a literal `<`, which suggests it is real HTML.
   */
  unescapeHtml: boolean | 'auto';
  /** Remove "ANSI" terminal escapes such as color codes. Default true. */
  removeTerminalEscapes: boolean;
  /** Detect mojibake and re-decode it in the encoding that was meant. Default true. */
  fixEncoding: boolean;
  /** While fixing the encoding, read a space as U+00A0 when that completes a UTF-8 sequence. Default true. */
  restoreByteA0: boolean;
  /** While fixing the encoding, replace mojibake that lost bytes (to `�` or `?`) with `�`. Default true. */
  replaceLossySequences: boolean;
  /** While fixing the encoding, fix UTF-8 mojibake embedded in text that is otherwise fine. Default true. */
  decodeInconsistentUtf8: boolean;
  /** Read C1 control characters (U+0080..U+009F) as the Windows-1252 characters they usually were. Default true. */
  fixC1Controls: boolean;
  /** Split Latin ligatures such as `ﬁ` into their letters. Default true. */
  fixLatinLigatures: boolean;
  /** Replace full-width Latin and half-width katakana with their standard-width forms. Default true. */
  fixCharacterWidth: boolean;
  /** Replace curly quotes with straight quotes. Default true. */
  uncurlQuotes: boolean;
  /** Turn CRLF, CR, U+2028, U+2029 and U+0085 into `\n`. Default true. */
  fixLineBreaks: boolean;
  /** Replace unpaired UTF-16 surrogates with U+FFFD. Default true. */
  fixSurrogates: boolean;
  /** Remove control characters that have no visible effect. Default true. */
  removeControlChars: boolean;
  /** Unicode normalization applied last. Default `'NFC'`. */
  normalization: NormalizationForm | null;
  /** Longest segment (in code points) fixed at once; longer lines are cut. Default 1,000,000. */
  maxDecodeLength: number;
}

/** ftfy 6.1.1's defaults. */
export const DEFAULT_FIX_TEXT_OPTIONS: Readonly<FixTextOptions> = Object.freeze({
  unescapeHtml: 'auto',
  removeTerminalEscapes: true,
  fixEncoding: true,
  restoreByteA0: true,
  replaceLossySequences: true,
  decodeInconsistentUtf8: true,
  fixC1Controls: true,
  fixLatinLigatures: true,
  fixCharacterWidth: true,
  uncurlQuotes: true,
  fixLineBreaks: true,
  fixSurrogates: true,
  removeControlChars: true,
  normalization: 'NFC',
  maxDecodeLength: 1_000_000,
});

/** Fill in defaults for any option left out (or given as `undefined`). */
export function resolveOptions(options?: Partial<FixTextOptions>): Readonly<FixTextOptions> {
  // The defaults as they are (frozen): the tokenizer calls fixText once per prompt, without options.
  if (options === undefined) return DEFAULT_FIX_TEXT_OPTIONS;
  const resolved: FixTextOptions = { ...DEFAULT_FIX_TEXT_OPTIONS };
  for (const key of OPTION_NAMES) setIfDefined(resolved, key, options[key]);
  return resolved;
}

const OPTION_NAMES = Object.keys(DEFAULT_FIX_TEXT_OPTIONS) as readonly (keyof FixTextOptions)[];

function setIfDefined<K extends keyof FixTextOptions>(
  target: FixTextOptions,
  key: K,
  value: FixTextOptions[K] | undefined,
): void {
  if (value !== undefined) target[key] = value;
}
