/**
 * "ANSI" terminal escapes: ESC `[`, parameters made of digits and `;`, and a final letter. As in
 * Python's `\d`, a digit is any Unicode decimal digit (category Nd).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const ANSI_RE = /\x1b\[[\p{Nd};]*[a-zA-Z]/gu;

/**
 * Remove terminal escape sequences, such as those that color text on Unix terminals.
 *
 *     removeTerminalEscapes('\x1b[36;44mI am blue\x1b[0m') === 'I am blue'
 */
export function removeTerminalEscapes(text: string): string {
  if (!text.includes('\x1b')) return text;
  return text.replace(ANSI_RE, '');
}
