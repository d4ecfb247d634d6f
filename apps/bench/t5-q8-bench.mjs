#!/usr/bin/env node
// The T5 encoder's opt-in dtype 'q8' against fp32 on onnxruntime-node (issue 17, item 4), on a
// T5-shaped random checkpoint: load time, encode speed at SD3's 1 x 256 and 2 x 256 and Flux's
// 1 x 512, peak RSS, and what q8 costs in accuracy on the 169 golden prompts padded to 256.
//
//   pnpm turbo run build --filter=@sdtext/onnx... --filter=@sdtext/tokenizer...
//   /usr/bin/python3 scripts/t5/make-random-t5.py models/generated/t5-large-random --preset large   # 0.68 GB bf16
//   node apps/bench/t5-q8-bench.mjs [--model models/generated/t5-large-random] [--threads 2] [--runs 3] [--rounds 2] [--only speed|error] [--variants fp32,float32,q8] [--shapes 1x256,2x256,1x512] [--error-count 169] [--out apps/bench/results/t5-q8.json]
//
// Each measurement runs in a fresh node process, one after the other: 'speed' children, one per
// variant and round, the variants alternating (fp32 as the model is loaded by default, its
// weights kept 16-bit and cast per pass; fp32 with weightsInMemory 'float32', casts folded at
// load; q8), so a busy machine slows each alike; peak RSS is the child's maxRSS, load included;
// the median and the fastest of all rounds' runs are reported (on a shared machine the fastest
// is the one least slowed by others). Then one 'error' child (fp32 then q8 on the
// same prompts, one model at a time). The prompts are tokenized with the SentencePiece model of
// the T5 tokenizer fixtures (models/fixtures/t5-tokenizer/t5-nobf: T5's real spiece.model is not
// in the repo; its ids are valid in T5's 32128 vocabulary), padded to 256 with no attention mask,
// as SD3's pipeline runs T5; every position counts, pads included (the pipeline uses them all).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_DIR, REPO_DIR, median, runSelf } from './bench-lib.mjs';

const here = BENCH_DIR;
const root = REPO_DIR;
const ONNX_T5_DIST = path.join(root, 'packages/onnx/dist/t5/index.js');
const TOKENIZER_T5_DIST = path.join(root, 'packages/tokenizer/dist/t5/index.js');
const T5_TOKENIZER = path.join(root, 'models/fixtures/t5-tokenizer/t5-nobf');
const CASES = path.join(root, 'models/fixtures/tokenizer/cases.json');

const { values: args } = parseArgs({
  options: {
    child: { type: 'string' },
    dtype: { type: 'string' },
    model: { type: 'string', default: path.join(root, 'models/generated/t5-large-random') },
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string' },
    variants: { type: 'string', default: 'fp32,float32,q8' },
    shapes: { type: 'string', default: '1x256,2x256,1x512' },
    weights: { type: 'string', default: 'stored' },
    'error-count': { type: 'string', default: '169' },
    'error-batch': { type: 'string', default: '4' },
    out: { type: 'string', default: path.join(here, 'results/t5-q8.json') },
  },
});
const threads = Number(args.threads);
const SHAPES = args.shapes.split(',').map((s) => s.split('x').map(Number));

async function load(dtype, weightsInMemory = 'stored') {
  const { OnnxT5EncoderModel } = await import(pathToFileURL(ONNX_T5_DIST).href);
  return OnnxT5EncoderModel.fromPretrained(args.model, { dtype, weightsInMemory, threads, cache: false });
}

const round = (x, digits = 3) => Number(x.toFixed(digits));

