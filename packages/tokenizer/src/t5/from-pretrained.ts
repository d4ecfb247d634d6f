import type { TextFileSource } from '../file-source.js';
import { readT5Settings } from './t5-config.js';
import { T5Tokenizer } from './t5-tokenizer.js';

/** A file source that can also read binary files (spiece.model). */
export interface FileSource extends TextFileSource {
  /** The bytes of a file by relative path, or null when it does not exist. */
  readBytes?(path: string): Promise<Uint8Array | null>;
}

export interface T5FromPretrainedOptions {
  /** A folder inside the source: "tokenizer_3" for SD3, "tokenizer_2" for Flux. */
  subfolder?: string;
  /**
   * Which tokenizer to build, as transformers' `use_fast`: true builds T5TokenizerFast (from
   * tokenizer.json, or from spiece.model converted as T5Converter does), false the slow
   * T5Tokenizer (spiece.model). Default: tokenizer.json when there is one, else spiece.model, slow.
   */
  useFast?: boolean;
}

/** A local folder read with node:fs (loaded lazily so the module also bundles for browsers). */
export function folderFileSource(folder: string): FileSource {
  const read = async (path: string): Promise<Buffer | null> => {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    try {
      return await readFile(join(folder, path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`cannot read ${join(folder, path)}: ${(error as Error).message}`);
    }
  };
  return {
    name: folder,
    readText: async (path) => (await read(path))?.toString('utf8') ?? null,
    readBytes: async (path) => {
      const bytes = await read(path);
      return bytes === null ? null : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}

/**
 * A T5 tokenizer from a Hugging Face tokenizer folder: tokenizer.json and/or spiece.model, with
 * tokenizer_config.json and special_tokens_map.json when present.
 */
export async function t5TokenizerFromPretrained(source: string | FileSource, options: T5FromPretrainedOptions = {}): Promise<T5Tokenizer> {
  const files = typeof source === 'string' ? folderFileSource(source) : source;
  if (!files || typeof files.readText !== 'function') throw new TypeError('fromPretrained: expected a folder path or a file source');
  const prefix = options.subfolder ? options.subfolder.replace(/\/+$/, '') + '/' : '';
  const where = (file: string) => `${files.name}/${prefix}${file}`;
  const nameOrPath = `${files.name}${prefix ? '/' + prefix.slice(0, -1) : ''}`;
  const [config, map] = await Promise.all([files.readText(prefix + 'tokenizer_config.json'), files.readText(prefix + 'special_tokens_map.json')]);
  const settings = readT5Settings(config, where('tokenizer_config.json'), map, where('special_tokens_map.json'));
  const tokenizerJson = options.useFast === false ? null : await files.readText(prefix + 'tokenizer.json');
  if (tokenizerJson !== null) return T5Tokenizer.fromTokenizerJson(tokenizerJson, { ...settings, nameOrPath });
  if (!files.readBytes) {
    throw new Error(`${where('spiece.model')}: this file source cannot read binary files (it has no readBytes)${options.useFast === false ? '' : ' and there is no tokenizer.json'}`);
  }
  const model = await files.readBytes(prefix + 'spiece.model');
  if (model === null) {
    throw new Error(
      options.useFast === false
        ? `${where('spiece.model')} not found: the slow T5Tokenizer needs it`
        : `${nameOrPath}: neither tokenizer.json nor spiece.model found: not a T5 tokenizer folder`,
    );
  }
  return T5Tokenizer.fromSentencePiece(model, { ...settings, nameOrPath, fast: options.useFast === true });
}
