import { checkRepoPath } from '@sdtext/core';
import type { FileProgress, FileSource } from './file-source.js';

/** Files of a folder on disk (Node only; `node:fs` is imported on first read so browsers can bundle this). */
export class LocalFolderSource implements FileSource {
  readonly name: string;

  constructor(readonly root: string) {
    this.name = root;
  }

  async readBytes(path: string, onProgress?: (p: FileProgress) => void): Promise<Uint8Array | null> {
    checkRepoPath(path, this.root); // nothing outside the folder
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    try {
      const bytes = new Uint8Array(await readFile(join(this.root, path)));
      onProgress?.({ file: path, loaded: bytes.byteLength, total: bytes.byteLength });
      return bytes;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async readText(path: string): Promise<string | null> {
    const bytes = await this.readBytes(path);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
