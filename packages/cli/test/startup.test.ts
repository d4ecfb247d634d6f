import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Commands load what they use when they run: `sdtext tokenize` must not pay for the encoders
// (tfjs, ONNX Runtime, the pipeline: about 250 ms of module loading before this was lazy).
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const recorder = fileURLToPath(new URL('./fixtures/record-imports.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdtext-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modulesLoadedBy(args: string[]): string[] {
  const log = join(dir, `${args[0]}.log`);
  const r = spawnSync(process.execPath, ['--import', recorder, bin, ...args], { encoding: 'utf8', env: { ...process.env, SDTEXT_IMPORT_LOG: log } });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8').trim().split('\n');
}

const ENCODERS = /@tensorflow|onnxruntime|\/packages\/(pipeline|text-encoder|onnx)\/|@sdtext\/(pipeline|text-encoder|onnx)/;

describe('command startup', () => {
  it.each([[['--help']], [['tokenize', 'a photo of a cat']], [['decode', '320']], [['parse', '(a:1.2) [b:c:5]', '--steps', '10']]])('sdtext %j loads no encoder module', (args) => {
    const loaded = modulesLoadedBy(args);
    expect(loaded.some((url) => url.includes('tokenizer') || args[0] === '--help'), 'the recorder saw the imports').toBe(true);
    expect(loaded.filter((url) => ENCODERS.test(url))).toEqual([]);
  });

  it('sdtext encode --help loads its command (the check above can fail)', () => {
    expect(modulesLoadedBy(['encode', '--help']).some((url) => ENCODERS.test(url))).toBe(true);
  });
});
