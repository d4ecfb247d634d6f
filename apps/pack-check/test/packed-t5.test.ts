import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// SD3 / Flux from the packed tarballs, outside the workspace: @sdtext/pipeline's ./t5 entry (and
// the ./t5 entries it loads of core, tokenizer, text-encoder and onnx) resolve from dist, and
// TextPipeline loads ComfyUI-style SD3 files on both engines. Packed and installed as
// packed-packages.test.ts does (offline, from pnpm's store).
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'models/fixtures');
const PACKAGES = ['core', 'ftfy', 'tokenizer', 'prompt', 'text-encoder', 'pipeline', 'onnx', 'cli'];
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A float32 tensor of the SD3 references, read by hand (this project installs no @sdtext package). */
function reference(name: string): { shape: number[]; data: Float32Array } {
  const bytes = readFileSync(join(FIXTURES, 'sd3/references.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const t = (JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[]; data_offsets: [number, number] }>)[name]!;
  const raw = bytes.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
  return { shape: t.shape, data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
}

let project = '';
beforeAll(() => {
  const packs = mkdtempSync(join(tmpdir(), 'sdtext-packs-t5-'));
  for (const name of PACKAGES) run('pnpm', ['pack', '--pack-destination', packs], join(ROOT, 'packages', name));
  const tarballs = Object.fromEntries(
    readdirSync(packs).map((file) => [`@sdtext/${file.replace(/^sdtext-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`, `file:${join(packs, file)}`]),
  );
  project = mkdtempSync(join(tmpdir(), 'sdtext-t5-consumer-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 't5-consumer', private: true, type: 'module', dependencies: { ...tarballs, '@tensorflow/tfjs-core': '^4.22.0', 'onnxruntime-node': '1.30.0' } }));
  writeFileSync(
    join(project, 'pnpm-workspace.yaml'),
    ['overrides:', ...Object.entries(tarballs).map(([n, f]) => `  "${n}": "${f}"`), 'allowBuilds:', '  onnxruntime-node: false', '  protobufjs: false', ''].join('\n'),
  );
  run('pnpm', ['install', '--offline'], project);
});

describe('SD3 from the packed packages', () => {
  it("loads ComfyUI's separate files and equals diffusers' encode_prompt on tfjs and onnx", () => {
    const script = `import { TextPipeline } from '@sdtext/pipeline';
      import { encodePromptSd3 } from '@sdtext/pipeline/t5';
      const F = process.argv[1];
      const out = { entry: typeof encodePromptSd3 };
      for (const engine of ['tfjs', 'onnx']) {
        const pipe = await TextPipeline.fromFiles(
          { clipL: F + '/models/sd1-tiny/text_model/model.safetensors', clipG: F + '/models/sd2-tiny/text_model_with_projection/model.safetensors', t5: F + '/sd3/text_encoder_3/model.safetensors' },
          { engine, backend: 'wasm', t5Tokenizer: F + '/t5-tokenizer/t5-nobf', clipLConfig: { num_attention_heads: 4 }, clipGConfig: { num_attention_heads: 2 } },
        );
        const e = await pipe.encodePrompt({ prompt: 'a photo of a cat', negativePrompt: 'blurry', maxSequenceLength: 48, output: 'array' });
        out[engine] = { kind: pipe.kind, t5: pipe.t5Encoder.engine, shape: e.promptEmbeds.shape, data: Array.from(e.promptEmbeds.data) };
        await pipe.dispose();
      }
      console.log(JSON.stringify(out));`;
    const out = JSON.parse(run('node', ['--input-type=module', '-e', script, FIXTURES], project)) as Record<string, unknown>;
    expect(out.entry).toBe('function');
    const expected = reference('single_file_clip_l.prompt_embeds');
    for (const engine of ['tfjs', 'onnx']) {
      const got = out[engine] as { kind: string; t5: string; shape: number[]; data: number[] };
      expect(got.kind).toBe('sd3');
      expect(got.t5).toBe(engine);
      expect(got.shape).toEqual(expected.shape);
      let err = 0;
      got.data.forEach((v, i) => (err = Math.max(err, Math.abs(v - expected.data[i]!))));
      expect(err, engine).toBeLessThan(2.3e-5); // the pipeline test's bound (docs/sd3-flux.md)
    }
  });

  it('the sdtext command tokenizes with a T5 tokenizer folder', () => {
    const out = run(join(project, 'node_modules/.bin/sdtext'), ['tokenize', 'a photo of a cat', '--tokenizer', `t5:${join(FIXTURES, 't5-tokenizer/t5-nobf')}`, '--padding', 'none', '--json'], project);
    const ids = (JSON.parse(out) as { input_ids: number[] }[])[0]!.input_ids;
    expect(ids.at(-1)).toBe(1); // </s>, no start token
    expect(ids.length).toBeGreaterThan(3);
  });
});
