import type { FileProgress, FileSource } from './file-source.js';
import { fetchEncoderFiles } from './hub/encoder-files.js';
import { HubFileSource } from './hub/file-source.js';
import { LocalFolderSource } from './local-folder-source.js';

/**
 * The local folder holding a text encoder's files, where there is one (Node): ONNX Runtime maps
 * the safetensors files of a folder in place ('link' loading, no JavaScript copy of the weights),
 * while a FileSource hands over the bytes. A LocalFolderSource gives its own subfolder; a hub repo
 * gives its snapshot in the disk cache, once the encoder's files are there. Else null.
 */
export async function encoderFolder(
  files: FileSource,
  subfolder: string,
  variant: string | undefined,
  onProgress?: (p: FileProgress) => void,
): Promise<string | null> {
  if (files instanceof LocalFolderSource) return (await import('node:path')).join(files.root, subfolder);
  if (!(files instanceof HubFileSource) || !(await files.hasDiskCache())) return null;
  const { dirname } = await import('node:path');
  const config = await fetchEncoderFiles(files.name, subfolder, variant, async (path, required) => {
    const file = await files.download(path, onProgress);
    if (file === null && required) throw new Error(`${files.name} has no ${path}`);
    return file;
  });
  return dirname(config.localPath); // snapshots/<commit>/<subfolder>
}
