import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32, toNumbers, writeSafetensorsFile, type SafetensorsEntry } from '@sdtext/core';
import { runCli } from './run-cli.js';

const MODELS = fileURLToPath(new URL('../../../models/fixtures/models/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdtext-encode-'));
const manifest = (model: string) =>
  JSON.parse(readFileSync(join(MODELS, model, 'manifest.json'), 'utf8')) as { cases: Record<string, { texts: string[] }> };

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function golden(model: string, testCase: string) {
  return (await loadSafetensors(join(MODELS, model, 'outputs', `${testCase}.safetensors`))).tensors;
}

// The golden-parity tests run on each engine: same outputs, same tolerance, same messages.
// About 3x the worst measured per engine (tfjs / onnx): every output 5.7e-6 / 4.2e-6; masked ids 3.4e-6 / 4.35e-6.
const OUTPUTS = { tfjs: 1.7e-5, onnx: 1.3e-5 };
const MASKED = { tfjs: 1.1e-5, onnx: 1.3e-5 };

describe.each(['tfjs', 'onnx'] as const)('sdtext encode --engine %s', (engine) => {
  it.each([
    { model: 'sd2-tiny', tokenizer: 'sd2' },
    { model: 'sd1-tiny', tokenizer: 'sd1' },
  ])('writes the golden pad77 outputs of $model from prompts', async ({ model, tokenizer }) => {
    const out = join(dir, `${model}-${engine}.safetensors`);
    const texts = manifest(model).cases.pad77!.texts;
    const { code, stdout, stderr } = await runCli(
      ['encode', ...texts, '--model', join(MODELS, model, 'text_model_with_projection'), '--tokenizer', tokenizer, '--hidden-states', '--engine', engine, '--out', out],
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('last_hidden_state [4, 77, 32]');
    const ours = (await loadSafetensors(out)).tensors;
    const reference = await golden(model, 'pad77');
    for (const name of ['last_hidden_state', 'pooler_output', 'hidden_states', 'text_embeds']) {
      const a = ours.get(name)!;
      const b = reference.get(name)!;
      expect(a.shape, name).toEqual(b.shape);
      expect(maxAbsDiff(toFloat32(a.dtype, a.data), toFloat32(b.dtype, b.data)), name).toBeLessThan(OUTPUTS[engine]);
    }
  });

  it('runs token ids and a mask from --input-ids on the cpu backend', async () => {
    const reference = await golden('sd2-tiny', 'pad77_masked');
    const rows = (name: string) => {
      const t = reference.get(name)!;
      const flat = toNumbers(t.data);
      return Array.from({ length: t.shape[0]! }, (_, r) => flat.slice(r * t.shape[1]!, (r + 1) * t.shape[1]!));
    };
    const ids = join(dir, 'ids.json');
    writeFileSync(ids, JSON.stringify({ input_ids: rows('input_ids'), attention_mask: rows('attention_mask') }));
    const out = join(dir, `masked-${engine}.safetensors`);
    const { code } = await runCli(['encode', '--input-ids', ids, '--model', join(MODELS, 'sd2-tiny/text_model'), '--backend', 'cpu', '--engine', engine, '--out', out]);
    expect(code).toBe(0);
    const ours = (await loadSafetensors(out)).tensors.get('last_hidden_state')!;
    const expected = reference.get('last_hidden_state')!;
    expect(maxAbsDiff(toFloat32(ours.dtype, ours.data), toFloat32(expected.dtype, expected.data))).toBeLessThan(MASKED[engine]);
  });

  it('prints the outputs in the seed layout', async () => {
    const { code, stdout } = await runCli(['encode', 'a photo of a cat', '--model', join(MODELS, 'sd2-tiny/text_model'), '--engine', engine]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`\\nengine: ${engine}, (onnxruntime-node|tfjs \\(wasm\\))`));
    expect(stdout).toMatch(/^input_ids: tensor\(\[\[49406,\s+320,\s+1125,/);
    expect(stdout).toMatch(/\{'last_hidden_state': tensor\(\[\[\[-?\d\.\d{4},/);
    expect(stdout).toContain("\n 'pooler_output': tensor([[");
    expect(stdout).toContain('last_hidden_state: [1, 77, 32]');
  });

  it.each([
    { args: ['a cat'], code: 2, error: '--model REPO_OR_FOLDER is required' },
    { args: ['a cat', '--model', './nowhere'], code: 1, error: '--model ./nowhere: no such folder, and not a hub repo id' },
    { args: ['a cat', '--model', MODELS], code: 1, error: 'no config.json' },
    { args: ['--model', join(MODELS, 'sd2-tiny/text_model')], code: 2, error: 'give at least one PROMPT or --input-ids FILE' },
    { args: ['a', '--model', join(MODELS, 'sd2-tiny/text_model'), '--backend', 'webgl'], code: 2, error: '--backend must be cpu or wasm' },
    { args: ['a', '--model', join(MODELS, 'sd2-tiny/text_model'), '--out', 'x.bin'], code: 2, error: '--out must name a .safetensors file' },
    { args: ['a', '--model', join(MODELS, 'sd2-tiny/text_model'), '--engine', 'torch'], code: 2, error: '--engine must be tfjs, onnx, auto, got "torch"' },
  ])('fails on $error', async ({ args, code, error }) => {
    const result = await runCli(['encode', ...args], dir);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(error);
  });

  it.each([
    { json: '{"input_ids": [[49406, 49408]]}', error: 'inputIds[0][1] = 49408 is out of range' },
    { json: '{"input_ids": [[1, 2], [3]]}', error: 'input_ids[1] has 1 entries, row 0 has 2' },
    { json: '{"input_ids": [[1, 2.5]]}', error: 'input_ids[0][1] is 2.5, expected a non-negative integer' },
    { json: '{"input_ids": [[1, 2]], "attention_mask": [[1, 2]]}', error: 'attention_mask[0][1] is 2, expected 0 or 1' },
    { json: '{"input_ids": [[1, 2]], "attention_mask": [[1, 1, 1]]}', error: 'attention_mask is [1, 3], input_ids is [1, 2]' },
    { json: `{"input_ids": [${JSON.stringify(Array(78).fill(1))}]}`, error: '78' },
  ])('rejects bad --input-ids: $error', async ({ json, error }) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, json);
    const out = join(dir, `never-${Math.random().toString(36).slice(2)}.safetensors`);
    const result = await runCli(['encode', '--input-ids', file, '--model', join(MODELS, 'sd2-tiny/text_model'), '--backend', 'cpu', '--engine', engine, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(error);
    // Nothing half-written is left behind.
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('sdtext encode: the default engine', () => {
  it('is auto: ONNX Runtime in Node, named in the printed view, nothing on stderr', async () => {
    const { code, stdout, stderr } = await runCli(['encode', 'a photo of a cat', '--model', join(MODELS, 'sd2-tiny/text_model')]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/\nengine: onnx, onnxruntime-node \(cpu, \d+ threads?\)\n$/);
  });
});

describe('sdtext encode: bad files and outputs', () => {
  const model = () => join(MODELS, 'sd2-tiny', 'text_model');

  it('refuses to replace a read-only --out file, leaving it as it was', async () => {
    const out = join(dir, 'read-only.safetensors');
    writeFileSync(out, 'keep me');
    chmodSync(out, 0o444);
    const { code, stderr } = await runCli(['encode', 'a cat', '--model', model(), '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--out .*read-only\.safetensors: .* is read-only; not replacing it/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });

  it('names the tensor when a weight holds NaN or Inf (on each engine)', async () => {
    const broken = join(dir, 'nan-model');
    mkdirSync(broken, { recursive: true });
    copyFileSync(join(MODELS, 'sd1-tiny', 'text_model', 'config.json'), join(broken, 'config.json'));
    const { tensors } = await loadSafetensors(join(MODELS, 'sd1-tiny', 'text_model', 'model.safetensors'));
    const entries = [...tensors].map(([name, t]): [string, SafetensorsEntry] => {
      const data = toFloat32(t.dtype, t.data);
      if (name === 'text_model.encoder.layers.1.mlp.fc2.weight') data[37] = Number.NaN;
      return [name, { dtype: 'F32', shape: t.shape, data }];
    });
    await writeSafetensorsFile(join(broken, 'model.safetensors'), entries);
    for (const engine of ['tfjs', 'onnx']) {
      const { code, stderr } = await runCli(['encode', 'a cat', '--model', broken, '--tokenizer', 'sd1', '--engine', engine]);
      expect(code, engine).toBe(1);
      expect(stderr, engine).toContain(`${join(broken, 'model.safetensors')}: weight "text_model.encoder.layers.1.mlp.fc2.weight" holds NaN at [0, 37]`);
    }
  });

  it('escapes control characters of tensor names in its messages', async () => {
    const odd = join(dir, 'odd-keys');
    mkdirSync(odd, { recursive: true });
    copyFileSync(join(MODELS, 'sd1-tiny', 'text_model', 'config.json'), join(odd, 'config.json'));
    const { tensors } = await loadSafetensors(join(MODELS, 'sd1-tiny', 'text_model', 'model.safetensors'));
    const entries = [...tensors].map(([name, t]): [string, SafetensorsEntry] => [name, { dtype: 'F32', shape: t.shape, data: toFloat32(t.dtype, t.data) }]);
    entries.push(['\u001b[31mred', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
    await writeSafetensorsFile(join(odd, 'model.safetensors'), entries);
    const { code, stderr } = await runCli(['encode', 'a cat', '--model', odd, '--tokenizer', 'sd1']);
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/\p{Cc}(?<!\n)/u); // no raw control character but line breaks
    expect(stderr).toContain('unexpected key "\\u001b[31mred"');
  });

  it('ends quietly when its output pipe closes early (| head)', () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    const prompts = join(dir, 'many-prompts.json');
    writeFileSync(prompts, JSON.stringify(Array.from({ length: 3000 }, (_, i) => `prompt number ${i} of a long list`)));
    const result = spawnSync('bash', ['-c', `node ${JSON.stringify(bin)} tokenize --input ${JSON.stringify(prompts)} --json | head -c 100 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('exit=0');
  });
});

describe('sdtext encode --model REPO', () => {
  it('names the missing file when offline and the repo is not cached', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'sdtext-hub-cache-'));
    const result = await runCli(['encode', 'a cat', '--model', 'stabilityai/stable-diffusion-2-base'], dir, {
      HF_HUB_OFFLINE: '1',
      HF_HUB_CACHE: cache,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('model_index.json');
  });
});

describe('sdtext inspect', () => {
  it('summarizes the model and prints its module tree', async () => {
    const { code, stdout } = await runCli(['inspect', join(MODELS, 'sd2-tiny/text_model_with_projection')]);
    expect(code).toBe(0);
    expect(stdout).toContain('CLIPTextModelWithProjection in');
    expect(stdout).toContain('hidden_size=32 num_hidden_layers=2 num_attention_heads=2 intermediate_size=128');
    expect(stdout).toMatch(/parameters: [\d,]+ \(1\.\d M\)/);
    expect(stdout).toContain('model.safetensors: I64 (1 tensor), F16 (37 tensors)');
    expect(stdout).toContain('(token_embedding): Embedding(49408, 32)');
    expect(stdout).toContain('(activation_fn): GELUActivation()');
  });
});
