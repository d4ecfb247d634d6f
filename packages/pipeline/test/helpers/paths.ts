import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../models/fixtures');
export const tinyModelDir = (name: 'sd2-tiny' | 'sd1-tiny'): string => join(fixturesDir, 'models', name);

/** A fresh temporary folder; remove it with the returned function. */
export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `sdtext-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
