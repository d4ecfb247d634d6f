import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// scripts/setup.sh must wait while another apt holds its lock (apt-get update ignores
// DPkg::Lock::Timeout), and fail at once on any other apt error. A fake apt-get plays both.

const LIB = fileURLToPath(new URL('../../../scripts/lib/apt-busy-retry.sh', import.meta.url));

function fakeApt(lockedTimes: number, otherError = false): { dir: string; calls: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-apt-'));
  const counter = join(dir, 'calls');
  writeFileSync(counter, '0');
  writeFileSync(
    join(dir, 'apt-get'),
    `#!/usr/bin/env bash
n=$(( $(cat "${counter}") + 1 )); echo "$n" > "${counter}"
${otherError ? 'echo "E: Unable to locate package chromiumm" >&2; exit 100' : ''}
if [ "$n" -le ${lockedTimes} ]; then
  echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (unattended-upgr)" >&2
  echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
  exit 100
fi
echo "apt-get $*"
`,
  );
  chmodSync(join(dir, 'apt-get'), 0o755);
  return { dir, calls: () => Number(readFileSync(counter, 'utf8')) };
}

function run(dir: string) {
  return spawnSync('bash', ['-c', `. ${JSON.stringify(LIB)}; apt_busy_retry apt-get update -qq`], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, APT_RETRY_SECONDS: '0.05' },
  });
}

describe("setup's apt_busy_retry", () => {
  it('waits while apt is locked, saying by whom, then runs', () => {
    const apt = fakeApt(2);
    const r = run(apt.dir);
    expect(r.status).toBe(0);
    expect(apt.calls()).toBe(3);
    expect(r.stdout).toContain('apt-get update -qq');
    expect(r.stderr).toContain('another apt or dpkg holds its lock; waiting for it (held by process 4242 (unattended-upgr))');
  });

  it('fails at once, with apt\'s message, on any other error', () => {
    const apt = fakeApt(0, true);
    const r = run(apt.dir);
    expect(r.status).toBe(1);
    expect(apt.calls()).toBe(1);
    expect(r.stderr).toContain('Unable to locate package chromiumm');
  });
});
