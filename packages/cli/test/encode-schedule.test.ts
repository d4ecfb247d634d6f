import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, loadSafetensorsHeader, toFloat32 } from '@sdtext/core';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// Issue 21 items 1-4 from the command line: the references are @sdtext/prompt's, made by webui's and
// ComfyUI's own code (scripts/make_schedule_references.py, make_embedding_references.py).
const MODELS = fileURLToPath(new URL('../../../models/fixtures/models/', import.meta.url));
const EMBEDDINGS = fileURLToPath(new URL('../../prompt/test/fixtures/embeddings', import.meta.url));
const SD1 = ['--model', join(MODELS, 'sd1-tiny', 'text_model'), '--tokenizer', 'sd1', '--engine', 'tfjs', '--backend', 'cpu'];
const dir = mkdtempSync(join(tmpdir(), 'sdtext-encode-schedule-'));

interface Stored {
  dims: number[];
  base64: string;
}
const SCHEDULES = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/schedules.json', import.meta.url), 'utf8')) as {
  webui: { name: string; prompts: string[]; negativePrompts: string[]; perStep: { cond: number; uncond: number }[]; tensors: Stored[] }[];
  comfy: { name: string; text: string; clipSetLastLayer: number | null; z: Stored }[];
};
const NAMES = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/embedding-names.json', import.meta.url), 'utf8')) as {
  comfy: { name: string; text: string; z: Stored }[];
};

const f32 = (b64: string): Float32Array => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), a.length === b.length ? 0 : Infinity);
async function tensor(file: string, name: string): Promise<{ shape: number[]; data: Float32Array }> {
  const t = (await loadSafetensors(file)).tensors.get(name);
  if (!t) throw new Error(`${file} has no ${name}`);
  return { shape: t.shape, data: toFloat32(t.dtype, t.data) };
}

