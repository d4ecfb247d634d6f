#!/usr/bin/env node
// The text encoder in the reader's browser (issue 19): Debian chromium, a cross-origin isolated page
// (wasm threads), the SD2-shaped random checkpoint, every engine in one run: @sdtext/text-encoder on
// tfjs-wasm, @sdtext/onnx on onnxruntime-web (wasm; as it loads by default, and with prepackWeights:
// true), and transformers.js on its own onnxruntime-web
// build, in the same browser. Each engine runs alone in a fresh browser (another engine's idle wasm
// threads would share the 2 cores), the engines taking turns round after round so that load from
// elsewhere on the machine hits each alike: the load (first request to a model ready to run) and
// the forward pass at 1 x 77 and 2 x 77, medians over every round's runs.
//
//   pnpm --filter @sdtext/onnx... --filter @sdtext/text-encoder --filter @sdtext/browser-testing build
//   node scripts/make-random-checkpoint.mjs --model sd2          # models/generated/sd2-random
//   node scripts/export-onnx.mjs models/generated/sd2-random --subfolder text_encoder --variant fp16 --out models/generated/sd2-random-onnx
//   pnpm --filter @sdtext/bench bench:browser [-- --rounds 3 --runs 3] [--gpu] [--write-doc]
//
// --gpu adds tfjs-webgl and ONNX Runtime's WebGPU provider (SwiftShader here: a CPU emulation, so
// their numbers say nothing about a real GPU). --write-doc replaces the block between
// <!-- browser-bench:start --> and <!-- browser-bench:end --> in docs/benchmarks.md.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, REPO_DIR, median } from './bench-lib.mjs';
import { build } from 'esbuild';

const here = BENCH_DIR;
const root = REPO_DIR;
const GENERATED = path.join(root, 'models/generated');
const DOC = path.join(root, 'docs/benchmarks.md');
const RESULTS = path.join(here, 'results/browser.json');

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    gpu: { type: 'boolean', default: false },
    /** Comma-separated engines instead of the default set. */
    engines: { type: 'string' },
    'write-doc': { type: 'boolean', default: false },
  },
});

const need = [
  [path.join(GENERATED, 'sd2-random/text_encoder/model.fp16.safetensors'), 'node scripts/make-random-checkpoint.mjs --model sd2'],
  [path.join(GENERATED, 'sd2-random-onnx/onnx/model.onnx'), 'node scripts/export-onnx.mjs models/generated/sd2-random --subfolder text_encoder --variant fp16 --out models/generated/sd2-random-onnx'],
  [path.join(root, 'packages/onnx/dist/index.js'), 'pnpm --filter @sdtext/onnx... build'],
  [path.join(root, 'tools/browser-testing/dist/index.js'), 'pnpm --filter @sdtext/browser-testing build'],
];
for (const [file, fix] of need) {
  if (!fs.existsSync(file)) {
    console.error(`browser-bench: ${path.relative(root, file)} is missing: ${fix}`);
    process.exit(1);
  }
}

const { launchChromium, serveStatic, testPageHtml } = await import(path.join(root, 'tools/browser-testing/dist/index.js'));

