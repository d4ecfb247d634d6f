#!/usr/bin/env node
// Many prompts (issue 17): `sdtext embed` against transformers.js feeding the same captions in
// batches, on the SD2-shaped random checkpoint; and the ONNX engine's opt-in dtype 'q8' against
// fp32 (speed, peak memory, and what it costs in accuracy on the 169 golden prompts).
//
//   pnpm turbo run build --filter=@sdtext/cli... --filter=@sdtext/onnx...
//   node scripts/make-random-checkpoint.mjs --model sd2          # models/generated/sd2-random
//   node scripts/export-onnx.mjs models/generated/sd2-random --subfolder text_encoder --variant fp16 --out models/generated/sd2-random-onnx
//   node apps/bench/embed-bench.mjs [--count 2000] [--pooled-count 10000] [--batch 16] [--threads 2] [--only embed|q8]
//
// Captions: a deterministic generator with a caption-like length distribution (word counts drawn
// from a log-normal fit to web alt-text captions: median 11 words, 5% over 40, some over 77
// tokens) and 5% exact duplicates. Each library runs in its own fresh process, one after the
// other; prompts/s counts from the first batch to the last (model loading excluded, reported apart).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_DIR, REPO_DIR, runSelf } from './bench-lib.mjs';

const here = BENCH_DIR;
const root = REPO_DIR;
const GENERATED = path.join(root, 'models/generated');
const CHECKPOINT = path.join(GENERATED, 'sd2-random');
const EXPORT_ID = 'sd2-random-onnx';
const CLI = path.join(root, 'packages/cli/dist/bin.js');
const ONNX_DIST = path.join(root, 'packages/onnx/dist/index.js');
const TOKENIZER_DIST = path.join(root, 'packages/tokenizer/dist/index.js');
const HF_TOKENIZER = path.join(here, '.cache/clip-sd2-tokenizer');
const WORK = path.join(GENERATED, '.embed-bench');

