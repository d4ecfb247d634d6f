#!/usr/bin/env node
// ONNX engine benchmark (issue 5): @sdtext/onnx loading the SD2-shape safetensors checkpoint,
// against transformers.js' CLIPTextModel running the plain (standard-ops) ONNX export of the same
// weights, with tfjs-wasm for comparison. Owned by the ONNX engine; kept apart from the bench
// app's TypeScript sources (it imports @sdtext/onnx from its dist, which the app does not depend on).
//
//   pnpm --filter @sdtext/onnx... --filter @sdtext/text-encoder build
//   node scripts/make-random-checkpoint.mjs --model sd2          # models/generated/sd2-random
//   node apps/bench/onnx-bench.mjs [--runs 7] [--threads 2] [--no-tfjs] [--write-doc]
//
// Load time and peak RSS (VmHWM) come from a fresh child process per engine (load + one forward).
// Forward times come from one process holding all engines, runs interleaved so that load from
// other processes on the machine hits every engine alike; medians are reported, as ratios.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_DIR, REPO_DIR, median, runSelf } from './bench-lib.mjs';

const here = BENCH_DIR;
const root = REPO_DIR;
const GENERATED = path.join(root, 'models/generated');
const CHECKPOINT = path.join(GENERATED, 'sd2-random'); // text_encoder/ config.json + model.fp16.safetensors
const EXPORT_ID = 'sd2-random-onnx'; // config.json + onnx/model.onnx, for transformers.js
const ONNX_DIST = path.join(root, 'packages/onnx/dist/index.js');
const COMPILED = path.join(GENERATED, '.onnx-compiled'); // @sdtext/onnx compiledCacheDir for the bench
const TFJS_DIST = path.join(root, 'packages/text-encoder/dist/index.js');

const { values: args } = parseArgs({
  options: {
    child: { type: 'string' },
    runs: { type: 'string', default: '7' },
    threads: { type: 'string', default: '2' },
    'no-tfjs': { type: 'boolean', default: false },
    'write-doc': { type: 'boolean', default: false },
  },
});
const threads = Number(args.threads);

const memory = () => {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
};
const idsOf = (batch) =>
  Array.from({ length: batch }, (_, b) => Array.from({ length: 77 }, (_, s) => (s === 0 ? 49406 : s < 12 ? 320 + b + s : 49407)));

async function onnxEngine(name, extra) {
  const { OnnxCLIPTextModel } = await import(pathToFileURL(ONNX_DIST).href);
  return {
    name,
    async load() {
      const m = await OnnxCLIPTextModel.fromPretrained(CHECKPOINT, { subfolder: 'text_encoder', variant: 'fp16', threads, cache: false, ...extra });
      if (extra.compiledCacheDir && m.loadedFrom !== 'compiled-cache') throw new Error(`expected a compiled-cache hit, got ${m.loadedFrom}`);
      return async (batch) => (await m.encode({ inputIds: idsOf(batch) })).lastHiddenState.data;
    },
  };
}

async function transformersEngine(name, sessionExtra) {
  const { CLIPTextModel, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = GENERATED + '/';
  return {
    name,
    async load() {
      const m = await CLIPTextModel.from_pretrained(EXPORT_ID, {
        dtype: 'fp32',
        device: 'cpu',
        local_files_only: true,
        model_file_name: 'model', // the export's onnx/model.onnx (transformers.js' CLIP repos name it text_model.onnx)
        session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, ...sessionExtra },
      });
      return async (batch) => {
        const ids = BigInt64Array.from(idsOf(batch).flat(), BigInt);
        const out = await m({
          input_ids: new Tensor('int64', ids, [batch, 77]),
          attention_mask: new Tensor('int64', new BigInt64Array(batch * 77).fill(1n), [batch, 77]),
        });
        return out.last_hidden_state.data;
      };
    },
  };
}