/** A package's file as a given package resolves it (the pnpm store keeps each one's own dependencies). */
const fileOf = (from, specifier) => createRequire(path.join(root, from, 'package.json')).resolve(specifier);
// onnxruntime-web 1.30 as @sdtext/onnx has it; transformers.js's own build (a newer dev version).
const ORT = path.dirname(fileOf('packages/onnx', 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
const TJS_ORT = path.dirname(createRequire(fileOf('apps/bench', '@huggingface/transformers')).resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));
const TFJS_WASM = path.dirname(fileOf('apps/bench', '@tensorflow/tfjs-backend-wasm'));

const loadAverage = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const loadBefore = loadAverage();

const page = await build({
  entryPoints: [path.join(here, 'browser-bench-page.mjs')],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  external: ['node:*', 'fs', 'path', 'os', 'url', 'crypto', 'worker_threads', 'perf_hooks', 'sharp', 'onnxruntime-node'],
  logLevel: 'error',
});
const server = await serveStatic(
  { '/models/': GENERATED, '/ort/': ORT, '/tjs-ort/': TJS_ORT, '/tfjs-wasm/': TFJS_WASM },
  testPageHtml('/app/page.js'),
  { '/app/page.js': page.outputFiles[0].text },
);
const engines = args.engines?.split(',') ?? ['tfjs-wasm', 'onnx-wasm', 'onnx-wasm-prepacked', 'transformers-wasm', ...(args.gpu ? ['tfjs-webgl', 'onnx-webgpu'] : [])];
const runs = Object.fromEntries(engines.map((e) => [e, []]));
try {
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const engine of engines) {
      const browser = await launchChromium({ webgpu: args.gpu });
      try {
        const tab = await browser.context.newPage();
        tab.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
        tab.on('pageerror', (e) => console.error(`page error: ${e.message}`));
        await tab.goto(server.origin);
        await tab.waitForFunction(() => typeof window.browserBench === 'function', undefined, { timeout: 60_000 });
        tab.setDefaultTimeout(0);
        const run = await tab.evaluate((o) => window.browserBench(o), { origin: server.origin, engine, runs: Number(args.runs), threads: Number(args.threads) });
        runs[engine].push(run);
        console.error(`round ${round + 1} ${engine}: load ${Math.round(run.loadMs)} ms${run.readMs === null ? '' : ` (weights read at ${Math.round(run.readMs)} ms)`}, 1x77 ${run.times[1].map(Math.round).join('/')} ms, 2x77 ${run.times[2].map(Math.round).join('/')} ms`);
      } finally {
        await browser.close();
      }
    }
  }
} finally {
  await server.close();
}
const maxAbsDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const first = runs[engines[0]][0];
const report = {
  isolated: first.isolated,
  cores: first.cores,
  userAgent: first.userAgent,
  results: Object.fromEntries(
    engines.map((e) => {
      const rs = runs[e];
      return [
        e,
        {
          label: rs[0].label,
          loadMs: median(rs.map((r) => r.loadMs)),
          // Of the load, the weights read (their last byte in); the rest is the engine's setup. Null where the engine does not say.
          weightsReadMs: rs[0].readMs === null ? null : median(rs.map((r) => r.readMs)),
          loads: rs.map((r) => Math.round(r.loadMs)),
          forward1x77Ms: median(rs.flatMap((r) => r.times[1])),
          forward2x77Ms: median(rs.flatMap((r) => r.times[2])),
          maxAbsDiffVsFirst: maxAbsDiff(rs[0].head, first.head),
        },
      ];
    }),
  ),
};

const chromium = report.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? 'unknown';
const result = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
  chromium,
  isolated: report.isolated,
  rounds: Number(args.rounds),
  runsPerRound: Number(args.runs),
  results: report.results,
};
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
// A run of chosen engines (--engines) is an experiment: it does not replace the full run's results.
const resultsFile = args.engines ? RESULTS.replace(/\.json$/, `-${engines.join('+')}.json`) : RESULTS;
fs.writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const msOf = (ms) => `${Math.round(ms)} ms`;
const tj = report.results['transformers-wasm'];
const tf = report.results['tfjs-wasm'];
const rows = Object.entries(report.results).map(
  ([, r]) =>
    `| ${r.label} | ${s(r.loadMs)}${r.weightsReadMs === null ? '' : ` (${s(r.weightsReadMs)} + ${s(r.loadMs - r.weightsReadMs)})`} | ${msOf(r.forward1x77Ms)} | ${msOf(r.forward2x77Ms)} | ${tj ? `${(tj.forward1x77Ms / r.forward1x77Ms).toFixed(2)}x / ${(tj.forward2x77Ms / r.forward2x77Ms).toFixed(2)}x` : '-'} | ${tf ? `${(r.loadMs / tf.loadMs).toFixed(2)}x` : '-'} | ${r.maxAbsDiffVsFirst.toExponential(1)} |`,
);
const table = [
  `Chromium ${chromium}, cross-origin isolated page (${report.isolated ? 'yes' : 'NO'}), ${report.cores} cores (${result.machine.cpu}), load average ${loadBefore.join(' / ')} before and ${result.machine.loadAverageAfter.join(' / ')} after; each engine alone in a fresh browser, ${args.rounds} rounds taking turns, median of ${Number(args.rounds) * Number(args.runs)} passes (load: of ${args.rounds}); \`pnpm --filter @sdtext/bench bench:browser\` (${result.date.slice(0, 10)}).`,
  '',
  `| engine in Chromium | load (weights read + engine setup) | 1 x 77 | 2 x 77 | speed vs transformers.js (1 x 77 / 2 x 77) | load vs tfjs | last_hidden_state vs ${engines[0]} |`,
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);

if (args['write-doc']) {
  const text = fs.readFileSync(DOC, 'utf8');
  const start = '<!-- browser-bench:start -->';
  const end = '<!-- browser-bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.error(`browser-bench: ${path.relative(root, DOC)} has no ${start} ... ${end} block to replace`);
    process.exit(1);
  }
  fs.writeFileSync(DOC, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  console.log(`wrote the table into ${path.relative(root, DOC)}`);
}