/** One dtype: load, then per shape one warm-up pass and `runs` timed passes; the process's peak RSS. */
async function speedChild() {
  let t = performance.now();
  const model = await load(args.dtype, args.weights);
  const loadS = (performance.now() - t) / 1000;
  const rssAfterLoadMb = process.memoryUsage().rss / 2 ** 20;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const shapes = [];
  for (const [batch, tokens] of SHAPES) {
    const inputIds = Array.from({ length: batch }, () => Array.from({ length: tokens }, () => 3 + Math.floor(random() * 2000)));
    await model.encode({ inputIds });
    const seconds = [];
    for (let r = 0; r < Number(args.runs); r++) {
      t = performance.now();
      await model.encode({ inputIds });
      seconds.push((performance.now() - t) / 1000);
    }
    shapes.push({ batch, tokens, seconds: seconds.map((s) => round(s)), median_s: round(median(seconds)) });
  }
  const result = {
    dtype: model.dtype,
    weightsInMemory: args.weights,
    backend: model.backend,
    weightTransfer: model.weightTransfer,
    load_s: round(loadS, 2),
    shapes,
    rss_mb_after_load: Math.round(rssAfterLoadMb),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  await model.dispose();
  console.log(JSON.stringify(result));
}

/** fp32 and then q8 on the golden prompts padded to 256: per-token cosine (min, mean) and max |diff| over every position. */
async function errorChild() {
  const { T5Tokenizer } = await import(pathToFileURL(TOKENIZER_T5_DIST).href);
  const tokenizer = await T5Tokenizer.fromPretrained(T5_TOKENIZER);
  const cases = JSON.parse(fs.readFileSync(CASES, 'utf8'));
  const texts = cases.modes['!'].results.map((r) => r.text).slice(0, Number(args['error-count']));
  const { inputIds } = tokenizer.encode(texts, { padding: 'max_length', maxLength: 256, truncation: true });
  const batch = Number(args['error-batch']);
  const run = async (dtype) => {
    const model = await load(dtype);
    const parts = [];
    for (let i = 0; i < inputIds.length; i += batch) parts.push((await model.encode({ inputIds: inputIds.slice(i, i + batch) })).lastHiddenState.data);
    const d = model.config.d_model;
    await model.dispose();
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return { data: all, d };
  };
  const a = await run('fp32');
  const b = await run('q8');
  const { d } = a;
  const tokens = a.data.length / d;
  let minTokenCos = 1;
  let meanTokenCos = 0;
  let maxAbs = 0;
  let maxRef = 0;
  let realMinTokenCos = 1; // the prompt's own tokens and its </s>, pads left out
  const lengths = inputIds.map((ids) => ids.indexOf(1) + 1 || ids.length);
  for (let t = 0; t < tokens; t++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = t * d; i < (t + 1) * d; i++) {
      ab += a.data[i] * b.data[i];
      aa += a.data[i] * a.data[i];
      bb += b.data[i] * b.data[i];
      maxAbs = Math.max(maxAbs, Math.abs(a.data[i] - b.data[i]));
      maxRef = Math.max(maxRef, Math.abs(a.data[i]));
    }
    const c = ab / Math.sqrt(aa * bb);
    minTokenCos = Math.min(minTokenCos, c);
    meanTokenCos += c / tokens;
    if (t % 256 < lengths[Math.floor(t / 256)]) realMinTokenCos = Math.min(realMinTokenCos, c);
  }
  console.log(JSON.stringify({ prompts: texts.length, tokens_per_prompt: 256, minTokenCos, meanTokenCos, minTokenCosPromptTokens: realMinTokenCos, maxAbs, maxRef }));
}

function child(extra) {
  const common = ['--model', args.model, '--threads', String(threads), '--runs', args.runs, '--shapes', args.shapes, '--error-count', args['error-count'], '--error-batch', args['error-batch']];
  const result = runSelf(import.meta.url, [...extra, ...common]);
  process.stderr.write(`${extra.join(' ')}: ${JSON.stringify(result)}\n`);
  return result;
}

const ALL_VARIANTS = {
  fp32: ['fp32', 'stored'],
  float32: ['fp32', 'float32'],
  q8: ['q8', 'stored'],
};
const VARIANTS = args.variants.split(',').map((v) => {
  if (!(v in ALL_VARIANTS)) throw new Error(`--variants: ${v} is not one of ${Object.keys(ALL_VARIANTS).join(', ')}`);
  return ALL_VARIANTS[v];
});

/** Every variant once per round, alternating; per variant the medians over every round's runs, and the worst peak RSS. */
function speed() {
  const rounds = VARIANTS.map(() => []);
  for (let r = 0; r < Number(args.rounds); r++) VARIANTS.forEach(([dtype, weights], v) => rounds[v].push(child(['--child', 'speed', '--dtype', dtype, '--weights', weights])));
  return VARIANTS.map(([dtype, weights], v) => {
    const runs = rounds[v];
    return {
      dtype,
      weightsInMemory: weights,
      backend: runs[0].backend,
      weightTransfer: runs[0].weightTransfer,
      load_s: runs.map((x) => x.load_s),
      shapes: SHAPES.map(([batch, tokens], i) => {
        const seconds = runs.flatMap((x) => x.shapes[i].seconds);
        return { batch, tokens, seconds, median_s: round(median(seconds)), min_s: Math.min(...seconds) };
      }),
      rss_mb_after_load: Math.max(...runs.map((x) => x.rss_mb_after_load)),
      peak_rss_mb: Math.max(...runs.map((x) => x.peak_rss_mb)),
    };
  });
}

async function main() {
  if (args.child === 'speed') return speedChild();
  if (args.child === 'error') return errorChild();
  for (const need of [path.join(args.model, 'model.safetensors'), ONNX_T5_DIST, TOKENIZER_T5_DIST]) {
    if (!fs.existsSync(need)) throw new Error(`missing ${need}: see the header of this script`);
  }
  const config = JSON.parse(fs.readFileSync(path.join(args.model, 'config.json'), 'utf8'));
  const results = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadBefore: os.loadavg().map((x) => round(x, 2)) },
    model: { folder: path.relative(root, args.model), bytes: fs.statSync(path.join(args.model, 'model.safetensors')).size, ...Object.fromEntries(['d_model', 'd_ff', 'num_heads', 'num_layers', 'feed_forward_proj'].map((k) => [k, config[k]])) },
    threads,
    speed: args.only === 'error' ? [] : speed(),
    error: args.only === 'speed' ? null : child(['--child', 'error']),
  };
  results.machine.loadAfter = os.loadavg().map((x) => round(x, 2));
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${path.relative(root, args.out)}`);
}

await main();
