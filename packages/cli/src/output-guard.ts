import { InputError } from './command.js';

/** Folders with more files than this are not walked file by file: nothing inside them may be overwritten. */
const MAX_FILES_WALKED = 100_000;

interface FileId {
  dev: number;
  ino: number;
}

/**
 * Refuses to write `out` when it is one of the command's inputs, as `cp` refuses to copy a file onto
 * itself: the same file by device and inode (which sees through symlinks and hard links, such as
 * the Hugging Face cache's snapshot links into blobs/), given directly or inside an input folder.
 * An `out` that does not exist yet cannot be an input.
 */
export async function refuseInputAsOutput(flag: string, out: string, inputs: readonly string[]): Promise<void> {
  const { realpath, stat } = await import('node:fs/promises');
  const { sep } = await import('node:path');
  const target = await stat(out).catch(() => null);
  if (target === null || !target.isFile()) return;
  const targetReal = await realpath(out);
  const same = (id: FileId): boolean => id.dev === target.dev && id.ino === target.ino;
  for (const input of inputs) {
    const info = await stat(input).catch(() => null);
    if (info === null) continue;
    if (info.isFile()) {
      if (same(info)) throw sameFile(flag, out, input);
      continue;
    }
    if (!info.isDirectory()) continue;
    const folder = await realpath(input);
    const inside = targetReal.startsWith(folder + sep);
    const walked = await walkFileIds(folder);
    if (walked === null ? inside : walked.some(same)) throw sameFile(flag, out, input);
  }
}

function sameFile(flag: string, out: string, input: string): InputError {
  return new InputError(
    `${flag} ${out} is one of this command's inputs (${input}): writing it would destroy what is being read. Choose another file.`,
  );
}

/** Device and inode of every file under `folder`, links followed; null past MAX_FILES_WALKED. */
async function walkFileIds(folder: string): Promise<FileId[] | null> {
  const { readdir, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const ids: FileId[] = [];
  const pending = [folder];
  let seen = 0;
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (++seen > MAX_FILES_WALKED) return null;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const info = await stat(path).catch(() => null); // a symlink counts as what it points to
        if (info?.isFile()) ids.push({ dev: info.dev, ino: info.ino });
      }
    }
  }
  return ids;
}
