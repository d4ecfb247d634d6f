// The bundled SD2 tokenizer, loaded once per context (the page's widgets, the cells' worker).
import type { Tokenizer } from './contracts';
import { loadTokenizerPackage } from './lazy';

let tokenizer: Promise<Tokenizer> | null = null;

export function loadTokenizer(): Promise<Tokenizer> {
  tokenizer ??= loadTokenizerPackage().then((m) => m.CLIPTokenizer.fromPreset('sd2'));
  return tokenizer;
}
