import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32, writeSafetensorsFile, type SafetensorsEntry } from '@sdtext/core';
import { parseLoraOption } from '../src/text-model-source.js';
import { runCli } from './run-cli.js';

const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/', import.meta.url));
const EXTRAS = join(FIXTURES, 'checkpoint-extras');
const dir = mkdtempSync(join(tmpdir(), 'sdtext-extras-'));

/** sd1-tiny as a single-file SD1 checkpoint (cond_stage_model.transformer.*), beside a UNet tensor. */
async function sd1SingleFile(): Promise<string> {
  const path = join(dir, 'sd1-single.safetensors');
  const { tensors } = await loadSafetensors(join(FIXTURES, 'models', 'sd1-tiny', 'text_model', 'model.safetensors'));
  const entries: [string, SafetensorsEntry][] = [['model.diffusion_model.out.2.weight', { shape: [4], data: new Float32Array(4).fill(NaN) }]];
  for (const [name, t] of tensors) entries.push([`cond_stage_model.transformer.${name}`, { shape: t.shape, data: toFloat32(t.dtype, t.data) }]);
  await writeSafetensorsFile(path, entries);
  writeFileSync(join(dir, 'heads.json'), JSON.stringify({ num_attention_heads: 4, num_hidden_layers: 2 }));
  return path;
}

describe('parseLoraOption', () => {
  it('takes the scale after the last colon when it is a number', () => {
    expect(parseLoraOption('a/b.safetensors:0.7')).toEqual({ file: 'a/b.safetensors', scale: 0.7 });
    expect(parseLoraOption('C:\\loras\\x.safetensors')).toEqual({ file: 'C:\\loras\\x.safetensors', scale: 1 });
    expect(parseLoraOption('x.safetensors:-1e-1')).toEqual({ file: 'x.safetensors', scale: -0.1 });
  });
});

describe.each(['tfjs', 'onnx'] as const)('sdtext encode --engine %s', (engine) => {
  it('--model FILE.safetensors --textual-inversion ... --lora FILE:SCALE gives the torch reference', async () => {
    const model = await sd1SingleFile();
    const out = join(dir, `out-${engine}.safetensors`);
    const { code, stderr } = await runCli([
      'encode',
      'a photo of <cat-toy>',
      'my-style <dog>',
      '--model',
      model,
      '--text-encoder-config',
      join(dir, 'heads.json'),
      '--textual-inversion',
      join(EXTRAS, 'ti-cat-toy.safetensors'),
      '--textual-inversion',
      join(EXTRAS, 'ti-my-style.pt'),
      '--textual-inversion',
      join(EXTRAS, 'ti-dog.bin'),
      '--lora',
      `${join(EXTRAS, 'lora-kohya-sd1.safetensors')}:0.7`,
      '--engine',
      engine,
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const ours = (await loadSafetensors(out)).tensors;
    const ref = (await loadSafetensors(join(EXTRAS, 'sd1_ti_lora.safetensors'))).tensors;
    // The ids (49408.. for the added tokens) are checked by the pipeline's tests; equal outputs need them equal too.
    const a = toFloat32('F32', ours.get('last_hidden_state')!.data);
    const b = toFloat32('F32', ref.get('last_hidden_state')!.data);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    expect(max).toBeLessThan({ tfjs: 1.1e-5, onnx: 5.8e-6 }[engine]); // about 3x the 3.7e-6 / 1.9e-6 measured
  });
});

describe('errors', () => {
  it('names a missing --lora file and refuses --text-encoder-config on a folder', async () => {
    const model = join(FIXTURES, 'models', 'sd1-tiny', 'text_model');
    const missing = await runCli(['encode', 'x', '--model', model, '--tokenizer', 'sd1', '--lora', '/nonexistent/l.safetensors:0.5']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('/nonexistent/l.safetensors: no such file');
    const usage = await runCli(['encode', 'x', '--model', model, '--tokenizer', 'sd1', '--text-encoder-config', 'c.json']);
    expect(usage.stderr).toContain('--text-encoder-config only applies to a single-file checkpoint');
  });
});
