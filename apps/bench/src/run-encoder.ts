/**
 * `pnpm --filter @sdtext/bench bench:encoder`: the SD2-shape text encoder (23 layers, width 1024,
 * random fp16 weights from scripts/make-random-checkpoint.mjs) on tfjs-wasm in Node: forward time
 * and effective GFLOP/s against tfjs-wasm's own matMul rate measured in this process, load time and
 * peak memory in fresh child processes, and the tfjs cpu backend at a small batch for reference.
 * Writes results/encoder.json and prints tables.
 *
 * Options: --forward-runs N (5), --load-runs N (3), --no-cpu, --no-write.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import {
  forwardFlops,
  kernelBreakdown,
  matMulShapes,
  measureMatMul,
  safetensorsParameterCount,
  timeForward,
  type MatMulRate,
} from './encoder-bench.js';
import type { CpuSample, LoadSample } from './encoder-child.js';
import { fmt, machineInfo, median, packageVersion, table } from './machine.js';
import { SD2_RANDOM_DIR, SD2_RANDOM_WEIGHTS, goldenPrompts, writeResult } from './paths.js';

const { values: args } = parseArgs({
  options: {
    'forward-runs': { type: 'string', default: '5' },
    'load-runs': { type: 'string', default: '3' },
    'no-cpu': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const forwardRuns = Number(args['forward-runs']);
const loadRuns = Number(args['load-runs']);

if (!fs.existsSync(SD2_RANDOM_WEIGHTS)) {
  console.log(`encoder bench skipped: ${SD2_RANDOM_WEIGHTS} is missing (node scripts/make-random-checkpoint.mjs writes it)`);
  process.exit(0);
}

const machineBefore = machineInfo();
const date = new Date().toISOString();
const MB = 1e6;
const GB = 1e9;
const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./encoder-child.js', import.meta.url));
async function child<T>(argv: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [CHILD, ...argv], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

const parameters = safetensorsParameterCount(SD2_RANDOM_WEIGHTS);
const float32WeightBytes = parameters * 4;
const fp16FileBytes = fs.statSync(SD2_RANDOM_WEIGHTS).size;
console.log(
  `encoder bench: ${fmt(parameters / 1e6, 1)}M parameters, fp16 file ${fmt(fp16FileBytes / MB)} MB, float32 ${fmt(float32WeightBytes / MB)} MB; load ${machineBefore.loadAverage.join(' ')}`,
);

// 1. Load time and peak memory: a fresh process per run, one forward at 2 x 77 included.
const loads: LoadSample[] = [];
for (let i = 0; i < loadRuns; i++) loads.push(await child<LoadSample>(['load', SD2_RANDOM_DIR, 'wasm']));
const peakBytes = Math.max(...loads.map((s) => s.afterForward.peak));
const peakAfterLoadBytes = Math.max(...loads.map((s) => s.afterLoad.peak));
const baselineBytes = median(loads.map((s) => s.baseline.rss));
const loadMs = median(loads.map((s) => s.loadMs));

// 2. Forward time and tfjs-wasm's matMul rate, interleaved in this process so load from elsewhere hits both.
const tf = await import('@tensorflow/tfjs-core');
const { CLIPTextModel, selectBackend } = await import('@sdtext/text-encoder');
const { CLIPTokenizer } = await import('@sdtext/tokenizer');
await selectBackend('wasm');
const model = await CLIPTextModel.fromPretrained(SD2_RANDOM_DIR, { subfolder: 'text_encoder', variant: 'fp16' });
const { texts } = goldenPrompts();
const inputIds = CLIPTokenizer.fromPreset('sd2').encode(texts.slice(0, 2), { padding: 'max_length', truncation: true }).inputIds;
const [B, S] = [inputIds.length, inputIds[0]!.length];
const flops = forwardFlops(model.config, B, S);

await timeForward(model, inputIds); // warm-up
const forwardSamples: { ms: number; cpuMs: number }[] = [];
// The reference rate: the same product in both layouts, x W ([154,1024]x[1024,4096]) and W x^T
// ([4096,1024]x[1024,154], the one the model's Linear runs on wasm); the faster one is the target.
const layouts = [
  { m: B * S, k: 1024, n: 4096, samples: [] as MatMulRate[] },
  { m: 4096, k: 1024, n: B * S, samples: [] as MatMulRate[] },
];
for (let r = 0; r < forwardRuns; r++) {
  forwardSamples.push(await timeForward(model, inputIds));
  for (const l of layouts) l.samples.push(await measureMatMul(tf, l.m, l.k, l.n, { transposeB: false, samples: 1, repeat: 5 }));
}
const forwardMs = median(forwardSamples.map((f) => f.ms));
const forwardCpuMs = median(forwardSamples.map((f) => f.cpuMs));
const forwardGflops = flops / forwardMs / 1e6;
const forwardCpuGflops = flops / forwardCpuMs / 1e6;
const matMulRates = layouts.map((l) => {
  const ms = median(l.samples.map((x) => x.ms));
  const cpuMs = median(l.samples.map((x) => x.cpuMs));
  const f = l.samples[0]!.flops;
  return { shape: l.samples[0]!.shape, ms, gflops: f / ms / 1e6, cpuMs, cpuGflops: f / cpuMs / 1e6, samplesMs: l.samples.map((x) => x.ms) };
});
const best = matMulRates.reduce((a, b) => (b.cpuGflops > a.cpuGflops ? b : a));
const matMulFlops = layouts[0]!.samples[0]!.flops;
const matMulMs = best.ms;
const matMulCpuMs = best.cpuMs;
const matMulGflops = matMulFlops / matMulMs / 1e6;
const matMulCpuGflops = matMulFlops / matMulCpuMs / 1e6;
// The same product in the layout nn.Linear stores (W as [out, in], x W^T), for reference.
const matMulTransposed = await measureMatMul(tf, B * S, 1024, 4096, { transposeB: true, samples: 1, repeat: 1 });
// Where a forward's time goes: tfjs's per-kernel times, and each matMul shape of the model alone.
const kernels = await kernelBreakdown(tf, model, inputIds);
const kernelTotal = kernels.reduce((a, k) => a + k.ms, 0);
const shapes = await matMulShapes(tf, model.config, B, S);

// 3. The small shape on wasm here and on the tfjs cpu backend in a child, for reference.
const small = { batch: 1, seqLen: 8 };
const smallIds = [inputIds[0]!.slice(0, small.seqLen - 1).concat([49407])];
const smallWasm: number[] = [];
for (let i = 0; i < 3; i++) smallWasm.push((await timeForward(model, smallIds)).ms);
const smallWasmMs = median(smallWasm);
model.dispose();
const cpu = args['no-cpu'] ? null : await child<CpuSample>(['cpu', SD2_RANDOM_DIR, String(small.batch), String(small.seqLen)]);
const smallFlops = forwardFlops(model.config, small.batch, small.seqLen);
const machineAfter = machineInfo();

const targets = [
  {
    target: `forward GFLOP/s within 15% of tfjs-wasm's matMul rate (the faster of x W and W x^T: ${best.shape})`,
    value: `${fmt((forwardGflops / matMulGflops) * 100, 0)}% of it (by CPU time ${fmt((forwardCpuGflops / matMulCpuGflops) * 100, 0)}%)`,
    met: forwardGflops >= 0.85 * matMulGflops,
  },
  {
    target: `peak RSS <= 1.2 x float32 weights (${fmt((1.2 * float32WeightBytes) / MB)} MB)`,
    value: `${fmt(peakBytes / MB)} MB = ${fmt(peakBytes / float32WeightBytes, 2)} x`,
    met: peakBytes <= 1.2 * float32WeightBytes,
  },
];

const result = {
  benchmark: 'encoder',
  date,
  machine: { ...machineBefore, loadAverage: undefined, loadAverageBefore: machineBefore.loadAverage, loadAverageAfter: machineAfter.loadAverage },
  versions: {
    '@tensorflow/tfjs-core': packageVersion('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
  },
  checkpoint: { dir: 'models/generated/sd2-random (variant fp16)', parameters, fp16FileBytes, float32WeightBytes },
  method: {
    forward: `batch ${B} x ${S} (two golden prompts, SD2 tokenizer), tfjs-wasm in this process; 1 warm-up, ${forwardRuns} timed, median; output read back`,
    flops: 'per layer 2*M*N*K for q/k/v/out projections, attention scores and weighted sum, fc1, fc2; plus B*S*H for the embedding sum; elementwise ops not counted',
    matMul: `tfjs-wasm float32 matMul [${B * S},1024]x[1024,4096] and [4096,1024]x[1024,${B * S}] (the same FLOPs), 5 per sample, one sample of each after each forward, median; the faster is the reference`,
    memory: `fresh node process per run (${loadRuns} runs): CLIPTextModel.fromPretrained(fp16) then one forward at 2 x 77; VmRSS / VmHWM from /proc/self/status`,
  },
  forward: { batch: B, seqLen: S, flops, ms: forwardMs, gflops: forwardGflops, cpuMs: forwardCpuMs, cpuGflops: forwardCpuGflops, samples: forwardSamples },
  matMul: best,
  matMulLayouts: matMulRates,
  matMulTransposedB: matMulTransposed,
  forwardOverMatMul: forwardGflops / matMulGflops,
  forwardOverMatMulByCpuTime: forwardCpuGflops / matMulCpuGflops,
  kernels: kernels.map((k) => ({ ...k, share: k.ms / kernelTotal })),
  matMulShapes: shapes,
  load: { ms: loadMs, samples: loads },
  memory: { peakBytes, peakAfterLoadBytes, baselineBytes, peakOverFloat32Weights: peakBytes / float32WeightBytes },
  small: {
    ...small,
    flops: smallFlops,
    wasmMs: smallWasmMs,
    cpu: cpu && { ...cpu, ms: median(cpu.forwardMs), gflops: smallFlops / median(cpu.forwardMs) / 1e6 },
  },
  targets,
};

console.log(
  '\n' +
    table(
      ['measure', 'value'],
      [
        [
          `forward ${B} x ${S} (wasm)`,
          `${fmt(forwardMs)} ms, ${fmt(flops / GB, 1)} GFLOP, ${fmt(forwardGflops, 1)} GFLOP/s (CPU ${fmt(forwardCpuMs)} ms, ${fmt(forwardCpuGflops, 1)} GFLOP/s)`,
        ],
        ...matMulRates.map((m) => [
          `matMul ${m.shape} (wasm)${m === best ? ' *' : ''}`,
          `${fmt(m.ms, 1)} ms, ${fmt(m.gflops, 1)} GFLOP/s (CPU ${fmt(m.cpuMs, 1)} ms, ${fmt(m.cpuGflops, 1)} GFLOP/s)`,
        ]),
        [`matMul ${matMulTransposed.shape} (wasm)`, `${fmt(matMulTransposed.ms, 1)} ms, ${fmt(matMulTransposed.gflops, 1)} GFLOP/s`],
        ['forward / matMul rate', `${fmt((forwardGflops / matMulGflops) * 100)}% (by CPU time ${fmt((forwardCpuGflops / matMulCpuGflops) * 100)}%)`],
        ['load fp16 checkpoint (fresh process)', `${fmt(loadMs)} ms`],
        ['peak RSS (load + one forward)', `${fmt(peakBytes / MB)} MB (after load ${fmt(peakAfterLoadBytes / MB)} MB, node baseline ${fmt(baselineBytes / MB)} MB)`],
        ['float32 weights', `${fmt(float32WeightBytes / MB)} MB; peak / weights = ${fmt(peakBytes / float32WeightBytes, 2)}`],
        [`forward ${small.batch} x ${small.seqLen} wasm`, `${fmt(smallWasmMs)} ms, ${fmt(smallFlops / smallWasmMs / 1e6, 1)} GFLOP/s`],
        [
          `forward ${small.batch} x ${small.seqLen} cpu`,
          cpu ? `${fmt(median(cpu.forwardMs))} ms, ${fmt(smallFlops / median(cpu.forwardMs) / 1e6, 2)} GFLOP/s` : 'skipped (--no-cpu)',
        ],
      ],
    ),
);
console.log(
  '\n' + table(['kernel (one forward, tf.profile)', 'ms', 'share', 'calls'], kernels.slice(0, 12).map((k) => [k.kernel, fmt(k.ms), `${fmt((k.ms / kernelTotal) * 100, 1)}%`, String(k.calls)])),
);
console.log(
  '\n' +
    table(
      ['matMul in the model (alone, CPU time)', 'calls/forward', 'ms each', 'GFLOP/s', 'ms/forward'],
      shapes.map((m) => [m.what, String(m.callsPerForward), fmt(m.cpuMs, 2), fmt(m.cpuGflops, 1), fmt(m.cpuMsPerForward)]),
    ),
);
console.log('\n' + table(['target', 'value', 'met'], targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO'])));
console.log(`load average after: ${machineAfter.loadAverage.join(' ')}`);
if (!args['no-write']) console.log(`wrote ${writeResult('encoder', result)}`);
