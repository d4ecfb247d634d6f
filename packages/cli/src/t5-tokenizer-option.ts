import type { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { InputError, type CliIO } from './command.js';

/** `--tokenizer t5:PATH` (or a folder holding a T5 tokenizer): the T5 tokenizers have no bundled vocabulary. */
export const T5_TOKENIZER_HELP = `--tokenizer t5:PATH         the T5 tokenizer (SD3's tokenizer_3, Flux's tokenizer_2) of PATH: a T5
                              tokenizer folder (tokenizer.json or spiece.model), an SD3 / Flux folder
                              or hub repo id (its tokenizer_3 / tokenizer_2 is taken); no T5
                              vocabulary is bundled`;

/** Whether `--tokenizer` names a T5 tokenizer: `t5`, `t5:PATH`. */
export function isT5TokenizerChoice(value: string | undefined): value is string {
  return value === 't5' || (value?.startsWith('t5:') ?? false);
}

/** A T5 tokenizer folder (tokenizer.json of a Unigram model, or spiece.model), for `--tokenizer FOLDER`. */
export async function isT5TokenizerFolder(folder: string): Promise<boolean> {
  const { readFile, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  if (await stat(join(folder, 'spiece.model')).then(() => true, () => false)) return true;
  const json = await readFile(join(folder, 'tokenizer.json'), 'utf8').catch(() => null);
  if (json === null) return false;
  try {
    return (JSON.parse(json) as { model?: { type?: unknown } }).model?.type === 'Unigram';
  } catch {
    return false;
  }
}

/** The T5 tokenizer of `t5:PATH`: PATH's root, else its tokenizer_3 (SD3), else tokenizer_2 (Flux); a folder, URL or hub repo. */
export async function loadT5Tokenizer(value: string, io: CliIO): Promise<T5Tokenizer> {
  const { T5Tokenizer } = await import('@sdtext/tokenizer/t5');
  const { hubOptionsFromEnv, isRepoId, resolveSource } = await import('@sdtext/pipeline'); // the hub client: only when a T5 tokenizer is asked for
  const path = value === 't5' ? '' : value.startsWith('t5:') ? value.slice(3) : value;
  if (path === '') {
    throw new InputError(
      '--tokenizer t5 needs where its vocabulary is: --tokenizer t5:PATH (a T5 tokenizer folder, or an SD3 / Flux folder or hub repo id); no T5 vocabulary is bundled',
    );
  }
  const { resolve } = await import('node:path');
  const { stat } = await import('node:fs/promises');
  const local = resolve(io.cwd, path);
  const exists = await stat(local).then(() => true, () => false);
  if (!exists && !isRepoId(path) && !/^https?:\/\//i.test(path)) throw new InputError(`--tokenizer ${value}: no such folder, and not a hub repo id (owner/name) or URL`);
  try {
    const source = await resolveSource(exists ? local : path, hubOptionsFromEnv(io.env));
    for (const subfolder of ['', 'tokenizer_3', 'tokenizer_2']) {
      const at = (file: string): string => (subfolder === '' ? file : `${subfolder}/${file}`);
      if ((await source.readText(at('tokenizer.json'))) !== null || (await source.readBytes(at('spiece.model'))) !== null) {
        return await T5Tokenizer.fromPretrained(source, subfolder === '' ? {} : { subfolder });
      }
    }
    throw new Error(`${source.name}: no T5 tokenizer (tokenizer.json or spiece.model) at its root, in tokenizer_3 or in tokenizer_2`);
  } catch (error) {
    throw new InputError(`--tokenizer ${value}: ${(error as Error).message}`);
  }
}
