import type { Truncation } from '@sdtext/tokenizer';

/** Python's repr of a str, as diffusers' message shows the removed text inside a list. */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = [...text]
    .map((c) => {
      if (c === '\\') return '\\\\';
      if (c === quote) return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      const code = c.codePointAt(0)!;
      return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
    })
    .join('');
  return `${quote}${body}${quote}`;
}

/**
 * diffusers' warning when a prompt is cut to CLIP's window, with the removed text of each truncated
 * prompt (diffusers lists every row of the batch; rows that lost nothing are left out here). Null when
 * nothing was cut.
 */
export function truncationWarning(truncation: readonly (Truncation | null)[], maxLength: number): string | null {
  const removed = truncation.filter((t): t is Truncation => t !== null).map((t) => pythonRepr(t.removedText));
  if (removed.length === 0) return null;
  return `The following part of your input was truncated because CLIP can only handle sequences up to ${maxLength} tokens: [${removed.join(', ')}]`;
}
