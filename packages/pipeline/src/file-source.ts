import { checkRepoPath, type FileSource, type LoadProgress } from '@sdtext/core';

/** Where model files come from: @sdtext/core's contract, implemented here for folders, URLs and the hub. */
export { isFileSource, type FileSource } from '@sdtext/core';

/** Progress of one file's transfer; `total` is null when the server did not say. */
export type FileProgress = LoadProgress;

/** A view of `source` rooted at `prefix`, e.g. the `text_encoder/` folder of a diffusers repo. */
export function subfolderSource(source: FileSource, prefix: string): FileSource {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  if (base === '') return source;
  checkRepoPath(base, source.name, 'subfolder');
  const join = (path: string): string => `${base}/${path}`;
  return {
    name: `${source.name}/${base}`,
    readText: (path) => source.readText(join(path)),
    readBytes: (path, onProgress) => source.readBytes(join(path), onProgress),
  };
}