const { values: args } = parseArgs({
  options: {
    child: { type: 'string' },
    count: { type: 'string', default: '2000' },
    'pooled-count': { type: 'string', default: '10000' },
    batch: { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
    only: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
    mode: { type: 'string' },
    dtype: { type: 'string' },
  },
});
const threads = Number(args.threads);
const batch = Number(args.batch);

const WORDS = (
  'a the of and in on with at by photo portrait painting illustration close-up view woman man girl boy cat dog bird horse car ' +
  'house city street forest mountain river lake beach sea sky sunset night morning light shadow red blue green yellow black white ' +
  'golden old young small big beautiful dark bright soft detailed cinematic dramatic vintage modern wooden stone glass metal ' +
  'sitting standing walking running holding looking wearing dress hat coat flowers tree trees field garden window table book ' +
  'coffee food plate bowl fruit snow rain fog cloud clouds water reflection 4k 8k hdr trending artstation oil watercolor sketch ' +
  'digital art style by artist highly realistic photorealistic studio lighting bokeh depth field lens 35mm 85mm film grain'
).split(' ');

function* rng(seed) {
  let s = seed >>> 0;
  for (;;) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    yield ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** `count` captions: log-normal word counts (median 11, sigma 0.7, at most 90 words), 5% repeats of earlier ones. */
export function makeCaptions(count, seed = 1) {
  const r = rng(seed);
  const next = () => r.next().value;
  const out = [];
  for (let i = 0; i < count; i++) {
    if (i > 10 && next() < 0.05) {
      out.push(out[Math.floor(next() * out.length)]);
      continue;
    }
    const gauss = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const words = Math.max(2, Math.min(90, Math.round(Math.exp(Math.log(11) + 0.7 * gauss))));
    out.push(Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' '));
  }
  return out;
}

const memory = () => {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
};

/** transformers.js: AutoTokenizer + CLIPTextModel on the standard export, the captions in batches. */
async function transformersChild() {
  const { AutoTokenizer, CLIPTextModel, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = GENERATED + '/';
  const captions = fs.readFileSync(args.input, 'utf8').split('\n').filter((l) => l !== '');
  let t = performance.now();
  const tokenizer = await AutoTokenizer.from_pretrained(pathToFileURL(HF_TOKENIZER + '/').pathname, { local_files_only: true });
  const model = await CLIPTextModel.from_pretrained(EXPORT_ID, {
    dtype: 'fp32',
    device: 'cpu',
    local_files_only: true,
    model_file_name: 'model',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  const loadMs = performance.now() - t;
  const pooled = args.mode === 'pooled';
  t = performance.now();
  let checksum = 0;
  for (let i = 0; i < captions.length; i += batch) {
    const texts = captions.slice(i, i + batch);
    const inputs = tokenizer(texts, pooled ? { padding: true, truncation: true, max_length: 77 } : { padding: 'max_length', truncation: true, max_length: 77 });
    const out = await model(inputs);
    checksum += (pooled ? out.pooler_output : out.last_hidden_state).data[0];
  }
  const seconds = (performance.now() - t) / 1000;
  console.log(JSON.stringify({ library: 'transformers.js', mode: args.mode, prompts: captions.length, loadMs, seconds, promptsPerSecond: captions.length / seconds, checksum, ...memory() }));
}

/** sdtext embed, in a child process: its own report gives prompts/s after loading. */
function sdtextRun(input, mode, dtype, out) {
  fs.rmSync(out, { recursive: true, force: true });
  const t = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, CLI, 'embed', '--input', input, '--model', path.join(CHECKPOINT, 'text_encoder'), '--variant', 'fp16', '--out', out, '--engine', 'onnx', '--batch-size', String(batch), '--shard-size', '1000', '--output', mode, '--dtype', dtype],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env } },
  );
  const wall = (performance.now() - t) / 1000;
  const report = /(\d+) prompts in ([\d.]+) s \(([\d.]+) prompts\/s\)/.exec(r.stderr);
  if (r.status !== 0 || !report) throw new Error(`sdtext embed failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const peakMB = Number(r.stderr.trim().split('\n').at(-1)) / 1024;
  return { library: `sdtext embed (onnx, ${dtype})`, mode, prompts: Number(report[1]), seconds: Number(report[2]), promptsPerSecond: Number(report[3]), wallSeconds: wall, peakMB };
}

function transformersRun(input, mode) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, fileURLToPath(import.meta.url), '--child', 'transformers', '--input', input, '--mode', mode, '--batch', String(batch), '--threads', String(threads)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    cwd: here,
  });
  if (r.status !== 0) throw new Error(`transformers.js child failed:\n${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').at(-1);
  return { ...JSON.parse(line), peakMB: Number(r.stderr.trim().split('\n').at(-1)) / 1024 };
}

/** q8 against fp32 on the golden prompts: per-token cosine and max |diff|, and cosine similarities between pooled outputs of prompt pairs. */
async function q8ErrorChild() {
  const { OnnxCLIPTextModel } = await import(pathToFileURL(ONNX_DIST).href);
  const { CLIPTokenizer } = await import(pathToFileURL(TOKENIZER_DIST).href);
  const cases = JSON.parse(fs.readFileSync(path.join(root, 'models/fixtures/tokenizer/cases.json'), 'utf8'));
  const texts = cases.modes['!'].results.map((r) => r.text);
  const { inputIds } = CLIPTokenizer.fromPreset('sd2').encode(texts, { padding: 'max_length', truncation: true });
  const run = async (dtype) => {
    const m = await OnnxCLIPTextModel.fromPretrained(CHECKPOINT, { subfolder: 'text_encoder', variant: 'fp16', threads, cache: false, dtype });
    const hidden = [];
    const pooled = [];
    for (let i = 0; i < inputIds.length; i += 16) {
      const out = await m.encode({ inputIds: inputIds.slice(i, i + 16) });
      hidden.push(out.lastHiddenState.data);
      pooled.push(out.poolerOutput.data);
    }
    await m.dispose();
    const cat = (xs) => Float32Array.from(xs.flatMap((x) => Array.from(x)));
    return { hidden: cat(hidden), pooled: cat(pooled) };
  };
  const a = await run('fp32');
  const b = await run('q8');
  const H = a.pooled.length / texts.length;
  const cos = (x, xi, y, yi) => {
    let xy = 0, xx = 0, yy = 0;
    for (let k = 0; k < H; k++) {
      xy += x[xi * H + k] * y[yi * H + k];
      xx += x[xi * H + k] ** 2;
      yy += y[yi * H + k] ** 2;
    }
    return xy / Math.sqrt(xx * yy);
  };
  const tokens = a.hidden.length / H;
  let minTokenCos = 1, meanTokenCos = 0, maxAbs = 0, maxRef = 0;
  for (let t = 0; t < tokens; t++) {
    const c = cos(a.hidden, t, b.hidden, t);
    minTokenCos = Math.min(minTokenCos, c);
    meanTokenCos += c / tokens;
  }
  for (let i = 0; i < a.hidden.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a.hidden[i] - b.hidden[i]));
    maxRef = Math.max(maxRef, Math.abs(a.hidden[i]));
  }
  let maxPairDelta = 0;
  let minPairCos = 1;
  let meanPairCos = 0;
  let pairs = 0;
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const fp32 = cos(a.pooled, i, a.pooled, j);
      maxPairDelta = Math.max(maxPairDelta, Math.abs(fp32 - cos(b.pooled, i, b.pooled, j)));
      minPairCos = Math.min(minPairCos, fp32);
      meanPairCos += fp32;
      pairs++;
    }
  }
  // How alike the model finds different prompts at all (random weights: far more alike than a trained CLIP).
  const spread = { minPairCosineFp32: minPairCos, meanPairCosineFp32: meanPairCos / pairs };
  console.log(JSON.stringify({ prompts: texts.length, minTokenCos, meanTokenCos, maxAbs, maxRef, maxPairCosineDelta: maxPairDelta, ...spread }));
}

