/**
 * `pnpm --filter @sdtext/bench report`: renders results/*.json as markdown tables into
 * docs/benchmarks.md, between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` markers
 * (or prints them with --print). The prose around the tables is written by hand.
 */
import * as fs from 'node:fs';
import { fmt, table } from './machine.js';
import { REPO_DIR, RESULTS_DIR } from './paths.js';

interface Target {
  target: string;
  value: string;
  met: boolean;
}
interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}
interface TokenizerResults {
  date: string;
  machine: Machine;
  libraries: { name: string; version: string; how: string }[];
  throughput: Record<string, { promptsPerSecond: number; promptsPerCpuSecond: number }>;
  coldStart: Record<string, { importToFirstIdsMs: number; processStartToFirstIdsMs: number }>;
  exactness: Record<string, { sameAsOurs: number; sameAsReference: number; total: number; invalidIds: number }>;
  linearTime: { kind: string; bytes: number; ms: number; msPerMB: number; cpuMsPerMB: number }[];
  targets: Target[];
}
interface EncoderResults {
  date: string;
  machine: Machine;
  versions: Record<string, string>;
  checkpoint: { parameters: number; fp16FileBytes: number; float32WeightBytes: number };
  forward: { batch: number; seqLen: number; flops: number; ms: number; gflops: number; cpuMs: number; cpuGflops: number };
  matMul: { shape: string; ms: number; gflops: number; cpuMs: number; cpuGflops: number };
  matMulLayouts: { shape: string; ms: number; gflops: number; cpuMs: number; cpuGflops: number }[];
  matMulTransposedB: { shape: string; ms: number; gflops: number };
  forwardOverMatMul: number;
  forwardOverMatMulByCpuTime: number;
  kernels: { kernel: string; ms: number; calls: number; share: number }[];
  matMulShapes: { what: string; callsPerForward: number; cpuMs: number; cpuGflops: number; cpuMsPerForward: number }[];
  load: { ms: number };
  memory: { peakBytes: number; peakAfterLoadBytes: number; baselineBytes: number; peakOverFloat32Weights: number };
  small: { batch: number; seqLen: number; flops: number; wasmMs: number; cpu: { ms: number; gflops: number } | null };
  targets: Target[];
}

const MB = 1e6;

function machineLine(r: { date: string; machine: Machine }): string {
  const m = r.machine;
  return (
    `Run ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}; ` +
    `load average (1/5/15 min) ${m.loadAverageBefore.join(' / ')} before, ${m.loadAverageAfter.join(' / ')} after.`
  );
}

function targetTable(targets: Target[]): string {
  return table(['target', 'measured', 'met'], targets.map((t) => [t.target, t.value, t.met ? 'yes' : '**no**']));
}

export function tokenizerMarkdown(r: TokenizerResults): string {
  const ours = r.throughput.sdtext!;
  const coldOurs = r.coldStart.sdtext!.importToFirstIdsMs;
  const rows = r.libraries.map(({ name, version }) => {
    const t = r.throughput[name]!;
    const c = r.coldStart[name]!;
    const e = r.exactness[name]!;
    return [
      `${name} ${version}`,
      fmt(t.promptsPerSecond),
      name === 'sdtext' ? '1' : fmt(ours.promptsPerSecond / t.promptsPerSecond, 2),
      name === 'sdtext' ? '1' : fmt(ours.promptsPerCpuSecond / t.promptsPerCpuSecond, 2),
      fmt(c.importToFirstIdsMs, 1),
      name === 'sdtext' ? '1' : fmt(c.importToFirstIdsMs / coldOurs, 1),
      `${e.sameAsOurs}/${e.total}${e.invalidIds ? ` (${e.invalidIds} with undefined ids)` : ''}`,
    ];
  });
  const linear = r.linearTime.map((l) => [l.kind, fmt(l.bytes), fmt(l.ms, 1), fmt(l.msPerMB), fmt(l.cpuMsPerMB)]);
  return [
    machineLine(r),
    '',
    table(
      ['library', 'prompts/s', 'ours ÷ peer (speed)', 'same, by CPU time', 'cold start ms', 'peer ÷ ours (cold start)', 'ids equal ours'],
      rows,
    ),
    '',
    'Linear time, ours only (one `encode` of one long text, padded and truncated to 77):',
    '',
    table(['input', 'UTF-8 bytes', 'ms', 'ms per MB', 'CPU ms per MB'], linear),
    '',
    targetTable(r.targets),
  ].join('\n');
}

