import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, linkSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHub } from '../../pipeline/test/helpers/fake-hub.js';
import { fixtureRepo } from '../../pipeline/test/helpers/fixture-repos.js';
import { parseLoraOption } from '../src/text-model-source.js';
import { runCli } from './run-cli.js';

// What a user gets from strangers, or types by mistake, must not cost them their files.

const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdtext-hostile-'));
const digest = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A private copy of the tiny SD2 text model, so a failed guard would destroy only the copy. */
function modelCopy(name: string): string {
  const folder = join(dir, name);
  cpSync(join(FIXTURES, 'models', 'sd2-tiny', 'text_model'), folder, { recursive: true });
  return folder;
}

describe('--out never overwrites an input (as cp refuses a file onto itself)', () => {
  it('refuses the model folder\'s own weights, and leaves them whole', async () => {
    const model = modelCopy('own-weights');
    const weights = join(model, 'model.safetensors');
    const before = digest(weights);
    const { code, stderr } = await runCli(['encode', 'a', '--model', model, '--engine', 'tfjs', '--backend', 'cpu', '--out', weights]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`--out ${weights} is one of this command's inputs (${model})`);
    expect(digest(weights)).toBe(before);
  });

  it('sees through a symlink and a hard link to the weights, and a relative path', async () => {
    const model = modelCopy('linked');
    const weights = join(model, 'model.safetensors');
    const before = digest(weights);
    symlinkSync(weights, join(dir, 'soft.safetensors'));
    linkSync(weights, join(dir, 'hard.safetensors'));
    for (const out of [join(dir, 'soft.safetensors'), join(dir, 'hard.safetensors')]) {
      const { code, stderr } = await runCli(['encode', 'a', '--model', model, '--engine', 'tfjs', '--backend', 'cpu', '--out', out]);
      expect(code).not.toBe(0);
      expect(stderr).toContain("is one of this command's inputs");
    }
    const relative = await runCli(['encode', 'a', '--model', 'linked', '--engine', 'tfjs', '--backend', 'cpu', '--out', 'linked/model.safetensors'], dir);
    expect(relative.code).not.toBe(0);
    expect(digest(weights)).toBe(before);
  });

  it('refuses a --textual-inversion file as --out', async () => {
    const model = modelCopy('ti-out');
    const ti = join(dir, 'embedding.safetensors');
    copyFileSync(join(FIXTURES, 'checkpoint-extras', 'ti-cat-toy.safetensors'), ti);
    const before = digest(ti);
    const { code, stderr } = await runCli(['encode', 'a <cat-toy>', '--model', model, '--engine', 'tfjs', '--backend', 'cpu', '--textual-inversion', ti, '--out', ti]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`--out ${ti} is one of this command's inputs (${ti})`);
    expect(digest(ti)).toBe(before);
  });

  it('still writes a new file, and overwrites an earlier output', async () => {
    const model = modelCopy('fine');
    const out = join(dir, 'fine-out.safetensors');
    for (let i = 0; i < 2; i++) {
      const { code, stderr } = await runCli(['encode', 'a', '--model', model, '--engine', 'tfjs', '--backend', 'cpu', '--out', out]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }
  });
});

describe('--lora FILE:SCALE reads the scale first', () => {
  it('refuses a scale that is not a finite number, naming it (not "no such file")', async () => {
    for (const scale of ['nan', 'inf', '1e999', '0.7x', '']) {
      expect(() => parseLoraOption(`x.safetensors:${scale}`)).toThrow(new RegExp(`the scale "${scale}" is not a finite number`));
    }
    const { code, stderr } = await runCli(['encode', 'a', '--model', modelCopy('lora-nan'), '--lora', join(dir, 'l.safetensors:nan')]);
    expect(code).toBe(2);
    expect(stderr).toContain('the scale "nan" is not a finite number');
    expect(stderr).not.toContain('no such file');
  });

  it('a colon inside a file name is still a file name', () => {
    expect(parseLoraOption('my:lora.safetensors')).toEqual({ file: 'my:lora.safetensors', scale: 1 });
    expect(parseLoraOption('my:lora.safetensors:0.5')).toEqual({ file: 'my:lora.safetensors', scale: 0.5 });
    expect(parseLoraOption('D:/loras/x.safetensors')).toEqual({ file: 'D:/loras/x.safetensors', scale: 1 });
  });
});

describe('two processes downloading one repo into one cache', () => {
  const hub = new FakeHub();
  const cache = mkdtempSync(join(tmpdir(), 'sdtext-two-downloads-'));
  const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
  beforeAll(async () => {
    hub.addRepo('tiny/sd2', await fixtureRepo('sd2'));
    await hub.start();
  });
  afterAll(() => hub.close());

  function download(): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, 'download', 'tiny/sd2'], {
        env: { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_TOKEN: '', HF_HUB_OFFLINE: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('both end with the same sound blobs: one waits on the lock while the other writes', async () => {
    // Slow enough that the two transfers overlap: about 1 s for the 3.2 MB weights.
    hub.faults.push({ kind: 'slow', file: 'text_encoder/model.safetensors', chunkBytes: 16 * 1024, everyMs: 5, times: 2 });
    const [a, b] = await Promise.all([download(), download()]);
    expect(a.stderr + b.stderr).not.toMatch(/Consistency|ENOENT|Error/);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toBe(b.stdout);
    const blobs = join(cache, 'models--tiny--sd2', 'blobs');
    const names = readdirSync(blobs);
    expect(names.filter((n) => n.includes('.incomplete'))).toEqual([]);
    for (const name of names.filter((n) => /^[0-9a-f]{64}$/.test(n))) expect(digest(join(blobs, name))).toBe(name);
    // The weights crossed the wire once: the waiter found them done.
    expect(hub.seen('text_encoder/model.safetensors', 'GET')).toHaveLength(1);
    const weights = join(a.stdout.trim(), 'text_encoder', 'model.safetensors');
    expect(statSync(weights).size).toBeGreaterThan(0);
  }, 60_000);
});
