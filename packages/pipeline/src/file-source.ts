/** Progress of one file's transfer; `total` is null when the server did not say. */
export interface FileProgress {
  file: string;
  loaded: number;
  total: number | null;
}

/**
 * Where model files come from (docs/api-contracts.md). The tokenizer and text-encoder packages declare
 * the same shape structurally; this package implements it for local folders, base URLs and the hub.
 */
export interface FileSource {
  /** A name for messages: a folder path, a URL or `hub:owner/name@revision`. */
  readonly name: string;
  /** The text of `path` (relative, e.g. "tokenizer/vocab.json"), or null when the file does not exist. */
  readText(path: string): Promise<string | null>;
  /** The bytes of `path`, or null when the file does not exist. */
  readBytes(path: string, onProgress?: (p: FileProgress) => void): Promise<Uint8Array | null>;
}

/** A view of `source` rooted at `prefix`, e.g. the `text_encoder/` folder of a diffusers repo. */
export function subfolderSource(source: FileSource, prefix: string): FileSource {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  if (base === '') return source;
  const join = (path: string): string => `${base}/${path}`;
  return {
    name: `${source.name}/${base}`,
    readText: (path) => source.readText(join(path)),
    readBytes: (path, onProgress) => source.readBytes(join(path), onProgress),
  };
}

export function isFileSource(value: unknown): value is FileSource {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<FileSource>;
  return typeof v.readText === 'function' && typeof v.readBytes === 'function' && typeof v.name === 'string';
}
