import { isPythonSpace } from '@sdtext/ftfy';

// Python's str.strip family, whose whitespace differs from JS's trim (U+001C-U+001F and U+0085
// are whitespace in Python, U+FEFF is not).

export function pythonLstrip(text: string): string {
  let start = 0;
  while (start < text.length && isPythonSpace(text.charCodeAt(start))) start++;
  return text.slice(start);
}

export function pythonRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(0, end);
}

export function pythonStrip(text: string): string {
  return pythonLstrip(pythonRstrip(text));
}
