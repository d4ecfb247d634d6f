import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { writeCkpt, type CkptTensor } from '../../core/test/helpers/ckpt-writer.js';
import { runCli } from './run-cli.js';

/**
 * `sdtext encode --lora` with LyCORIS files and `--model FILE.ckpt` (issue 21 items 5 and 6), on
 * both engines, against the references: LyCORIS's own forward for the LoHa file
 * (scripts/make-lycoris-fixtures.py), transformers for the .ckpt (its weights are sd1-tiny's).
 */

const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/', import.meta.url));
const EXTRAS = join(FIXTURES, 'checkpoint-extras');
const SD1 = join(FIXTURES, 'models', 'sd1-tiny');
const dir = mkdtempSync(join(tmpdir(), 'sdtext-older-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The golden prompts of sd1-tiny's pad77 case (their ids are the references' input_ids). */
let texts: string[];
beforeAll(async () => {
  texts = (JSON.parse(await readFile(join(SD1, 'manifest.json'), 'utf8')) as { cases: Record<string, { texts: string[] }> }).cases['pad77']!.texts;
  const st = await loadSafetensors(join(SD1, 'text_model', 'model.safetensors'));
  // A 2 GiB UNet storage first, left a hole: the .ckpt is read by its zip directory and pickle.
  const tensors: CkptTensor[] = [{ name: 'model.diffusion_model.input_blocks.0.0.weight', storage: 'HalfStorage', shape: [2 ** 30], data: { hole: 2 ** 31 } }];
  for (const [k, t] of st.tensors) {
    const data = toFloat32(t.dtype, t.data);
    tensors.push({ name: `cond_stage_model.transformer.${k}`, storage: 'FloatStorage', shape: t.shape, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  }
  await writeCkpt(join(dir, 'v1-tiny.ckpt'), tensors);
  writeFileSync(join(dir, 'heads.json'), JSON.stringify({ num_attention_heads: 4, num_hidden_layers: 2 }));
});

async function lastHiddenState(file: string): Promise<Float32Array> {
  const t = (await loadSafetensors(file)).tensors.get('last_hidden_state')!;
  return toFloat32(t.dtype, t.data);
}
const maxAbs = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe.each(['tfjs', 'onnx'] as const)('sdtext encode --engine %s', (engine) => {
  it('--lora LOHA.safetensors:0.8 (LyCORIS, kohya names, DoRA on some layers) gives LyCORIS\'s forward', async () => {
    const out = join(dir, `loha-${engine}.safetensors`);
    const lora = `${join(EXTRAS, 'lycoris-loha-sd1.safetensors')}:0.8`;
    const { code, stderr } = await runCli(['encode', ...texts, '--model', join(SD1, 'text_model'), '--tokenizer', 'sd1', '--lora', lora, '--engine', engine, '--backend', 'cpu', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // About 3x what this file reaches: 3.0e-6 (tfjs), 2.9e-6 (onnx).
    expect(maxAbs(await lastHiddenState(out), await lastHiddenState(join(EXTRAS, 'lycoris-loha-sd1.reference.safetensors')))).toBeLessThan({ tfjs: 9.2e-6, onnx: 8.6e-6 }[engine]);
  });

  it('--model FILE.ckpt (a torch.save zip, told by its bytes) gives the model it holds', async () => {
    const out = join(dir, `ckpt-${engine}.safetensors`);
    const { code, stderr } = await runCli(['encode', ...texts, '--model', join(dir, 'v1-tiny.ckpt'), '--text-encoder-config', join(dir, 'heads.json'), '--engine', engine, '--backend', 'cpu', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(maxAbs(await lastHiddenState(out), await lastHiddenState(join(SD1, 'outputs', 'pad77.safetensors')))).toBeLessThan({ tfjs: 8.3e-6, onnx: 1.2e-5 }[engine]); // measured 2.7e-6 / 4.05e-6
  });
});

describe('errors', () => {
  it('a file with no text encoder adapters in it is named', async () => {
    const { code, stderr } = await runCli(['encode', 'x', '--model', join(SD1, 'text_model'), '--tokenizer', 'sd1', '--lora', join(EXTRAS, 'ti-my-style.pt')]);
    expect(code).not.toBe(0);
    expect(stderr).toContain('ti-my-style.pt: no text encoder LoRA in it');
  });
  it('a file that is neither safetensors nor torch is named so, with its first bytes', async () => {
    const junk = join(dir, 'notes.ckpt');
    writeFileSync(junk, 'this is not a checkpoint at all, just text');
    const { code, stderr } = await runCli(['encode', 'x', '--model', junk]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`${junk}: neither a safetensors file nor a torch checkpoint`);
  });
  it('a legacy .ckpt this core refuses (big-endian) says what it is and how to convert it', async () => {
    const legacy = Uint8Array.from(await readFile(join(EXTRAS, 'ckpt-sd1-lightning-legacy.ckpt')));
    // sys_info's 'little_endian': True is the NEWTRUE (0x88) after its key (and a memo BINPUT); make it False (0x89).
    const key = new TextEncoder().encode('little_endian');
    const after = legacy.findIndex((_, i) => key.every((b, j) => legacy[i + j] === b)) + key.length;
    const at = legacy.indexOf(0x88, after);
    expect(at - after).toBeLessThan(4);
    legacy[at] = 0x89;
    const file = join(dir, 'big-endian.ckpt');
    writeFileSync(file, legacy);
    const { code, stderr } = await runCli(['encode', 'x', '--model', file]);
    expect(code).not.toBe(0);
    expect(stderr).toContain('a legacy torch file not written little-endian');
    expect(stderr).toContain("python -c \"import torch; from safetensors.torch import save_file; sd = torch.load('big-endian.ckpt'");
  });
});
