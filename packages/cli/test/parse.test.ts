import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const MODELS = fileURLToPath(new URL('../../../models/fixtures/models/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdtext-parse-'));

describe('sdtext parse', () => {
  it("prints the issue's prompt as A1111 reads it: pieces, weights, two chunks", async () => {
    const { code, stdout } = await runCli(['parse', 'a (red:1.3) cat, [blurry] BREAK masterpiece']);
    expect(code).toBe(0);
    expect(stdout).toContain('  1.3000  "red"');
    expect(stdout).toContain('  0.9091  "blurry"');
    expect(stdout).toContain('chunks: 2 x 77 tokens (154 positions)');
    expect(stdout).toContain('  1: a</w> red</w>(1.3) cat</w> ,</w> blurry</w>(0.9091)\n  2: masterpiece</w>\n');
  });

  it('shows AND parts and the prompt-editing schedule over --steps', async () => {
    const { stdout } = await runCli(['parse', '[a dog:a cat:0.5] AND a tree :0.5', '--steps', '10']);
    expect(stdout).toContain('schedule over 10 steps:\n  AND part, weight 1:\n    until step   5: "a dog"\n    until step  10: "a cat"\n  AND part, weight 0.5:');
  });

  it('reads ComfyUI syntax, and prints JSON', async () => {
    const { code, stdout } = await runCli(['parse', 'a (red:1.3) cat, (big (blurry:0.5))', '--dialect', 'comfy', '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { pieces: { weight: number }[]; chunks: { weights: number[] }[] };
    expect(parsed.pieces.map((p) => p.weight)).toEqual([1, 1.3, 1, 1.1, 0.5]);
    expect(parsed.chunks).toHaveLength(1);
  });

  it('rejects an unknown dialect by listing the valid ones', async () => {
    const { code, stderr } = await runCli(['parse', 'x', '--dialect', 'novelai']);
    expect(code).toBe(2);
    expect(stderr).toContain('--dialect must be a1111 or comfy or compel, got "novelai"');
  });
});

describe('sdtext encode --dialect', () => {
  it('writes A1111 prompt embeddings equal to webui (reference made by its own code)', async () => {
    const refs = JSON.parse(readFileSync(new URL('../../prompt/test/fixtures/conditioning.json', import.meta.url), 'utf8')) as {
      a1111: { name: string; texts: string[]; z: { dims: number[]; base64: string } }[];
    };
    const ref = refs.a1111.find((r) => r.name === 'issue')!; // sd1-tiny, SD1 tokenizer
    const out = join(dir, 'a1111.safetensors');
    const args = ['encode', ref.texts[0]!, '--model', join(MODELS, 'sd1-tiny', 'text_model'), '--tokenizer', 'sd1', '--dialect', 'a1111', '--out', out];
    const { code, stdout, stderr } = await runCli(args);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('prompt_embeds [1, 154, 32], negative_prompt_embeds [1, 77, 32]'); // webui's default: no padding
    const written = (await loadSafetensors(out)).tensors.get('prompt_embeds')!;
    const expected = Buffer.from(ref.z.base64, 'base64');
    const want = new Float32Array(expected.buffer.slice(expected.byteOffset, expected.byteOffset + expected.byteLength));
    const got = toFloat32(written.dtype, written.data);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1.8e-5); // measured 5.7e-6
  });
});