export function encoderMarkdown(r: EncoderResults): string {
  const f = r.forward;
  const rows = [
    [`forward ${f.batch} x ${f.seqLen}, tfjs-wasm`, `${fmt(f.ms)} ms`, `${fmt(f.gflops, 1)} GFLOP/s (${fmt(f.flops / 1e9, 1)} GFLOP)`, `${fmt(f.cpuGflops, 1)} GFLOP/s`],
    ...r.matMulLayouts.map((m) => [
      `matMul ${m.shape}, tfjs-wasm${m.shape === r.matMul.shape ? ' (reference: the faster)' : ''}`,
      `${fmt(m.ms, 1)} ms`,
      `${fmt(m.gflops, 1)} GFLOP/s`,
      `${fmt(m.cpuGflops, 1)} GFLOP/s`,
    ]),
    ['forward ÷ reference matMul rate', '', `${fmt(r.forwardOverMatMul * 100)}%`, `${fmt(r.forwardOverMatMulByCpuTime * 100)}%`],
    [`matMul ${r.matMulTransposedB.shape} (transposeB), tfjs-wasm`, `${fmt(r.matMulTransposedB.ms, 1)} ms`, `${fmt(r.matMulTransposedB.gflops, 1)} GFLOP/s`, ''],
    ['load fp16 checkpoint (fresh process, median)', `${fmt(r.load.ms)} ms`, `${fmt(r.checkpoint.fp16FileBytes / MB)} MB file`, ''],
    [
      'peak RSS, load + one forward (fresh process)',
      `${fmt(r.memory.peakBytes / MB)} MB`,
      `${fmt(r.memory.peakOverFloat32Weights, 2)} x float32 weights (${fmt(r.checkpoint.float32WeightBytes / MB)} MB)`,
      `after load only: ${fmt(r.memory.peakAfterLoadBytes / MB)} MB; node + tfjs baseline ${fmt(r.memory.baselineBytes / MB)} MB`,
    ],
    [
      `forward ${r.small.batch} x ${r.small.seqLen}, tfjs-wasm`,
      `${fmt(r.small.wasmMs)} ms`,
      `${fmt(r.small.flops / r.small.wasmMs / 1e6, 1)} GFLOP/s`,
      '',
    ],
    [
      `forward ${r.small.batch} x ${r.small.seqLen}, tfjs cpu`,
      r.small.cpu ? `${fmt(r.small.cpu.ms)} ms` : 'skipped',
      r.small.cpu ? `${fmt(r.small.cpu.gflops, 2)} GFLOP/s; wasm is ${fmt(r.small.cpu.ms / r.small.wasmMs)}x faster` : '',
      '',
    ],
  ];
  const kernels = r.kernels.slice(0, 8).map((k) => [k.kernel, String(k.calls), fmt(k.ms), `${fmt(k.share * 100, 1)}%`]);
  const shapes = r.matMulShapes.map((m) => [m.what, String(m.callsPerForward), fmt(m.cpuMs, 2), fmt(m.cpuGflops, 1), fmt(m.cpuMsPerForward)]);
  return [
    machineLine(r),
    `tfjs-core ${r.versions['@tensorflow/tfjs-core']}, tfjs-backend-wasm ${r.versions['@tensorflow/tfjs-backend-wasm']} (one thread in Node).`,
    `Checkpoint: random SD2-shape weights, ${fmt(r.checkpoint.parameters / 1e6, 1)}M parameters.`,
    '',
    table(['measure', 'wall clock', 'rate / ratio', 'by CPU time'], rows),
    '',
    'Where a forward pass goes (tf.profile, one forward at 2 x 77):',
    '',
    table(['kernel', 'calls', 'ms', 'share'], kernels),
    '',
    "Each matMul of the forward pass alone, in the layout the model runs it on wasm (CPU time):",
    '',
    table(['matMul', 'calls per forward', 'ms each', 'GFLOP/s', 'ms per forward'], shapes),
    '',
    targetTable(r.targets),
  ].join('\n');
}

function replaceBetween(doc: string, name: string, body: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/benchmarks.md has no ${start} ... ${end} markers`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}

const sections: [string, (r: never) => string][] = [
  ['tokenizer', tokenizerMarkdown as (r: never) => string],
  ['encoder', encoderMarkdown as (r: never) => string],
];
const docFile = `${REPO_DIR}docs/benchmarks.md`;
let doc = process.argv.includes('--print') ? '' : fs.readFileSync(docFile, 'utf8');
for (const [name, render] of sections) {
  const file = `${RESULTS_DIR}${name}.json`;
  if (!fs.existsSync(file)) continue;
  const body = render(JSON.parse(fs.readFileSync(file, 'utf8')) as never);
  if (process.argv.includes('--print')) console.log(`## ${name}\n\n${body}\n`);
  else doc = replaceBetween(doc, name, body);
}
if (!process.argv.includes('--print')) {
  fs.writeFileSync(docFile, doc);
  console.log(`updated ${docFile}`);
}
