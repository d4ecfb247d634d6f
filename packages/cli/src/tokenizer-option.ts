import { CLIPTokenizer, TOKENIZER_PRESETS, type TokenizerPreset } from '@sdtext/tokenizer';
import { InputError } from './command.js';

export const TOKENIZER_OPTION_HELP = `--tokenizer sd2|sd1|FOLDER  bundled preset or a Hugging Face tokenizer folder (default: sd2)`;

/** `--tokenizer`: a bundled preset name or a Hugging Face tokenizer folder, relative to `cwd`. */
export async function loadTokenizer(value: string | undefined, cwd: string): Promise<CLIPTokenizer> {
  const choice = value ?? 'sd2';
  if (Object.hasOwn(TOKENIZER_PRESETS, choice)) return CLIPTokenizer.fromPreset(choice as TokenizerPreset);
  const { resolve } = await import('node:path');
  const { stat } = await import('node:fs/promises');
  const folder = resolve(cwd, choice);
  const info = await stat(folder).catch(() => null);
  if (!info?.isDirectory()) {
    throw new InputError(`--tokenizer ${choice}: not a preset (${Object.keys(TOKENIZER_PRESETS).join(', ')}) and not a folder`);
  }
  try {
    return await CLIPTokenizer.fromPretrained(folder);
  } catch (error) {
    throw new InputError(`--tokenizer ${choice}: ${(error as Error).message}`);
  }
}
