import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { jobSlice } from '../src/embed/job-slice.js';
import type { ShardIndex } from '../src/embed/shard-files.js';
import { runCli } from './run-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MODELS = join(ROOT, 'models', 'fixtures', 'models');
const EXAMPLES = join(ROOT, 'models', 'examples');
const SD2 = join(MODELS, 'sd2-tiny', 'text_model');
const dir = mkdtempSync(join(tmpdir(), 'sdtext-embed-'));

/** Every shard of a folder, in order: the rows of each tensor concatenated, and the indexes. */
async function merged(folder: string): Promise<{ tensors: Map<string, { shape: number[]; data: Float32Array }>; rows: ShardIndex['rows']; indexes: ShardIndex[] }> {
  const names = readdirSync(folder).filter((n) => /^shard-\d{5}\.json$/.test(n)).sort();
  const indexes = names.map((n) => JSON.parse(readFileSync(join(folder, n), 'utf8')) as ShardIndex);
  const parts = new Map<string, { shape: number[]; chunks: Float32Array[] }>();
  for (const name of names) {
    const file = await loadSafetensors(join(folder, name.replace(/\.json$/, '.safetensors')));
    for (const [key, t] of file.tensors) {
      const part = parts.get(key) ?? { shape: t.shape.slice(1), chunks: [] };
      part.chunks.push(toFloat32(t.dtype, t.data));
      parts.set(key, part);
    }
  }
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [key, { shape, chunks }] of parts) {
    const data = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }
    tensors.set(key, { shape: [data.length / shape.reduce((a, b) => a * b, 1), ...shape], data });
  }
  return { tensors, rows: indexes.flatMap((i) => i.rows), indexes };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function captions(): string[] {
  return readFileSync(join(EXAMPLES, 'captions.txt'), 'utf8').trim().split('\n');
}

