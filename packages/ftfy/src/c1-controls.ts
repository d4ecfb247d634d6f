import { sloppyWindows1252Char } from './codecs.js';

const C1_CONTROL_RE = /[\x80-\x9f]/g;

/** Whether the text contains a C1 control character (U+0080..U+009F). */
export function hasC1Controls(text: string): boolean {
  C1_CONTROL_RE.lastIndex = 0;
  return C1_CONTROL_RE.test(text);
}

/**
 * Read C1 control characters as the Windows-1252 characters they almost always were, as web
 * browsers do (`\x85` becomes `…`). The five bytes Windows-1252 leaves undefined stay as they are.
 */
export function fixC1Controls(text: string): string {
  if (!hasC1Controls(text)) return text;
  return text.replace(C1_CONTROL_RE, (char) => sloppyWindows1252Char(char.charCodeAt(0)));
}
