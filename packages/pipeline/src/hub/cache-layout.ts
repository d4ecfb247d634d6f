import { checkCommitHash, checkEtag, checkRepoId, checkRepoPath, checkRevision } from '@sdtext/core';
import { isMissing } from '../local-folder-source.js';

const COMMIT_HASH = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** `models--owner--name`, the folder huggingface_hub gives a model repo. */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

/**
 * One repo's folder in the Hugging Face cache (https://huggingface.co/docs/hub/local-cache):
 *   blobs/<etag>                       file contents, named by git blob id or LFS sha256
 *   blobs/<etag>.incomplete            a transfer in progress; never read as a file
 *   snapshots/<commit>/<path>          relative symlinks into blobs/ (copies where symlinks fail)
 *   refs/<revision>                    the commit hash a branch or tag pointed to when last seen
 *   .no_exist/<commit>/<path>          empty marker: the file is known to be absent at that commit
 * and, beside the repo folders as huggingface_hub keeps them, `.locks/<repo folder>/`: one lock per
 * blob while it is downloaded, so that two processes never write one `.incomplete` file.
 * Paths are joined with '/', which Node accepts on every platform. Every name that goes into a
 * path (repo id, etag, commit, revision, repo file path) comes from a server or a user, so each is
 * checked by @sdtext/core's names.ts before it is joined: the cache never writes outside its root.
 */
export class RepoCacheLayout {
  readonly storageFolder: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    checkRepoId(repoId, 'hub cache');
    this.storageFolder = `${cacheDir.replace(/[\\/]+$/, '')}/${repoFolderName(repoId)}`;
  }

  /** `blobs/<etag>`; `where` says where the etag came from (a response header), for the error. */
  blobPath(etag: string, where = 'hub cache'): string {
    return `${this.storageFolder}/blobs/${checkEtag(etag, where)}`;
  }

  /**
   * The lock held while `blobs/<etag>` is fetched. huggingface_hub's own lock there is a file
   * `<etag>.lock` held with flock; ours is a directory (proper-lockfile: mkdir is atomic on every
   * file system, NFS included), so it takes another name rather than block Python's.
   */
  lockPath(etag: string, where = 'hub cache'): string {
    return `${this.cacheDir.replace(/[\\/]+$/, '')}/.locks/${repoFolderName(this.repoId)}/${checkEtag(etag, where)}.sdtext-lock`;
  }

  snapshotPath(commitHash: string, path: string): string {
    return `${this.storageFolder}/snapshots/${checkCommitHash(commitHash, 'hub cache')}/${checkRepoPath(path, this.repoId)}`;
  }

  refPath(revision: string): string {
    return `${this.storageFolder}/refs/${checkRevision(revision, this.repoId)}`;
  }

  noExistPath(commitHash: string, path: string): string {
    return `${this.storageFolder}/.no_exist/${checkCommitHash(commitHash, 'hub cache')}/${checkRepoPath(path, this.repoId)}`;
  }

  /** The commit a revision resolves to without the network: itself if it is a hash, else refs/. */
  async commitFor(revision: string): Promise<string | null> {
    if (isCommitHash(revision)) return revision;
    const { readFile } = await import('node:fs/promises');
    const ref = this.refPath(revision);
    try {
      const text = (await readFile(ref, 'utf8')).trim();
      // The ref's content names a snapshot folder: a damaged or planted ref must not lead elsewhere.
      return text === '' ? null : checkCommitHash(text, ref);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Records `revision -> commit` (written only when it changed, as huggingface_hub does). */
  async writeRef(revision: string, commitHash: string): Promise<void> {
    if (revision === commitHash) return;
    if ((await this.commitFor(revision)) === commitHash) return;
    await writeAtomic(this.refPath(revision), commitHash);
  }

  async markMissing(commitHash: string, path: string): Promise<void> {
    await writeAtomic(this.noExistPath(commitHash, path), '');
  }

  async isMarkedMissing(commitHash: string, path: string): Promise<boolean> {
    return (await fileSize(this.noExistPath(commitHash, path))) !== null;
  }

  /** Points `snapshots/<commit>/<path>` at the blob: a relative symlink, or a copy where links fail (Windows). */
  async link(blobPath: string, pointerPath: string): Promise<void> {
    const fs = await import('node:fs/promises');
    const { dirname, relative } = await import('node:path');
    await fs.mkdir(dirname(pointerPath), { recursive: true });
    // Made beside it and renamed over it: another process linking the same file at once never
    // sees a missing pointer, nor fails on one that appeared in between.
    const temp = `${pointerPath}.${randomSuffix()}.tmp`;
    try {
      await fs.symlink(relative(dirname(pointerPath), blobPath), temp);
    } catch {
      await fs.copyFile(blobPath, temp);
    }
    await fs.rename(temp, pointerPath);
  }

  /** Removes a pointer and the blob behind it (after an integrity failure). */
  async evict(pointerPath: string): Promise<void> {
    const fs = await import('node:fs/promises');
    let target: string | null = null;
    try {
      target = await fs.realpath(pointerPath);
    } catch {
      // dangling or absent: nothing behind it to remove
    }
    await fs.rm(pointerPath, { force: true });
    // Only a blob of this repo goes with it: a pointer leading anywhere else is not ours to delete.
    const { sep } = await import('node:path');
    const blobs = await fs.realpath(`${this.storageFolder}/blobs`).catch(() => null);
    if (target !== null && blobs !== null && target.startsWith(blobs + sep)) await fs.rm(target, { force: true });
  }
}

/** Size of a file (following symlinks), or null when absent. */
export async function fileSize(path: string): Promise<number | null> {
  const { stat } = await import('node:fs/promises');
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Writes through a temporary file and a rename, so readers never see half a file. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  await fs.mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomSuffix()}.tmp`;
  await fs.writeFile(temp, text);
  await fs.rename(temp, path);
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}
