import { checkRepoPath } from './names.js';
import { importNodeFs } from './node-fs.js';
import { memoryReader, openByteReader, readerFromResponse, type ByteProgress, type ByteReader } from './safetensors/byte-reader.js';

/** Loading progress of one file (`total` null when unknown). Same shape as FileSource's. */
export type LoadProgress = ByteProgress;

/**
 * Where model files come from (docs/api-contracts.md). @sdtext/pipeline implements it for local
 * folders, base URLs and the Hugging Face hub; any object of this shape works.
 */
export interface FileSource {
  /** A name for messages: a folder path, a URL or `hub:owner/name@revision`. */
  readonly name: string;
  /** The text of `path` (relative, e.g. "text_encoder/config.json"), or null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** The bytes of `path`, or null when it does not exist. */
  readBytes(path: string, onProgress?: (p: LoadProgress) => void): Promise<Uint8Array | null>;
}

export function isFileSource(x: unknown): x is FileSource {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as FileSource).readText === 'function' &&
    typeof (x as FileSource).readBytes === 'function'
  );
}

/**
 * What loading needs: text files, and byte readers that can stream (folders read a tensor at a
 * time, URLs stream; a FileSource hands over whole files, the contract's shape).
 */
export interface ModelFiles {
  readonly name: string;
  readText(path: string): Promise<string | null>;
  openBytes(path: string, onProgress?: (p: LoadProgress) => void): Promise<ByteReader | null>;
}

const join = (...parts: string[]): string =>
  parts
    .filter((p) => p !== '')
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, '')))
    .join('/');

function isEnoent(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}

/** A local folder (Node). Paths are checked (names.ts): nothing outside `dir` is read. */
export function folderFiles(dir: string): ModelFiles {
  return {
    name: dir,
    async readText(path) {
      checkRepoPath(path, dir);
      const fs = await importNodeFs();
      try {
        return await fs.promises.readFile(join(dir, path), 'utf8');
      } catch (e) {
        if (isEnoent(e)) return null;
        throw e;
      }
    },
    async openBytes(path, onProgress) {
      checkRepoPath(path, dir);
      const fs = await importNodeFs();
      const full = join(dir, path);
      try {
        await fs.promises.stat(full);
      } catch (e) {
        if (isEnoent(e)) return null;
        throw e;
      }
      return openByteReader(full, { name: full, onProgress });
    },
  };
}

/** A base URL: `${base}/${path}`; 404 means "no such file". */
export function urlFiles(base: string, fetchImpl: typeof fetch = globalThis.fetch): ModelFiles {
  const get = async (path: string): Promise<Response | null> => {
    const url = join(base, checkRepoPath(path, base).split('/').map(encodeURIComponent).join('/'));
    const response = await fetchImpl(url);
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
    return response;
  };
  return {
    name: base,
    async readText(path) {
      const response = await get(path);
      return response ? response.text() : null;
    },
    async openBytes(path, onProgress) {
      const response = await get(path);
      return response ? readerFromResponse(response, join(base, path), onProgress) : null;
    },
  };
}

/** A FileSource, with paths under `subfolder`. */
export function fileSourceFiles(source: FileSource, subfolder = ''): ModelFiles {
  const at = (path: string): string => join(subfolder, checkRepoPath(path, source.name));
  return {
    name: join(source.name, subfolder),
    readText: (path) => source.readText(at(path)),
    async openBytes(path, onProgress) {
      const bytes = await source.readBytes(at(path), onProgress);
      return bytes ? memoryReader(bytes, join(source.name, at(path))) : null;
    },
  };
}

export type ModelSource = string | URL | FileSource;

/** Folder path (Node), http(s) base URL or FileSource -> ModelFiles rooted at `subfolder`. */
export function resolveModelFiles(source: ModelSource, subfolder = '', fetchImpl?: typeof fetch): ModelFiles {
  if (subfolder !== '') checkRepoPath(subfolder, 'subfolder option', 'subfolder');
  if (isFileSource(source)) return fileSourceFiles(source, subfolder);
  const s = String(source);
  if (source instanceof URL || /^https?:\/\//i.test(s)) return urlFiles(join(s, subfolder), fetchImpl);
  return folderFiles(join(s, subfolder));
}