/** Each engine: load() -> forward(batch) -> Promise<Float32Array of last_hidden_state>. */
const ENGINES = {
  async onnx() {
    return onnxEngine('@sdtext/onnx (fp16 safetensors, fused graph)', {});
  },
  /** The same, loading a compiled-cache entry made by an earlier load (see the 'compile' child). */
  async 'onnx-compiled'() {
    return onnxEngine('@sdtext/onnx, compiled cache hit', { compiledCacheDir: COMPILED });
  },
  /** SD's batch [new prompt, empty negative prompt] with the embedding cache on: the negative row is computed once. */
  async 'onnx-row-cache'() {
    const { OnnxCLIPTextModel } = await import(pathToFileURL(ONNX_DIST).href);
    return {
      name: '@sdtext/onnx, embedding cache: [new prompt, cached ""]',
      async load() {
        const m = await OnnxCLIPTextModel.fromPretrained(CHECKPOINT, { subfolder: 'text_encoder', variant: 'fp16', threads });
        const empty = Array.from({ length: 77 }, (_, s) => (s === 0 ? 49406 : 49407));
        let n = 0;
        return async (batch) => {
          n++; // a prompt never seen before, every call
          const prompt = Array.from({ length: 77 }, (_, s) => (s === 0 ? 49406 : s < 12 ? 1000 + ((n * 131 + s) % 40000) : 49407));
          const rows = batch === 1 ? [prompt] : [prompt, empty];
          return (await m.encode({ inputIds: rows })).lastHiddenState.data;
        };
      },
    };
  },
  async transformers() {
    return transformersEngine('transformers.js 4 (standard ONNX export, onnxruntime-node)', {});
  },
  /** transformers.js with the thread policy @sdtext/onnx uses by default (no spin-waiting), for a like-for-like forward. */
  async 'transformers-nospin'() {
    return transformersEngine('transformers.js 4, intra_op.allow_spinning=0', { extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } } });
  },
  async tfjs() {
    const { CLIPTextModel, selectBackend } = await import(pathToFileURL(TFJS_DIST).href);
    return {
      name: '@sdtext/text-encoder (tfjs-wasm)',
      async load() {
        await selectBackend('wasm');
        const m = await CLIPTextModel.fromPretrained(CHECKPOINT, { subfolder: 'text_encoder', variant: 'fp16' });
        return async (batch) => {
          const out = m.forward({ inputIds: idsOf(batch) });
          const data = await out.lastHiddenState.data();
          out.lastHiddenState.dispose();
          out.poolerOutput.dispose();
          return data;
        };
      },
    };
  },
};

async function child(kind) {
  if (kind === 'forward') return forwardChild();
  if (kind === 'compile') {
    // Makes the compiled-cache entry the 'onnx-compiled' child then loads.
    const { OnnxCLIPTextModel } = await import(pathToFileURL(ONNX_DIST).href);
    const m = await OnnxCLIPTextModel.fromPretrained(CHECKPOINT, { subfolder: 'text_encoder', variant: 'fp16', threads, compiledCacheDir: COMPILED });
    console.log(JSON.stringify({ kind, loadedFrom: m.loadedFrom }));
    return;
  }
  const engine = await ENGINES[kind]();
  const baseline = memory();
  let t = performance.now();
  const forward = await engine.load();
  const loadMs = performance.now() - t;
  const afterLoad = memory();
  t = performance.now();
  await forward(2);
  const firstForwardMs = performance.now() - t;
  console.log(JSON.stringify({ kind, name: engine.name, baseline, loadMs, afterLoad, firstForwardMs, after: memory() }));
}

async function forwardChild() {
  const kinds = ['onnx', 'onnx-row-cache', 'transformers', 'transformers-nospin', ...(args['no-tfjs'] ? [] : ['tfjs'])];
  const runs = Number(args.runs);
  const engines = {};
  for (const kind of kinds) {
    const e = await ENGINES[kind]();
    engines[kind] = { name: e.name, forward: await e.load() };
  }
  // Same inputs, same weights: the engines must agree (a sanity check, not the parity test).
  const ref = await engines.transformers.forward(2);
  const agreement = {};
  for (const kind of kinds.filter((k) => k !== 'onnx-row-cache')) {
    const out = await engines[kind].forward(2);
    let m = 0;
    for (let i = 0; i < out.length; i++) m = Math.max(m, Math.abs(out[i] - ref[i]));
    agreement[kind] = m;
  }
  const times = {};
  for (const batch of [2, 1]) {
    for (const kind of kinds) times[`${kind} ${batch}`] = [];
    for (let r = 0; r < runs; r++) {
      for (const kind of kinds) {
        if (kind === 'tfjs' && r >= 3) continue; // 3-4 s a pass: three is enough for a comparison
        const t = performance.now();
        await engines[kind].forward(batch);
        times[`${kind} ${batch}`].push(performance.now() - t);
      }
    }
  }
  console.log(JSON.stringify({ kind: 'forward', names: Object.fromEntries(kinds.map((k) => [k, engines[k].name])), agreement, times }));
}

