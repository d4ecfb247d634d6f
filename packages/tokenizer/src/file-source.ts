/** Where tokenizer files come from: a folder, a URL, the hub (see docs/api-contracts.md). */
export interface TextFileSource {
  /** For messages: a folder path, a URL, `hub:owner/name@revision`. */
  readonly name: string;
  /** The text of a file by relative path, or null when it does not exist. */
  readText(path: string): Promise<string | null>;
}

/** A local folder, read with node:fs (loaded lazily so the package also bundles for browsers). */
export function folderSource(folder: string): TextFileSource {
  return {
    name: folder,
    async readText(path: string): Promise<string | null> {
      const { readFile } = await import('node:fs/promises');
      const { join } = await import('node:path');
      try {
        return await readFile(join(folder, path), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new Error(`cannot read ${join(folder, path)}: ${(error as Error).message}`);
      }
    },
  };
}
