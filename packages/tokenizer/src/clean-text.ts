import { fixText, pythonWhitespaceClean } from '@sdtext/ftfy';

/**
 * The text cleaning of Hugging Face's CLIPTokenizer with ftfy installed:
 * `whitespace_clean(ftfy.fix_text(text)).lower()`, with Python's definition of whitespace.
 */
export function cleanText(text: string): string {
  return pythonWhitespaceClean(fixText(text)).toLowerCase();
}
