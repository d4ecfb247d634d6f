#!/usr/bin/env node
// `pnpm sdtext <args>` at the repository root: builds the CLI and what it depends on (turbo
// skips what is already built), then runs it with the caller's arguments and working directory.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@sdtext/cli...', '--output-logs=errors-only'], {
  cwd: root,
  encoding: 'utf8',
});
if (build.status !== 0) {
  // Build output only matters when it failed; stdout stays the CLI's (`--json > out.json`).
  process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? String(build.error) + '\n' : ''}`);
  console.error('sdtext: building the CLI failed (see above). Run "pnpm install" first if you have not.');
  process.exit(build.status ?? 1);
}
const cli = spawnSync(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...process.argv.slice(2)], {
  cwd: process.env.INIT_CWD ?? process.cwd(),
  stdio: 'inherit',
});
process.exit(cli.status ?? 1);
