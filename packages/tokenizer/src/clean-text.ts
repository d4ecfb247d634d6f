import { fixText, pythonLower, pythonWhitespaceClean } from '@sdtext/ftfy';

/**
 * The text cleaning of Hugging Face's CLIPTokenizer with ftfy installed:
 * `whitespace_clean(ftfy.fix_text(text)).lower()`, with Python's definitions of whitespace and
 * of lowercase (Python's Unicode is older than JavaScript's).
 */
export function cleanText(text: string): string {
  return pythonLower(pythonWhitespaceClean(fixText(text)));
}
