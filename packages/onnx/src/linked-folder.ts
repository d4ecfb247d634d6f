import type { CheckpointFiles } from './checkpoint-files.js';

/** Hard links are not possible here (another filesystem, no permission): load another way. */
export class LinkUnavailableError extends Error {
  override name = 'LinkUnavailableError';
}

/**
 * A temporary folder (Node) holding hard links to the checkpoint's safetensors files, for a model
 * whose initializers point into them: ORT resolves external data inside the model's own folder
 * only, and follows symbolic links out of it (refused), so the links must be hard ones. Nothing
 * is copied. Returns the folder, each shard's name there, and a function removing the folder.
 */
export async function linkCheckpointFolder(
  files: CheckpointFiles,
  parent?: string,
): Promise<{ dir: string; locations: Map<string, string>; remove: () => Promise<void> }> {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = await fs.promises.mkdtemp(path.join(parent ?? os.tmpdir(), 'sdtext-onnx-link-'));
  const remove = (): Promise<void> => fs.promises.rm(dir, { recursive: true, force: true });
  const locations = new Map<string, string>();
  try {
    for (const [i, shard] of files.shards.entries()) {
      const name = `shard${i}.safetensors`;
      // realpath: a symlinked checkpoint file would be linked as the symlink itself.
      await fs.promises.link(await fs.promises.realpath(shard.path), path.join(dir, name));
      locations.set(shard.file, name);
    }
    return { dir, locations, remove };
  } catch (e) {
    await remove();
    throw new LinkUnavailableError(`cannot hard-link the checkpoint into ${dir}: ${(e as Error).message}`);
  }
}
