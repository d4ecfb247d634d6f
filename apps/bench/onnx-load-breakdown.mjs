#!/usr/bin/env node
// Where the ONNX engine's load goes, and what could be cached between runs (issue 17, item 2).
// Each line is a fresh process (page cache warm), median of --runs, with transformers.js's load of
// the same weights in the same run for the ratio:
//
//   node apps/bench/onnx-load-breakdown.mjs [--runs 3] [--threads 2]
//
// Needs the SD2-shaped random checkpoint (node scripts/make-random-checkpoint.mjs --model sd2) and
// a compiled-cache entry of it (node apps/bench/onnx-bench.mjs makes one). The session lines load
// that entry's float32 graph (model.onnx + mapped weight files) straight into onnxruntime-node with
// the engine's own session options, then vary one thing each:
// - optimization level "disabled": no graph fusions or constant folding (prepacking still runs);
// - `session.disable_prepacking`: ORT keeps the weights as given and packs nothing at load;
// - an ORT-optimized model file (`optimizedModelFilePath`, written once by --child save) loaded with
//   optimizations disabled: what caching ORT's optimized graph would save.
// Each line also times the first and second 1 x 77 forward and compares the output with the
// default session's (max |diff|): what a cached form costs in parity.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_DIR, REPO_DIR, median, runSelf } from './bench-lib.mjs';
import { createRequire } from 'node:module';

const here = BENCH_DIR;
const root = REPO_DIR;
const GENERATED = path.join(root, 'models/generated');
const CHECKPOINT = path.join(GENERATED, 'sd2-random');
const COMPILED = path.join(GENERATED, '.onnx-compiled');
const ONNX_DIST = path.join(root, 'packages/onnx/dist/index.js');
const OPTIMIZED = path.join(GENERATED, '.onnx-optimized');