describe('sdtext encode --steps', () => {
  it("writes webui's schedule: each entry's parts and negative, until_step in the metadata", async () => {
    const ref = SCHEDULES.webui.find((c) => c.name === 'issue')!; // "a [cat:dog:0.5] AND a tree:0.5", 10 steps
    const out = join(dir, 'issue.safetensors');
    const { code, stdout, stderr } = await runCli(['encode', ref.prompts[0]!, ...SD1, '--dialect', 'a1111', '--steps', '10', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('schedule: 2 entries');
    expect(stdout).toContain('  0: until step 5\n     prompt_embeds.0 [1, 77, 32] prompt 0, weight 1: "a cat"\n     prompt_embeds.1 [1, 77, 32] prompt 0, weight 0.5: " a tree"');
    const header = await loadSafetensorsHeader(out);
    expect(JSON.parse(header.metadata!['schedule']!)).toEqual([
      { until_step: 5, parts: [{ prompt: 0, weight: 1, text: 'a cat' }, { prompt: 0, weight: 0.5, text: ' a tree' }] },
      { until_step: 10, parts: [{ prompt: 0, weight: 1, text: 'a dog' }, { prompt: 0, weight: 0.5, text: ' a tree' }] },
    ]);
    let err = 0;
    for (const [entry, step] of [[0, 0], [0, 5], [1, 6], [1, 9]] as const) {
      const want = f32(ref.tensors[ref.perStep[step]!.cond]!.base64);
      const parts = [await tensor(out, `schedule.${entry}.prompt_embeds.0`), await tensor(out, `schedule.${entry}.prompt_embeds.1`)];
      err = Math.max(err, maxAbsDiff(new Float32Array([...parts[0]!.data, ...parts[1]!.data]), want));
      err = Math.max(err, maxAbsDiff((await tensor(out, `schedule.${entry}.negative_prompt_embeds`)).data, f32(ref.tensors[ref.perStep[step]!.uncond]!.base64)));
    }
    expect(err).toBeLessThan(6.1e-6); // about 3x the 2.0e-6 measured (tfjs)
  });

  it('asks for --steps where webui schedules, and checks the new options', async () => {
    const missing = await runCli(['encode', 'a [cat:dog:0.5]', ...SD1, '--dialect', 'a1111']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/pass `steps`/);
    expect((await runCli(['encode', 'a', ...SD1, '--hires-steps', '20'])).stderr).toContain('--hires-steps needs --steps');
    expect((await runCli(['encode', 'a', ...SD1, '--pad-cond-uncond'])).stderr).toContain('--pad-cond-uncond is webui\'s option: it needs --dialect a1111');
    expect((await runCli(['encode', 'a', ...SD1, '--steps', '0'])).stderr).toContain('--steps must be a positive integer, got "0"');
  });
});

describe("sdtext encode: webui's negative prompt, clip skip numbering, embeddings by name", () => {
  it('keeps the negative prompt at its own length by default; --pad-cond-uncond pads it as webui does', async () => {
    for (const [name, pad] of [['plain_long_prompt', false], ['plain_long_prompt_pad', true]] as const) {
      const ref = SCHEDULES.webui.find((c) => c.name === name)!;
      const out = join(dir, `${name}.safetensors`);
      const args = ['encode', ref.prompts[0]!, ...SD1, '--dialect', 'a1111', '--negative-prompt', ref.negativePrompts[0]!, '--out', out, ...(pad ? ['--pad-cond-uncond'] : [])];
      expect((await runCli(args)).code).toBe(0);
      const negative = await tensor(out, 'negative_prompt_embeds');
      expect(negative.shape).toEqual(ref.tensors[ref.perStep[0]!.uncond]!.dims);
      expect(maxAbsDiff(negative.data, f32(ref.tensors[ref.perStep[0]!.uncond]!.base64))).toBeLessThan(5.7e-6); // measured 1.9e-6
    }
  });

  it("reads --clip-skip as ComfyUI's CLIPSetLastLayer with --dialect comfy", async () => {
    const ref = SCHEDULES.comfy.find((c) => c.name === 'sd1_last_layer_m2')!;
    const out = join(dir, 'comfy-m2.safetensors');
    expect((await runCli(['encode', ref.text, ...SD1, '--dialect', 'comfy', '--clip-skip=-2', '--out', out])).code).toBe(0);
    expect(maxAbsDiff((await tensor(out, 'prompt_embeds')).data, f32(ref.z.base64))).toBeLessThan(6.3e-6); // measured 2.1e-6
    const wrong = await runCli(['encode', ref.text, ...SD1, '--dialect', 'comfy', '--clip-skip', '2']);
    expect(wrong.stderr).toContain("--clip-skip with --dialect comfy is CLIPSetLastLayer's layer, -1 (last) or below (write --clip-skip=-2)");
  });

  it('finds embeddings of an --embeddings folder by ComfyUI\'s embedding:name, and keeps --out out of it', async () => {
    const ref = NAMES.comfy.find((c) => c.name === 'sd1_found_in_subfolder')!;
    const out = join(dir, 'comfy-ti.safetensors');
    const { code, stderr } = await runCli(['encode', ref.text, ...SD1, '--dialect', 'comfy', '--embeddings', EMBEDDINGS, '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(maxAbsDiff((await tensor(out, 'prompt_embeds')).data, f32(ref.z.base64))).toBeLessThan(5.8e-6); // measured 1.9e-6
    const inside = await runCli(['encode', 'a', ...SD1, '--embeddings', EMBEDDINGS, '--out', join(EMBEDDINGS, 'x.safetensors')]);
    expect(inside.code).not.toBe(0);
    expect(inside.stderr).toMatch(/is inside --embeddings .*it would be read as an embedding, or replace one/);
  });

  it('says in --help which clip skip numbering applies', async () => {
    const encode = await runCli(['encode', '--help']);
    expect(encode.stdout).toContain('numbered as the prompt\'s front end numbers them');
    expect(encode.stdout).toContain('--pad-cond-uncond');
    expect((await runCli(['parse', '--help'])).stdout).toContain('comfy CLIPSetLastLayer (-1 = last layer');
  });
});