describe('sdtext embed', () => {
  it('equals sdtext encode, row for row, from .txt, .jsonl and .csv alike; duplicates encoded once', async () => {
    const outs: string[] = [];
    for (const file of ['captions.txt', 'captions.jsonl', 'captions.csv']) {
      const out = join(dir, `formats-${file}`);
      const { code, stderr } = await runCli(['embed', '--input', join(EXAMPLES, file), '--model', SD2, '--out', out, '--shard-size', '8', '--engine', 'onnx']);
      expect(stderr).toMatch(/30 prompts in 4 shards of 8/);
      expect(code).toBe(0);
      outs.push(out);
    }
    const [txt, jsonl, csv] = await Promise.all(outs.map(merged));
    expect(txt!.rows.map((r) => r.prompt)).toEqual(captions());
    expect(jsonl!.tensors.get('prompt_embeds')!.data).toEqual(txt!.tensors.get('prompt_embeds')!.data);
    expect(csv!.tensors.get('prompt_embeds')!.data).toEqual(txt!.tensors.get('prompt_embeds')!.data);
    expect(csv!.rows.map((r) => r.line)).toEqual(captions().map((_, i) => i + 2)); // after the header
    // "a photo of a cat" is rows 0, 7 and 20: shard 0 holds two of them, encoded once.
    expect(txt!.indexes[0]!.distinct).toBe(7);

    // sdtext encode on the same prompts, one call: the same prompt_embeds.
    const ref = join(dir, 'encode-ref.safetensors');
    const encoded = await runCli(['encode', ...captions(), '--model', SD2, '--engine', 'onnx', '--clip-skip', '0', '--out', ref]);
    expect(encoded.code).toBe(0);
    const want = toFloat32('F32', (await loadSafetensors(ref)).tensors.get('prompt_embeds')!.data);
    const got = txt!.tensors.get('prompt_embeds')!;
    expect(got.shape).toEqual([30, 77, 32]);
    expect(maxAbsDiff(got.data, want)).toBeLessThan(1e-6); // the same rows: equal here (0); 1e-6 is a few float32 ulps
  });

  it('--output pooled pads each batch only to its longest prompt, and gives the 77-padded pooler_output', async () => {
    const out = join(dir, 'pooled');
    expect((await runCli(['embed', '--input', join(EXAMPLES, 'captions.txt'), '--model', SD2, '--out', out, '--output', 'pooled', '--engine', 'onnx'])).code).toBe(0);
    const ref = join(dir, 'pooled-ref.safetensors');
    expect((await runCli(['encode', ...captions(), '--model', SD2, '--engine', 'onnx', '--out', ref])).code).toBe(0);
    const want = toFloat32('F32', (await loadSafetensors(ref)).tensors.get('pooler_output')!.data);
    const got = (await merged(out)).tensors.get('pooler_output')!;
    expect(got.shape).toEqual([30, 32]);
    expect(maxAbsDiff(got.data, want)).toBeLessThan(1e-6); // the same rows: equal here (0); 1e-6 is a few float32 ulps
  });

  it('--dialect writes one tensor per row, equal to sdtext encode --dialect', async () => {
    const input = join(dir, 'dialect.txt');
    const prompts = ['a (red:1.3) cat, [blurry]', 'masterpiece BREAK a dog', 'a (red:1.3) cat, [blurry]'];
    writeFileSync(input, prompts.join('\n') + '\n');
    const out = join(dir, 'dialect');
    expect((await runCli(['embed', '--input', input, '--model', SD2, '--out', out, '--dialect', 'a1111', '--engine', 'onnx'])).code).toBe(0);
    const file = await loadSafetensors(join(out, 'shard-00000.safetensors'));
    expect([...file.tensors.keys()].sort()).toEqual(['prompt_embeds.0', 'prompt_embeds.1', 'prompt_embeds.2']);
    expect(file.tensors.get('prompt_embeds.1')!.shape).toEqual([1, 154, 32]);
    for (const [i, prompt] of prompts.entries()) {
      const ref = join(dir, `dialect-ref-${i}.safetensors`);
      expect((await runCli(['encode', prompt, '--model', SD2, '--engine', 'onnx', '--dialect', 'a1111', '--out', ref])).code).toBe(0);
      const want = toFloat32('F32', (await loadSafetensors(ref)).tensors.get('prompt_embeds')!.data);
      expect(maxAbsDiff(toFloat32('F32', file.tensors.get(`prompt_embeds.${i}`)!.data), want)).toBeLessThan(1e-6);
    }
  });

  it('resumes: finished shards are kept; other options or another input are refused', async () => {
    const out = join(dir, 'resume');
    const args = ['embed', '--input', join(EXAMPLES, 'captions.txt'), '--model', SD2, '--out', out, '--shard-size', '10', '--engine', 'onnx'];
    expect((await runCli(args)).code).toBe(0);
    const again = await runCli(args);
    expect(again.stderr).toMatch(/0 shards written, 3 already done/);
    const other = await runCli([...args, '--clip-skip', '1']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/shard-00000\.json was written with clipSkip null \(now 1\)/);
    const changed = join(dir, 'changed.txt');
    writeFileSync(changed, ['another prompt', ...captions().slice(1)].join('\n'));
    const moved = await runCli(['embed', '--input', changed, ...args.slice(3)]);
    expect(moved.stderr).toMatch(/holds other prompts than rows 0-9 of the input: the input changed/);
  });

  it('names the file and line of a bad JSON line, and a CSV without a prompt column', async () => {
    const jsonl = join(dir, 'bad.jsonl');
    writeFileSync(jsonl, '"ok"\n{"caption": "fine"}\n{"caption": 3}\n');
    const bad = await runCli(['embed', '--input', jsonl, '--model', SD2, '--out', join(dir, 'bad')]);
    expect(bad.stderr).toContain(`${jsonl}:3: field "caption" is not a string`);
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'file,label\na.png,"a cat, sitting"\n');
    expect((await runCli(['embed', '--input', csv, '--model', SD2, '--out', join(dir, 'bad2')])).stderr).toMatch(/has no prompt, caption or text column; name it with --field/);
    const quoted = join(dir, 'quoted.csv');
    writeFileSync(quoted, 'file,caption\na.png,"a cat, ""sitting""\non two lines"\nb.png,plain\n');
    const ok = await runCli(['embed', '--input', quoted, '--model', SD2, '--out', join(dir, 'quoted'), '--engine', 'onnx']);
    expect(ok.code).toBe(0);
    expect((await merged(join(dir, 'quoted'))).rows).toEqual([
      { row: 0, line: 2, prompt: 'a cat, "sitting"\non two lines' },
      { row: 1, line: 4, prompt: 'plain' },
    ]);
  });

  it('refuses to write shards inside the model folder', async () => {
    const { code, stderr } = await runCli(['embed', '--input', join(EXAMPLES, 'captions.txt'), '--model', SD2, '--out', join(SD2, 'embeddings')]);
    expect(code).toBe(1);
    expect(stderr).toContain('is inside the model');
    expect(existsSync(join(SD2, 'embeddings'))).toBe(false);
  });
});

