import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, linkSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHub } from '../../pipeline/test/helpers/fake-hub.js';
import { fixtureRepo } from '../../pipeline/test/helpers/fixture-repos.js';
import { loadSafetensors, toFloat32, writeSafetensorsFile, type SafetensorsEntry } from '@sdtext/core';
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

describe('files from strangers', () => {
  /** sd1-tiny as a single-file SD1 checkpoint, less the tensors `drop` matches. */
  async function singleFile(name: string, drop: RegExp): Promise<string> {
    const path = join(dir, name);
    const { tensors } = await loadSafetensors(join(FIXTURES, 'models', 'sd1-tiny', 'text_model', 'model.safetensors'));
    const entries: [string, SafetensorsEntry][] = [];
    for (const [key, t] of tensors) if (!drop.test(key)) entries.push([`cond_stage_model.transformer.${key}`, { shape: t.shape, data: toFloat32(t.dtype, t.data) }]);
    await writeSafetensorsFile(path, entries);
    return path;
  }

  it('a single file that lost a layer is refused, not loaded as a shallower model', async () => {
    const file = await singleFile('no-layer-1.safetensors', /\.layers\.1\./);
    const config = join(dir, 'two-layers.json');
    writeFileSync(config, JSON.stringify({ num_attention_heads: 4, num_hidden_layers: 2 }));
    const given = await runCli(['encode', 'a', '--model', file, '--tokenizer', 'sd1', '--text-encoder-config', config, '--engine', 'tfjs', '--backend', 'cpu']);
    expect(given.code).toBe(1);
    expect(given.stderr).toContain('missing key "cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.q_proj.weight" and 15 more: num_hidden_layers is 2');
    // Without the depth, a width no Stable Diffusion encoder has cannot be checked: the user is asked for it.
    const heads = join(dir, 'heads-only.json');
    writeFileSync(heads, JSON.stringify({ num_attention_heads: 4 }));
    const asked = await runCli(['encode', 'a', '--model', file, '--tokenizer', 'sd1', '--text-encoder-config', heads, '--engine', 'tfjs', '--backend', 'cpu']);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/a 32-wide text encoder is none of Stable Diffusion's .* give num_hidden_layers/);
  });

  it('a 3 GB sparse file as --textual-inversion fails at once, naming the file and the cap', async () => {
    const file = join(dir, 'huge.pt');
    writeFileSync(file, '');
    truncateSync(file, 3 * 1024 ** 3);
    const started = Date.now();
    const { code, stderr } = await runCli(['encode', 'a', '--model', modelCopy('ti-huge'), '--textual-inversion', file, '--engine', 'tfjs', '--backend', 'cpu']);
    expect(code).toBe(1);
    expect(stderr).toContain(file);
    expect(stderr).toMatch(/128 MiB/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('prompts from strangers', () => {
  const nines = `(cat:${'9'.repeat(400)})`;
  for (const [dialect, prompt] of [
    ['a1111', nines],
    ['comfy', '(cat:nan)'],
    ['comfy', nines],
    ['compel', `(cat)${'9'.repeat(400)}`],
    ['compel', '("a cat", "a dog").blend(1, nan)'],
  ] as const) {
    it(`a non-finite weight is refused, not written as NaN/Inf embeddings: ${dialect} ${prompt.slice(0, 24)}`, async () => {
      const out = join(dir, `nonfinite-${dialect}.safetensors`);
      const encoded = await runCli(['encode', prompt, '--model', modelCopy(`nonfinite-${dialect}-${prompt.length}`), '--dialect', dialect, '--engine', 'tfjs', '--backend', 'cpu', '--out', out]);
      expect(encoded.code).toBe(1);
      expect(encoded.stderr).toMatch(/weight .*(not a finite|infinite|nan)/i);
      expect(() => statSync(out)).toThrow();
      const parsed = await runCli(['parse', prompt, '--dialect', dialect]);
      expect(parsed.code).not.toBe(0);
    });
  }

  it('a 10k-deep prompt is refused at once in every dialect, naming the limit', async () => {
    for (const dialect of ['a1111', 'comfy', 'compel']) {
      const started = Date.now();
      const { code, stderr } = await runCli(['parse', `${'('.repeat(10_000)}cat${')'.repeat(10_000)}`, '--dialect', dialect]);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/256/);
      expect(Date.now() - started).toBeLessThan(2_000);
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
