import { fetchEncoderFiles } from './hub/encoder-files.js';
import { HubFileSource, type HubSourceOptions } from './hub/file-source.js';
import { hasComponent, parseModelIndex } from './model-index.js';

export interface DownloadComponentsOptions extends HubSourceOptions {
  /** Weights variant, e.g. "fp16" for `model.fp16.safetensors`. */
  variant?: string;
  /** Called when a file starts, before its progress events. */
  onFileStart?: (path: string) => void;
  /** Called when a file is in the cache, downloaded or found there. */
  onFileDone?: (file: DownloadedFile) => void;
}

export interface DownloadedFile {
  path: string;
  localPath: string;
  size: number;
  fromCache: boolean;
}

const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json'];
const OPTIONAL = new Set(['added_tokens.json', 'special_tokens_map.json', 'tokenizer_config.json']);

/**
 * Puts the text side of a hub repo in the disk cache: model_index.json, the tokenizer folder(s) and
 * the text encoder(s) (config and weights, sharded or not, in the asked variant), exactly the files
 * `TextPipeline.fromPretrained` reads. Node only. Files go one after another so progress reads well.
 */
export async function downloadTextComponents(repoId: string, options: DownloadComponentsOptions = {}): Promise<DownloadedFile[]> {
  const hub = new HubFileSource(repoId, options);
  const done: DownloadedFile[] = [];
  const fetchFile = async (path: string, required: boolean): Promise<DownloadedFile | null> => {
    options.onFileStart?.(path);
    const file = await hub.download(path);
    if (file === null) {
      if (required) throw new Error(`${hub.name} has no ${path}`);
      return null;
    }
    const entry = { path, localPath: file.localPath, size: file.size, fromCache: file.fromCache };
    done.push(entry);
    options.onFileDone?.(entry);
    return entry;
  };

  const index = await fetchFile('model_index.json', false);
  let tokenizers = [''];
  let encoders = [''];
  if (index !== null) {
    const { readFile } = await import('node:fs/promises');
    const parsed = parseModelIndex(await readFile(index.localPath, 'utf8'), `${hub.name}/model_index.json`);
    tokenizers = ['tokenizer', 'tokenizer_2'].filter((c) => hasComponent(parsed, c));
    encoders = ['text_encoder', 'text_encoder_2'].filter((c) => hasComponent(parsed, c));
  }
  const at = (folder: string, file: string): string => (folder === '' ? file : `${folder}/${file}`);

  for (const folder of tokenizers) {
    for (const file of TOKENIZER_FILES) await fetchFile(at(folder, file), !OPTIONAL.has(file));
  }
  for (const folder of encoders) await fetchEncoderFiles(hub.name, folder, options.variant, fetchFile);
  return done;
}
