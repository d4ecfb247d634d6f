import { isFileSource, type FileSource } from './file-source.js';
import { LocalFolderSource } from './local-folder-source.js';
import { UrlSource } from './url-source.js';
import { isNode, isRepoId } from './hub/endpoint.js';
import { HubFileSource, type HubSourceOptions } from './hub/file-source.js';

/**
 * Turns what a user passes to `fromPretrained` into a FileSource, in the order transformers checks:
 * a FileSource as is, an http(s) URL as a base URL, an existing local folder, else a hub repo id.
 */
export async function resolveSource(source: string | FileSource, options: HubSourceOptions = {}): Promise<FileSource> {
  if (isFileSource(source)) return source;
  if (/^https?:\/\//i.test(source)) return new UrlSource(source, options.fetch ? { fetch: options.fetch } : {});
  if (isNode() && (await isDirectory(source))) return new LocalFolderSource(source);
  if (isRepoId(source)) return new HubFileSource(source, options);
  throw new Error(`"${source}" is neither a local folder, a URL, nor a hub repo id (owner/name).`);
}

async function isDirectory(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