describe('job slices', () => {
  it('reads --shard I/N, Kubernetes and Slurm variables, and refuses nonsense', () => {
    expect(jobSlice('1/3', {})).toMatchObject({ index: 1, count: 3 });
    expect(jobSlice(undefined, { JOB_COMPLETION_INDEX: '2', JOB_COMPLETION_COUNT: '4' })).toMatchObject({ index: 2, count: 4 });
    expect(jobSlice(undefined, { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '3' })).toMatchObject({ index: 2, count: 3 });
    expect(jobSlice(undefined, {})).toMatchObject({ index: 0, count: 1 });
    expect(() => jobSlice('3/3', {})).toThrow(/below the job count/);
    expect(() => jobSlice('1-3', {})).toThrow(/--shard must be I\/N/);
    expect(() => jobSlice(undefined, { JOB_COMPLETION_INDEX: '0' })).toThrow(/JOB_COMPLETION_COUNT is not/);
  });
});

describe('three jobs as separate processes, one killed and resumed', () => {
  const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

  function run(args: string[], env: Record<string, string> = {}, killWhen?: (out: string) => boolean, out?: string) {
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (killWhen && out && killWhen(stderr)) child.kill('SIGKILL');
      });
      child.on('close', (code, signal) => resolve({ code, signal, stderr }));
    });
  }

  it('the merged shards equal one run, bit for bit', async () => {
    const input = join(dir, 'many.txt');
    const base = captions();
    // 300 prompts of realistic lengths (the examples, each with a varying tail).
    writeFileSync(input, Array.from({ length: 300 }, (_, i) => `${base[i % base.length]}, variation ${Math.floor(i / base.length)}`).join('\n') + '\n');
    const common = ['embed', '--input', input, '--model', SD2, '--shard-size', '5', '--engine', 'onnx'];
    const single = join(dir, 'single');
    expect((await run([...common, '--out', single])).code).toBe(0);

    const shared = join(dir, 'three-jobs');
    // Job 1 is killed as soon as its first shard is written; jobs 0 and 2 run as a Kubernetes Indexed Job would.
    const [a, b, c] = await Promise.all([
      run([...common, '--out', shared], { JOB_COMPLETION_INDEX: '0', JOB_COMPLETION_COUNT: '3' }),
      run([...common, '--out', shared, '--shard', '1/3'], {}, (err) => /shard-\d+ written/.test(err), shared),
      run([...common, '--out', shared], { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3' }),
    ]);
    expect([a.code, c.code]).toEqual([0, 0]);
    expect(b.signal).toBe('SIGKILL');
    const resumed = await run([...common, '--out', shared, '--shard', '1/3']);
    expect(resumed.code).toBe(0);
    const [, written, kept] = /(\d+) shards written, (\d+) already done/.exec(resumed.stderr)!;
    expect(Number(kept)).toBeGreaterThan(0); // what the killed job finished was kept
    expect(Number(written) + Number(kept)).toBe(20);

    const one = await merged(single);
    const three = await merged(shared);
    expect(three.rows).toEqual(one.rows);
    expect(three.tensors.get('prompt_embeds')!.shape).toEqual([300, 77, 32]);
    expect(three.tensors.get('prompt_embeds')!.data).toEqual(one.tensors.get('prompt_embeds')!.data);
  }, 120_000);
});

describe('embed refuses bad options before it reads or writes anything', () => {
  it('--out that is the --input file (or any file), and an unknown --dtype', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdtext-embed-bad-'));
    const input = join(dir, 'c.txt');
    writeFileSync(input, 'a cat\na dog\n');
    const same = await runCli(['embed', '--input', input, '--model', SD2, '--out', input]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/--out .*c\.txt is the --input file: embed writes a folder of shards/);
    expect(readFileSync(input, 'utf8')).toBe('a cat\na dog\n');
    const q4 = await runCli(['embed', '--input', input, '--model', SD2, '--out', join(dir, 'o'), '--dtype', 'q4']);
    expect(q4.code).toBe(2);
    expect(q4.stderr).toMatch(/^sdtext embed: --dtype must be fp32 or q8, got "q4"/);
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });
});
