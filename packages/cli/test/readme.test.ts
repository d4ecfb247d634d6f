import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// The README promises that every `pnpm sdtext` line of its CLI block runs as written on a fresh
// clone: run each one (outputs go to a temporary folder instead of the repository root).

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdtext-readme-'));

/** Shell words of a line: double-quoted strings kept whole, a trailing `# comment` dropped. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(#.*$)|(\S+)/g)) {
    if (m[2] !== undefined) break;
    out.push(m[1] ?? m[3]!);
  }
  return out;
}

function readmeCommands(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return readme
    .split('\n')
    .filter((line) => line.startsWith('pnpm sdtext '))
    .map((line) => words(line).slice(2));
}

describe('README commands', () => {
  const commands = readmeCommands();
  it('the README has its CLI block', () => {
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });
  for (const args of commands) {
    it(`sdtext ${args.join(' ')}`, async () => {
      const at = args.indexOf('--out');
      if (at >= 0) args[at + 1] = join(mkdtempSync(join(dir, 'out-')), args[at + 1]!);
      const { code, stderr } = await runCli(args, ROOT);
      expect(stderr).not.toMatch(/error/i);
      expect(code).toBe(0);
    });
  }
});