function runChild(kind) {
  return runSelf(import.meta.url, ['--child', kind, '--threads', String(threads), '--runs', args.runs, ...(args['no-tfjs'] ? ['--no-tfjs'] : [])]);
}

const NOTES = [
  '',
  'Notes:',
  '',
  '- Forward: both engines spend over 90% of the time in the same MLAS float32 GEMMs (per-op profile: 471 ms of 517 for ours at',
  '  2x77, 486 of 520 for the plain export), so kernels cannot differ much; the lead comes from the thread policy (no spin-waiting',
  "  by default: the like-for-like line shows it) and from the fused ops' few percent. In SD's real use, the per-row embedding",
  '  cache is the large win: the negative prompt is computed once per session.',
  '- Load: transformers.js loads the 1.36 GB fp32 export in 2.6-3.3 s here (page cache warm), not the 13-18 s the issue',
  '  assumed, and making the ORT session alone (map + prepack 1.2 GB of weights) takes about 1.1 s, the floor for any ORT engine:',
  '  0.25x is not reachable on this machine. Ours: fp16 file mapped and folded to fp32 by ORT (~2-3 s); 1.1-1.4 s from the',
  '  compiled cache (`compiledCacheDir`).',
  "- Peak RSS of transformers.js varies run to run here (1.57-2.11 GB measured); ours 1.36-1.58 GB by default ('link'),",
  '  1.21 GB from the compiled cache.',
];

