// What the .mjs benchmark scripts share: where the repository is, the median, and running the
// script itself again as a child (one fresh process per measurement, so one run's heap, threads
// and caches never shape the next).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/bench. */
export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The repository. */
export const REPO_DIR = path.resolve(BENCH_DIR, '../..');

/** The middle value (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs the script at `scriptUrl` (the caller's import.meta.url) in a fresh node with `args`, and
 * returns the last line of its stdout that is a JSON object, parsed. A failed child (or one that
 * printed none) is an error with its exit status and the tail of its stderr.
 */
export function runSelf(scriptUrl, args) {
  const r = spawnSync(process.execPath, [fileURLToPath(scriptUrl), ...args], { cwd: BENCH_DIR, encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || !line) throw new Error(`child ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(line);
}
