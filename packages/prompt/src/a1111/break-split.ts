import { isPythonSpaceCode, isPythonWordAt, isPythonWordBefore } from '../python-re.js';

const BREAK = 'BREAK';

/**
 * Python's `re.split(r"\s*\bBREAK\b\s*", text)` (webui's re_break) in one pass. The regex, tried
 * at every start, rescans a run of spaces from each of its positions (quadratic on a long run);
 * here each `BREAK` with word boundaries is found once, and the match is the one `re` finds: it
 * starts at the first space of the run before BREAK (but not before the previous match ended)
 * and takes every space after it (the trailing `\s*` is greedy).
 */
export function splitOnBreak(text: string): string[] {
  const parts: string[] = [];
  let partStart = 0;
  let at = text.indexOf(BREAK);
  while (at >= 0) {
    const after = at + BREAK.length;
    if (isPythonWordBefore(text, at) || isPythonWordAt(text, after)) {
      at = text.indexOf(BREAK, at + 1);
      continue;
    }
    let start = at;
    while (start > partStart && isPythonSpaceCode(text.charCodeAt(start - 1))) start--;
    let end = after;
    while (end < text.length && isPythonSpaceCode(text.charCodeAt(end))) end++;
    parts.push(text.slice(partStart, start));
    partStart = end;
    at = text.indexOf(BREAK, end);
  }
  parts.push(text.slice(partStart));
  return parts;
}
