import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// Each published package, packed as `pnpm pack` would publish it (dist only, publishConfig
// exports, workspace:^ turned into versions), installed into an empty folder outside the
// workspace. Registry dependencies come from pnpm's store (--offline): nothing is downloaded.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['core', 'ftfy', 'tokenizer', 'prompt', 'text-encoder', 'pipeline', 'onnx', 'cli'];
const TINY_MODEL = join(ROOT, 'models/fixtures/models/sd2-tiny/text_model');

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const packs = mkdtempSync(join(tmpdir(), 'sdtext-packs-'));
let tarballs: Record<string, string> = {};

/** A consumer project outside the workspace with `names` (and what they depend on) installed from the tarballs. */
function consumer(prefix: string, names: readonly string[], extra: Record<string, string>): string {
  const project = mkdtempSync(join(tmpdir(), `sdtext-${prefix}-`));
  const dependencies = Object.fromEntries(names.map((n) => [`@sdtext/${n}`, tarballs[`@sdtext/${n}`]!]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: prefix, private: true, type: 'module', dependencies: { ...dependencies, ...extra } }));
  // The packages depend on each other by version; point those at the tarballs too.
  writeFileSync(
    join(project, 'pnpm-workspace.yaml'),
    ['overrides:', ...Object.entries(tarballs).map(([n, f]) => `  "${n}": "${f}"`), 'allowBuilds:', '  onnxruntime-node: false', '  protobufjs: false', ''].join('\n'),
  );
  run('pnpm', ['install', '--offline'], project);
  return project;
}

beforeAll(() => {
  for (const name of PACKAGES) run('pnpm', ['pack', '--pack-destination', packs], join(ROOT, 'packages', name));
  tarballs = Object.fromEntries(
    readdirSync(packs).map((file) => [`@sdtext/${file.replace(/^sdtext-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`, `file:${join(packs, file)}`]),
  );
});

describe('packed packages, installed outside the workspace', () => {
  let project = '';
  beforeAll(() => {
    // ONNX Runtime is an optional peer of @sdtext/onnx: the user picks the runtime for their platform.
    project = consumer('consumer', PACKAGES, { '@tensorflow/tfjs-core': '^4.22.0', 'onnxruntime-node': '1.30.0' });
  });

  it('ships only dist, without the workspace source condition', () => {
    const manifest = JSON.parse(run('node', ['-e', 'process.stdout.write(JSON.stringify(require("@sdtext/tokenizer/package.json")))'], project)) as {
      exports: Record<string, unknown>;
    };
    expect(JSON.stringify(manifest.exports)).not.toContain('@sdtext/source');
    for (const name of PACKAGES) {
      const files = readdirSync(join(project, 'node_modules/@sdtext', name));
      expect(files, name).toContain('dist');
      expect(files, name).not.toContain('src');
      expect(files, name).not.toContain('test');
    }
  });

  it('tokenizes with the bundled vocabulary', () => {
    const script = `import { CLIPTokenizer } from '@sdtext/tokenizer';
      const t = CLIPTokenizer.fromPreset('sd2');
      console.log(JSON.stringify(t.encode('a highres photo of a woman wearing a red dress').inputIds));`;
    expect(JSON.parse(run('node', ['--input-type=module', '-e', script], project))).toEqual([49406, 320, 1487, 934, 1125, 539, 320, 2308, 3309, 320, 736, 2595, 49407]);
  });

  it('runs the text encoder on tfjs-wasm and on onnxruntime', () => {
    const script = `import { CLIPTextModel } from '@sdtext/text-encoder';
      import { loadTextEncoder } from '@sdtext/pipeline';
      const ids = [[49406, 320, 2368, 49407]];
      const model = await CLIPTextModel.fromPretrained(process.argv[1], { backend: 'wasm' });
      const tfjs = await model.forward({ inputIds: ids }).lastHiddenState.data();
      const onnx = await loadTextEncoder(process.argv[1], { engine: 'onnx' });
      const out = await onnx.encode({ inputIds: ids });
      let diff = 0;
      out.lastHiddenState.data.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - tfjs[i]))));
      console.log(JSON.stringify({ dims: out.lastHiddenState.dims, diff }));
      await onnx.dispose();`;
    const result = JSON.parse(run('node', ['--input-type=module', '-e', script, TINY_MODEL], project)) as { dims: number[]; diff: number };
    expect(result.dims).toEqual([1, 4, 32]);
    expect(result.diff).toBeLessThan(4.3e-6); // tfjs-wasm against onnxruntime-node on one row: about 3x the 1.4e-6 measured
  });

  it('provides the sdtext command', () => {
    const out = run(join(project, 'node_modules/.bin/sdtext'), ['tokenize', 'a photo of a cat', '--padding', 'none', '--json'], project);
    expect((JSON.parse(out) as { input_ids: number[] }[])[0]!.input_ids).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });
});

describe('the pipeline without the ONNX engine installed', () => {
  let project = '';
  beforeAll(() => {
    project = consumer('tfjs-only', ['pipeline'], { '@tensorflow/tfjs-core': '^4.22.0' });
  });

  it('installs no ONNX Runtime, and engine "auto" runs tfjs, saying why', () => {
    const installed = readdirSync(join(project, 'node_modules/.pnpm'));
    expect(installed.filter((d) => d.startsWith('onnxruntime'))).toEqual([]);
    const script = `import { loadTextEncoder } from '@sdtext/pipeline';
      const encoder = await loadTextEncoder(process.argv[1], { backend: 'cpu' });
      const out = await encoder.encode({ inputIds: [[49406, 320, 2368, 49407]] });
      console.log(JSON.stringify({ engine: encoder.engine, dims: out.lastHiddenState.dims, why: encoder.fallbackReason }));
      await encoder.dispose();`;
    const result = JSON.parse(run('node', ['--input-type=module', '-e', script, TINY_MODEL], project)) as { engine: string; dims: number[]; why: string };
    expect(result.engine).toBe('tfjs');
    expect(result.dims).toEqual([1, 4, 32]);
    expect(result.why).toMatch(/npm install @sdtext\/onnx onnxruntime-node/);
  });
});
