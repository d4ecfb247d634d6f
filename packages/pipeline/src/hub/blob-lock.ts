import type { LockOptions } from 'proper-lockfile';
import { HubError } from './errors.js';

// In a variable, so browser bundlers leave this Node-only dependency alone (the hub cache on disk,
// and so its lock, exists only in Node).
const LOCKFILE_PACKAGE = 'proper-lockfile';

interface LockfileModule {
  lock(file: string, options: LockOptions): Promise<() => Promise<void>>;
}

/**
 * Runs `work` holding the cross-process lock of one blob (proper-lockfile: an atomic mkdir, its
 * mtime refreshed while held, taken over once stale, so a killed process never blocks the cache for
 * good). A second process asking for the same blob waits, then finds it downloaded.
 */
export async function withBlobLock<T>(lockPath: string, what: string, work: () => Promise<T>): Promise<T> {
  const { mkdir } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const lockfile = ((await import(/* @vite-ignore */ /* webpackIgnore: true */ LOCKFILE_PACKAGE)) as { default: LockfileModule }).default;
  await mkdir(dirname(lockPath), { recursive: true });
  let compromised: Error | null = null;
  const release = await lockfile.lock(lockPath, {
    realpath: false,
    lockfilePath: lockPath,
    // Held for a whole download: refreshed every 5 s, stale (its holder gone) after 30 s.
    stale: 30_000,
    update: 5_000,
    // Wait as long as the holder lives: its own timeouts end a stalled transfer.
    retries: { forever: true, minTimeout: 100, maxTimeout: 1_000, factor: 1.5 },
    onCompromised: (error) => {
      compromised = error;
    },
  });
  try {
    const result = await work();
    if (compromised !== null) {
      throw new HubError(`${what}: the download lock ${lockPath} was lost while writing (${(compromised as Error).message}); retry.`);
    }
    return result;
  } finally {
    await release().catch(() => undefined); // a compromised lock is already gone
  }
}