async function main() {
  if (args.child === 'transformers') return transformersChild();
  if (args.child === 'q8-error') return q8ErrorChild();
  fs.mkdirSync(WORK, { recursive: true });
  for (const need of [path.join(CHECKPOINT, 'text_encoder', 'model.fp16.safetensors'), path.join(GENERATED, EXPORT_ID, 'onnx', 'model.onnx'), CLI, HF_TOKENIZER]) {
    if (!fs.existsSync(need)) throw new Error(`missing ${need}: see the header of this script (the HF tokenizer folder is written by pnpm --filter @sdtext/bench bench:tokenizer)`);
  }
  const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadBefore: os.loadavg().map((x) => x.toFixed(2)) };
  const results = { machine, batch, threads, runs: [] };
  const write = (name, captions) => {
    const file = path.join(WORK, name);
    fs.writeFileSync(file, captions.join('\n') + '\n');
    return file;
  };
  if (args.only !== 'q8') {
    const embeds = write(`captions-${args.count}.txt`, makeCaptions(Number(args.count)));
    results.runs.push(sdtextRun(embeds, 'embeds', 'fp32', path.join(WORK, 'out-embeds')));
    results.runs.push(transformersRun(embeds, 'embeds'));
    const pooled = write(`captions-${args['pooled-count']}.txt`, makeCaptions(Number(args['pooled-count'])));
    results.runs.push(sdtextRun(pooled, 'pooled', 'fp32', path.join(WORK, 'out-pooled')));
    results.runs.push(transformersRun(pooled, 'pooled'));
  }
  if (args.only !== 'embed') {
    const embeds = write(`captions-${args.count}.txt`, makeCaptions(Number(args.count)));
    results.runs.push(sdtextRun(embeds, 'embeds', 'q8', path.join(WORK, 'out-q8')));
    if (args.only === 'q8') results.runs.push(sdtextRun(embeds, 'embeds', 'fp32', path.join(WORK, 'out-embeds')));
    results.q8Error = runSelf(import.meta.url, ['--child', 'q8-error', '--threads', String(threads)]);
  }
  results.machine.loadAfter = os.loadavg().map((x) => x.toFixed(2));
  const file = path.join(here, 'results', 'embed.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(JSON.stringify(results, null, 2));
}

await main();
