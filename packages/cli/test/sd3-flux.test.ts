import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { T5Tokenizer } from '@sdtext/tokenizer/t5';
import { writeRepo } from '../../pipeline/test/helpers/fixture-repos.js';
import { fluxRepo, sd3Repo, stackReferences, type StackReferences } from '../../pipeline/test/helpers/t5-repos.js';
import { runCli } from './run-cli.js';

const FIXTURES = fileURLToPath(new URL('../../../models/fixtures/', import.meta.url));
const T5_TOKENIZER = join(FIXTURES, 't5-tokenizer', 't5-nobf');
const dir = mkdtempSync(join(tmpdir(), 'sdtext-cli-sd3-'));
let sd3Folder = '';
let fluxFolder = '';
let sd3: StackReferences;
let flux: StackReferences;

beforeAll(async () => {
  sd3Folder = await writeRepo(join(dir, 'sd3'), await sd3Repo());
  fluxFolder = await writeRepo(join(dir, 'flux'), await fluxRepo());
  [sd3, flux] = await Promise.all([stackReferences('sd3'), stackReferences('flux')]);
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The written tensors against the references: about 3x the pipeline's worst (docs/sd3-flux.md). */
async function expectWritten(out: string, refs: StackReferences, expected: Record<string, string>): Promise<void> {
  const written = (await loadSafetensors(out)).tensors;
  expect([...written.keys()].sort()).toEqual(Object.keys(expected).sort());
  for (const [name, key] of Object.entries(expected)) {
    const t = written.get(name)!;
    const r = refs.tensors.get(key)!;
    expect(t.shape, name).toEqual(r.shape);
    expect(maxAbsDiff(Float32Array.from(toFloat32(t.dtype, t.data)), r.data), name).toBeLessThan(4e-5);
  }
}

describe('sdtext tokenize --tokenizer t5', () => {
  it('tokenizes as T5TokenizerFast: </s> appended, <pad> to --max-length, the cut text warned', async () => {
    const t5 = await T5Tokenizer.fromPretrained(T5_TOKENIZER);
    const text = 'a photo of a cat';
    const { code, stdout, stderr } = await runCli(['tokenize', text, '--tokenizer', `t5:${T5_TOKENIZER}`, '--max-length', '12', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [row] = JSON.parse(stdout) as { tokens: string[]; ids: number[]; input_ids: number[]; attention_mask: number[] }[];
    const ids = t5.encode(text).inputIds;
    expect(row!.tokens).toEqual(t5.tokenize(text));
    expect(row!.input_ids).toEqual([...ids, ...new Array<number>(12 - ids.length).fill(0)]);
    expect(ids.at(-1)).toBe(1);
    expect(row!.attention_mask.filter((m) => m === 1)).toHaveLength(ids.length);

    // An SD3 folder's tokenizer_3; the text view; a cut prompt named on stderr.
    const long = await runCli(['tokenize', 'a photo of a cat in a garden at dawn', '--tokenizer', `t5:${sd3Folder}`, '--max-length', '5']);
    expect(long.code).toBe(0);
    expect(long.stdout).toContain('pad "<pad>"=0');
    const cut = t5.encode('a photo of a cat in a garden at dawn').inputIds;
    expect(long.stderr).toBe(`warning: text 1 was truncated to 5 tokens; T5 never sees the last ${cut.length - 5}: "${t5.decode(cut.slice(4, -1))}"\n`);
  });

  it('says where a T5 vocabulary must come from', async () => {
    const bare = await runCli(['tokenize', 'a', '--tokenizer', 't5']);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('--tokenizer t5 needs where its vocabulary is: --tokenizer t5:PATH');
    const none = await runCli(['tokenize', 'a', '--tokenizer', `t5:${join(FIXTURES, 'models')}`]);
    expect(none.stderr).toContain('no T5 tokenizer (tokenizer.json or spiece.model) at its root, in tokenizer_3 or in tokenizer_2');
  });
});

describe.each(['tfjs', 'onnx'] as const)('sdtext encode on SD3 and Flux, --engine %s', (engine) => {
  it("an SD3 folder writes StableDiffusion3Pipeline.encode_prompt's outputs", async () => {
    const out = join(dir, `sd3-${engine}.safetensors`);
    const { code, stdout, stderr } = await runCli(['encode', 'a photo of a cat', '--model', sd3Folder, '--negative-prompt', '', '--engine', engine, '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('prompt_embeds [1, 333, 80]');
    expect(stdout).toContain(`T5: ${engine}`);
    await expectWritten(out, sd3, {
      prompt_embeds: 'basic.prompt_embeds',
      negative_prompt_embeds: 'basic.negative_prompt_embeds',
      pooled_prompt_embeds: 'basic.pooled_prompt_embeds',
      negative_pooled_prompt_embeds: 'basic.negative_pooled_prompt_embeds',
    });
  });

  it("ComfyUI's separate files (--clip-l --clip-g --t5 --t5-tokenizer) and a Flux folder", async () => {
    const config = join(dir, 'configs.json');
    writeFileSync(config, JSON.stringify({ clip_l: { num_attention_heads: 4 }, clip_g: { num_attention_heads: 2 } }));
    const out = join(dir, `files-${engine}.safetensors`);
    const files = await runCli([
      'encode', 'a photo of a cat', '--negative-prompt', 'blurry', '--max-sequence-length', '48', '--engine', engine, '--out', out,
      '--clip-l', join(FIXTURES, 'models/sd1-tiny/text_model/model.safetensors'),
      '--clip-g', join(FIXTURES, 'models/sd2-tiny/text_model_with_projection/model.safetensors'),
      '--t5', join(FIXTURES, 'sd3/text_encoder_3/model.safetensors'),
      '--t5-tokenizer', T5_TOKENIZER, '--text-encoder-config', config,
    ]);
    expect(files.stderr).toBe('');
    expect(files.code).toBe(0);
    await expectWritten(out, sd3, {
      prompt_embeds: 'single_file_clip_l.prompt_embeds',
      negative_prompt_embeds: 'single_file_clip_l.negative_prompt_embeds',
      pooled_prompt_embeds: 'single_file_clip_l.pooled_prompt_embeds',
      negative_pooled_prompt_embeds: 'single_file_clip_l.negative_pooled_prompt_embeds',
    });

    const fluxOut = join(dir, `flux-${engine}.safetensors`);
    const fluxRun = await runCli(['encode', 'a photo of a cat', '--model', fluxFolder, '--engine', engine, '--out', fluxOut]);
    expect(fluxRun.code).toBe(0);
    expect(fluxRun.stdout).toContain('prompt_embeds [1, 512, 80], pooled_prompt_embeds [1, 32], text_ids [512, 3]');
    await expectWritten(fluxOut, flux, { prompt_embeds: 'basic.prompt_embeds', pooled_prompt_embeds: 'basic.pooled_prompt_embeds', text_ids: 'basic.text_ids' });
  });
});

describe('sdtext encode --dtype q8 on SD3: T5 quantized too', () => {
  const files = (): string[] => [
    '--clip-l', join(FIXTURES, 'models/sd1-tiny/text_model/model.safetensors'),
    '--clip-g', join(FIXTURES, 'models/sd2-tiny/text_model_with_projection/model.safetensors'),
    '--t5', join(FIXTURES, 'sd3/text_encoder_3/model.safetensors'),
    '--t5-tokenizer', T5_TOKENIZER,
  ];

  it("ComfyUI's separate files: T5's rows of prompt_embeds are q8's (close to fp32, not equal); tfjs refuses q8", async () => {
    const config = join(dir, 'configs-q8.json');
    writeFileSync(config, JSON.stringify({ clip_l: { num_attention_heads: 4 }, clip_g: { num_attention_heads: 2 } }));
    const out = join(dir, 'files-q8.safetensors');
    const run = await runCli(['encode', 'a photo of a cat', '--max-sequence-length', '48', '--engine', 'onnx', '--dtype', 'q8', '--out', out, ...files(), '--text-encoder-config', config]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const t = (await loadSafetensors(out)).tensors.get('prompt_embeds')!;
    const r = sd3.tensors.get('single_file_clip_l.prompt_embeds')!;
    expect(t.shape).toEqual(r.shape); // [1, 77 + 48, 80]: the CLIPs' 77 rows, then T5's
    const width = t.shape[2]!;
    const t5Diff = maxAbsDiff(Float32Array.from(toFloat32(t.dtype, t.data)).slice(77 * width), r.data.slice(77 * width));
    // fp32 equals the reference within 4e-5 (above; without --dtype reaching T5 these rows differ by 1.3e-6); q8 measured 0.067, bound 3x.
    expect(t5Diff).toBeGreaterThan(1e-3);
    expect(t5Diff).toBeLessThan(0.2);

    const tfjs = await runCli(['encode', 'a photo of a cat', '--engine', 'tfjs', '--dtype', 'q8', '--out', join(dir, 'no.safetensors'), ...files(), '--text-encoder-config', config]);
    expect(tfjs.code).not.toBe(0);
    expect(tfjs.stderr).toContain('dtype "q8" runs on the onnx engine only');
  });
});

describe('sdtext encode / inspect: SD3 and Flux messages and module trees', () => {
  it('refuses what SD3 / Flux do not take, naming it', async () => {
    const ids = await runCli(['encode', 'a', '--model', sd3Folder, '--hidden-states', '--engine', 'tfjs']);
    expect(ids.stderr).toContain('--input-ids, --hidden-states and --steps show one CLIP pass or a webui schedule; SD3 writes encode_prompt\'s embeddings');
    const both = await runCli(['encode', 'a', '--model', sd3Folder, '--clip-l', 'x.safetensors']);
    expect(both.stderr).toContain("give --model, or --clip-l/--clip-g/--t5 (ComfyUI's separate files), not both");
    const tok = await runCli(['encode', 'a', '--model', sd3Folder, '--t5-tokenizer', T5_TOKENIZER, '--engine', 'tfjs']);
    expect(tok.stderr).toContain('--t5-tokenizer applies to SD3 / Flux files');
    const long = await runCli(['encode', 'a', '--model', fluxFolder, '--max-sequence-length', '600', '--engine', 'tfjs']);
    expect(long.stderr).toContain('`maxSequenceLength` cannot be greater than 512 but is 600');
  });

  it('inspect prints each SD3 encoder, T5 as its module tree, and a lone T5 file from its header', async () => {
    const { code, stdout } = await runCli(['inspect', sd3Folder]);
    expect(code).toBe(0);
    expect(stdout).toContain('Stable Diffusion 3 text encoders in');
    expect(stdout).toContain('text_encoder_3:\nT5EncoderModel in');
    expect(stdout).toContain('d_model=80 num_layers=2 num_heads=2 d_kv=16 d_ff=48');
    expect(stdout).toContain('(relative_attention_bias): Embedding(32, 2)');
    expect(stdout).toContain('(wi_0): Linear(in_features=80, out_features=48, bias=False)');
    expect(stdout).toContain('model.safetensors: F16 (');
    expect(stdout.match(/CLIPTextModelWithProjection in/g)).toHaveLength(2);
    const file = await runCli(['inspect', join(FIXTURES, 'flux/text_encoder_2/model.safetensors')]);
    expect(file.code).toBe(0);
    expect(file.stdout).toContain('(config read off its shapes)');
    expect(file.stdout).toContain('BF16 (');
    expect(file.stdout).toContain('T5EncoderModel(\n  (shared): Embedding(2128, 80)');
  });
});