async function main() {
  for (const [p, hint] of [
    [ONNX_DIST, 'pnpm --filter @sdtext/onnx... --filter @sdtext/text-encoder build'],
    [TFJS_DIST, 'pnpm --filter @sdtext/text-encoder build'],
    [path.join(CHECKPOINT, 'text_encoder/model.fp16.safetensors'), 'node scripts/make-random-checkpoint.mjs --model sd2'],
  ]) {
    if (!fs.existsSync(p)) throw new Error(`${p} is missing: run \`${hint}\``);
  }
  if (!fs.existsSync(path.join(GENERATED, EXPORT_ID, 'onnx/model.onnx'))) {
    console.error('writing the standard ONNX export for transformers.js ...');
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/export-onnx.mjs'), CHECKPOINT, '--subfolder', 'text_encoder', '--variant', 'fp16', '--out', path.join(GENERATED, EXPORT_ID)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('export failed');
  }
  const load1 = os.loadavg()[0];
  const kinds = ['onnx', 'onnx-compiled', 'transformers', ...(args['no-tfjs'] ? [] : ['tfjs'])];
  runChild('compile');
  const loads = {};
  for (const kind of kinds) {
    console.error(`load + peak RSS: ${kind} ...`);
    loads[kind] = runChild(kind);
  }
  console.error('forward, interleaved ...');
  const fwd = runChild('forward');
  const load2 = os.loadavg()[0];

  const f = (kind, b) => median(fwd.times[`${kind} ${b}`]);
  const rowKinds = ['onnx', 'onnx-compiled', 'onnx-row-cache', 'transformers', 'transformers-nospin', ...(args['no-tfjs'] ? [] : ['tfjs'])];
  const rows = rowKinds.map((kind) => ({
    kind,
    name: loads[kind]?.name ?? fwd.names[kind],
    loadS: loads[kind] ? loads[kind].loadMs / 1000 : NaN,
    peakMB: loads[kind] ? loads[kind].after.peakMB : NaN,
    fwd2: fwd.times[`${kind} 2`] ? f(kind, 2) : NaN,
    fwd1: fwd.times[`${kind} 1`] ? f(kind, 1) : NaN,
    agree: fwd.agreement[kind],
  }));
  const tj = rows.find((r) => r.kind === 'transformers');
  const x = (a, b) => (Number.isNaN(a) ? '-' : `${(a / b).toFixed(2)}x`);
  const v = (a, text) => (Number.isNaN(a) ? '-' : text);
  const table = [
    '| engine | load | peak RSS | forward 2x77 | forward 1x77 | vs transformers.js: load / peak / fwd 2x77 / fwd 1x77 |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${v(r.loadS, `${r.loadS.toFixed(1)} s`)} | ${v(r.peakMB, `${(r.peakMB / 1024).toFixed(2)} GB`)} | ${v(r.fwd2, `${r.fwd2.toFixed(0)} ms`)} | ${v(r.fwd1, `${r.fwd1.toFixed(0)} ms`)} | ${x(r.loadS, tj.loadS)} / ${x(r.peakMB, tj.peakMB)} / ${x(r.fwd2, tj.fwd2)} / ${x(r.fwd1, tj.fwd1)} |`,
    ),
  ].join('\n');
  const onnx = rows.find((r) => r.kind === 'onnx');
  const compiled = rows.find((r) => r.kind === 'onnx-compiled');
  const rowCache = rows.find((r) => r.kind === 'onnx-row-cache');
  const tjNospin = rows.find((r) => r.kind === 'transformers-nospin');
  const verdict = [
    `forward 2x77 ${x(onnx.fwd2, tj.fwd2)} (target <= 1.0x): ${onnx.fwd2 <= tj.fwd2 ? 'met' : 'NOT met'}`,
    `forward 1x77 ${x(onnx.fwd1, tj.fwd1)} (target <= 1.0x): ${onnx.fwd1 <= tj.fwd1 ? 'met' : 'NOT met'}`,
    `load ${x(onnx.loadS, tj.loadS)} (target <= 0.25x): ${onnx.loadS <= 0.25 * tj.loadS ? 'met' : 'NOT met'}`,
    `peak RSS ${x(onnx.peakMB, tj.peakMB)} (target <= 0.8x): ${onnx.peakMB <= 0.8 * tj.peakMB ? 'met' : 'NOT met'}`,
    `compiled cache hit: load ${x(compiled.loadS, tj.loadS)}, peak RSS ${x(compiled.peakMB, tj.peakMB)}`,
    `embedding cache, SD's [new prompt, cached negative] batch: forward ${x(rowCache.fwd2, tj.fwd2)} of transformers.js' 2x77`,
    `like for like (transformers.js without spin-waiting too): forward 2x77 ${x(onnx.fwd2, tjNospin.fwd2)}, 1x77 ${x(onnx.fwd1, tjNospin.fwd1)}`,
  ];
  const agreement = rows.filter((r) => r.agree !== undefined && r.kind !== 'onnx-row-cache').map((r) => `${r.kind} ${r.agree.toExponential(1)}`).join(', ');
  const section = [
    '<!-- onnx-bench:start (written by apps/bench/onnx-bench.mjs --write-doc) -->',
    '## ONNX engine',
    '',
    `SD2-shape text encoder (23 layers, 1024 wide; random weights from \`scripts/make-random-checkpoint.mjs\`, fp16 safetensors),`,
    `${threads} threads, Node ${process.versions.node}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), ${new Date().toISOString().slice(0, 10)}.`,
    `@sdtext/onnx loads the safetensors checkpoint and builds its fused graph (default 'link' loading: ORT maps the fp16 file and folds`,
    `it to fp32, see packages/onnx/README.md); transformers.js runs the standard-ops export of the`,
    `same weights (\`scripts/export-onnx.mjs\`, fp32 model.onnx). Load and peak RSS (VmHWM, load + one forward): a fresh child`,
    `process per engine. Forward: medians of ${args.runs} interleaved runs in one process (tfjs: 3).`,
    `Machine load average during the run: ${load1.toFixed(1)} -> ${load2.toFixed(1)} on ${os.cpus().length} cores (shared machine: absolute times are noisy, ratios less so).`,
    '',
    table,
    '',
    ...verdict.map((v) => `- ${v}`),
    `- last_hidden_state max |diff| against transformers.js on the same input: ${agreement}`,
    ...NOTES,
    '<!-- onnx-bench:end -->',
  ].join('\n');
  console.log(section);
  const resultsDir = path.join(here, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'onnx-bench.json'), JSON.stringify({ loads, fwd, rows, loadavg: [load1, load2] }, null, 2));
  if (args['write-doc']) {
    const doc = path.join(root, 'docs/benchmarks.md');
    const old = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '# Benchmarks\n';
    const re = /<!-- onnx-bench:start[\s\S]*?<!-- onnx-bench:end -->/;
    fs.writeFileSync(doc, re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`);
    console.error(`updated the "ONNX engine" section of ${doc}`);
  }
}

if (args.child) await child(args.child);
else await main();