const { values: args } = parseArgs({
  options: { child: { type: 'string' }, runs: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' } },
});
const threads = Number(args.threads);
const ids = Array.from({ length: 77 }, (_, s) => (s === 0 ? 49406 : s < 12 ? 320 + s : 49407));

function compiledEntry() {
  if (!fs.existsSync(COMPILED)) return null;
  const entry = fs.readdirSync(COMPILED).map((d) => path.join(COMPILED, d)).find((d) => fs.existsSync(path.join(d, 'meta.json')));
  return entry ?? null;
}

function sessionOptions(variant) {
  return {
    graphOptimizationLevel: variant === 'no-optimization' || variant === 'optimized-file' ? 'disabled' : 'all',
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    extra: {
      session: {
        'intra_op.allow_spinning': '0',
        'inter_op.allow_spinning': '0',
        ...(variant === 'no-prepacking' ? { disable_prepacking: '1' } : {}),
      },
    },
  };
}

async function sessionChild(variant) {
  let t = performance.now();
  // The bench app does not depend on onnxruntime-node: the one @sdtext/onnx resolves is the one it runs.
  const ort = await import(pathToFileURL(createRequire(path.join(root, 'packages/onnx/package.json')).resolve('onnxruntime-node')).href);
  const importMs = performance.now() - t;
  const entry = compiledEntry();
  const model = variant === 'optimized-file' ? path.join(OPTIMIZED, 'model.onnx') : path.join(entry, 'model.onnx');
  const options = sessionOptions(variant);
  if (variant === 'save') {
    // ORT writes the optimized graph; initializers it did not change keep pointing at the entry's
    // weight files by relative path, so those are hard-linked beside it (ORT refuses symbolic links).
    fs.rmSync(OPTIMIZED, { recursive: true, force: true });
    fs.mkdirSync(OPTIMIZED, { recursive: true });
    for (const f of fs.readdirSync(entry)) if (f.endsWith('.bin')) fs.linkSync(path.join(entry, f), path.join(OPTIMIZED, f));
    options.optimizedModelFilePath = path.join(OPTIMIZED, 'model.onnx');
    options.extra.session['session.optimized_model_external_initializers_file_name'] = 'weights.bin';
    options.extra.session['session.optimized_model_external_initializers_min_size_in_bytes'] = '1024';
  }
  t = performance.now();
  const session = await ort.InferenceSession.create(model, options);
  const createMs = performance.now() - t;
  // The engine's own feeds (OnnxCLIPTextModel.feeds): ids and mask in the graph's integer type, a
  // one-element inputs_embeds placeholder (the token lookup is used).
  const intType = session.inputMetadata.find((m) => m.name === 'input_ids')?.type === 'int32' ? 'int32' : 'int64';
  const asInput = (v) => (intType === 'int32' ? new ort.Tensor('int32', Int32Array.from(v), [1, 77]) : new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [1, 77]));
  const feeds = { input_ids: asInput(ids) };
  if (session.inputNames.includes('attention_mask')) feeds.attention_mask = asInput(ids.map(() => 1));
  if (session.inputNames.includes('inputs_embeds')) {
    const H = 1024;
    feeds.inputs_embeds = new ort.Tensor('float32', new Float32Array(H), [1, 1, H]);
    feeds.inputs_embeds_mask = new ort.Tensor('float32', new Float32Array(1), [1, 1, 1]);
  }
  const forwards = [];
  let out;
  for (let i = 0; i < 2; i++) {
    t = performance.now();
    out = (await session.run(feeds, ['last_hidden_state'])).last_hidden_state.data;
    forwards.push(performance.now() - t);
  }
  const dump = path.join(GENERATED, `.load-breakdown-${variant}.bin`);
  fs.writeFileSync(dump, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  console.log(JSON.stringify({ importMs, createMs, firstForwardMs: forwards[0], secondForwardMs: forwards[1], dump }));
}

async function engineChild(kind) {
  const t = performance.now();
  if (kind === 'transformers') {
    // transformers.js on the standard-ops export of the same weights (onnx-bench.mjs makes it), as onnx-bench loads it.
    const { CLIPTextModel, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = GENERATED + '/';
    await CLIPTextModel.from_pretrained('sd2-random-onnx', {
      dtype: 'fp32',
      device: 'cpu',
      local_files_only: true,
      model_file_name: 'model',
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    console.log(JSON.stringify({ loadMs: performance.now() - t }));
    return;
  }
  const { OnnxCLIPTextModel } = await import(pathToFileURL(ONNX_DIST).href);
  const m = await OnnxCLIPTextModel.fromPretrained(CHECKPOINT, {
    subfolder: 'text_encoder',
    variant: 'fp16',
    threads,
    cache: false,
    ...(kind === 'compiled' ? { compiledCacheDir: COMPILED } : {}),
  });
  const loadMs = performance.now() - t;
  if (kind === 'compiled' && m.loadedFrom !== 'compiled-cache') throw new Error(`expected a compiled-cache hit, got ${m.loadedFrom}`);
  console.log(JSON.stringify({ loadMs, weightTransfer: m.weightTransfer ?? null }));
}

function runChild(child) {
  return runSelf(import.meta.url, ['--child', child, '--threads', String(threads)]);
}

if (args.child?.startsWith('engine-')) await engineChild(args.child.slice('engine-'.length));
else if (args.child) await sessionChild(args.child);
else {
  if (!compiledEntry()) throw new Error(`no compiled-cache entry in ${COMPILED}: run node apps/bench/onnx-bench.mjs first`);
  runChild('save');
  const runs = Number(args.runs);
  const variants = ['default', 'no-optimization', 'no-prepacking', 'optimized-file'];
  const samples = Object.fromEntries([...variants, 'engine-link', 'engine-compiled', 'engine-transformers'].map((v) => [v, []]));
  // Interleaved, so that load from elsewhere on the machine hits every line alike.
  for (let i = 0; i < runs; i++) {
    for (const v of ['engine-link', 'engine-compiled', 'engine-transformers', ...variants]) samples[v].push(runChild(v));
  }
  const reference = new Float32Array(fs.readFileSync(samples.default[0].dump).buffer.slice(0));
  const rows = {};
  for (const v of variants) {
    const got = new Float32Array(fs.readFileSync(samples[v][0].dump).buffer.slice(0));
    let maxAbs = 0;
    for (let i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i] - reference[i]));
    rows[v] = {
      importMs: median(samples[v].map((s) => s.importMs)),
      createMs: median(samples[v].map((s) => s.createMs)),
      firstForwardMs: median(samples[v].map((s) => s.firstForwardMs)),
      secondForwardMs: median(samples[v].map((s) => s.secondForwardMs)),
      maxAbsVsDefault: maxAbs,
    };
  }
  for (const v of ['engine-link', 'engine-compiled', 'engine-transformers']) rows[v] = { loadMs: median(samples[v].map((s) => s.loadMs)), samplesMs: samples[v].map((s) => Math.round(s.loadMs)) };
  // What ORT wrote (the hard-linked weight files are the entry's own).
  const optimizedBytes = fs.readdirSync(OPTIMIZED).map((f) => fs.statSync(path.join(OPTIMIZED, f))).filter((st) => st.nlink === 1).reduce((n, st) => n + st.size, 0);
  const result = { date: new Date().toISOString(), threads, runs, loadavg: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3), optimizedFileMB: optimizedBytes / 2 ** 20, rows };
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results/onnx-load-breakdown.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}
