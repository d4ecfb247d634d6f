/** `pnpm --filter @sdtext/bench bench`: each benchmark in its own node process, one after another. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const extra = process.argv.slice(2);
let failed = false;
for (const script of ['run-tokenizer.js', 'run-encoder.js']) {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const { status } = spawnSync(process.execPath, ['--expose-gc', file, ...extra], { stdio: 'inherit' });
  if (status !== 0) {
    console.error(`${script} exited with ${status}`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
