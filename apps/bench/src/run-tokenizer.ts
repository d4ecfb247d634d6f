/**
 * `pnpm --filter @sdtext/bench bench:tokenizer`: throughput, cold start, linear time and
 * exactness of @sdtext/tokenizer against its peers; writes results/tokenizer.json, prints tables.
 *
 * Options: --rounds N (7), --seconds S per round and library (1), --cold-runs N (7), --no-write.
 */
import { parseArgs } from 'node:util';
import { ensureHfTokenizerFolder } from './hf-tokenizer-folder.js';
import { LIBRARIES, LIBRARY_INFO, loadTokenizer, type LibraryName } from './libraries.js';
import { fmt, machineInfo, packageVersion, table } from './machine.js';
import { goldenPrompts, writeResult } from './paths.js';
import {
  measureColdStart,
  measureExactness,
  measureLinearTime,
  measureThroughput,
  throughputSink,
  type LinearTimeRow,
} from './tokenizer-bench.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '1' },
    'cold-runs': { type: 'string', default: '7' },
    'no-write': { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const secondsPerRound = Number(args.seconds);
const coldRuns = Number(args['cold-runs']);

const machineBefore = machineInfo();
const date = new Date().toISOString();
ensureHfTokenizerFolder();
const { texts, referenceIds } = goldenPrompts();
const libraries = LIBRARIES.map((name) => ({ name, version: packageVersion(LIBRARY_INFO[name].packageName), how: LIBRARY_INFO[name].how }));
console.log(`tokenizer bench: ${texts.length} golden prompts, ${rounds} rounds x ${secondsPerRound}s, load ${machineBefore.loadAverage.join(' ')}`);

// Cold starts first, in fresh processes, before this process has warmed anything.
const coldStart = await measureColdStart(LIBRARIES, coldRuns);

const tokenizers = [];
for (const name of LIBRARIES) tokenizers.push(await loadTokenizer(name));
const exactness = await measureExactness(tokenizers, texts, referenceIds);
const throughput = await measureThroughput(tokenizers, texts, { rounds, secondsPerRound });
const linearTime = await measureLinearTime(['letters', 'emoji', 'prose'], [10_000, 100_000, 1_000_000], 3, texts);
const machineAfter = machineInfo();

const ours = throughput.sdtext!.promptsPerSecond;
const peers = LIBRARIES.filter((n) => n !== 'sdtext' && n !== 'sdtext-folder');
const fastestColdPeer = peers.reduce((best, n) => (coldStart[n]!.importToFirstIdsMs < coldStart[best]!.importToFirstIdsMs ? n : best));
const fastestPeer = peers.reduce((best, n) => (throughput[n]!.promptsPerSecond > throughput[best]!.promptsPerSecond ? n : best));
const perMB = (kind: string) => linearTime.filter((r) => r.kind === kind).map((r) => r.msPerMB);
const spread = (xs: number[]) => Math.max(...xs) / Math.min(...xs);
const linearSpread = Math.max(spread(perMB('letters')), spread(perMB('emoji')), spread(perMB('prose')));

const targets = [
  {
    target: `throughput >= the fastest peer (${fastestPeer})`,
    value: `${fmt(ours / throughput[fastestPeer]!.promptsPerSecond, 2)}x`,
    met: ours >= throughput[fastestPeer]!.promptsPerSecond,
  },
  {
    target: 'throughput >= 2.5x clip-bpe-js',
    value: `${fmt(ours / throughput['clip-bpe-js']!.promptsPerSecond, 2)}x`,
    met: ours >= 2.5 * throughput['clip-bpe-js']!.promptsPerSecond,
  },
  {
    target: 'throughput >= 5x transformers.js',
    value: `${fmt(ours / throughput['transformers.js']!.promptsPerSecond, 2)}x`,
    met: ours >= 5 * throughput['transformers.js']!.promptsPerSecond,
  },
  {
    target: 'cold start from the bundled preset (import -> first ids) < 40 ms',
    value: `${fmt(coldStart.sdtext!.importToFirstIdsMs, 1)} ms`,
    met: coldStart.sdtext!.importToFirstIdsMs < 40,
  },
  {
    target: `cold start from a tokenizer folder <= the fastest peer's (${fastestColdPeer}, ${fmt(coldStart[fastestColdPeer]!.importToFirstIdsMs, 1)} ms)`,
    value: `${fmt(coldStart['sdtext-folder']!.importToFirstIdsMs, 1)} ms`,
    met: coldStart['sdtext-folder']!.importToFirstIdsMs <= coldStart[fastestColdPeer]!.importToFirstIdsMs,
  },
  {
    target: 'linear time: ms per MB within 2x across 10 kB .. 1 MB, per input kind',
    value: `max/min ${fmt(linearSpread, 2)}`,
    met: linearSpread <= 2,
  },
  {
    target: 'exact: our ids equal the Python reference on every golden prompt',
    value: `${exactness.sdtext!.sameAsReference}/${texts.length}`,
    met: exactness.sdtext!.sameAsReference === texts.length,
  },
];

const result = {
  benchmark: 'tokenizer',
  date,
  machine: { ...machineBefore, loadAverage: undefined, loadAverageBefore: machineBefore.loadAverage, loadAverageAfter: machineAfter.loadAverage },
  method: {
    prompts: `${texts.length} golden prompts (models/fixtures/tokenizer/cases.json, mode "!"), SD2 mode: padded to 77, truncated`,
    gc: typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'full GC before each timed stretch (--expose-gc)' : 'no --expose-gc: no GC between stretches',
    throughput: `whole list as one batch, repeated for ${secondsPerRound}s per library per round, ${rounds} rounds (libraries take turns, order rotating), one warm-up round; median`,
    coldStart: `fresh node process per run, ${coldRuns} runs per library; clock from before import() to the first prompt's ids; median`,
    linearTime: 'one encode() of a single long text (fresh text per repetition, 3 repetitions, median), ours only',
  },
  libraries,
  throughput,
  ratios: Object.fromEntries(peers.map((n) => [n, ours / throughput[n]!.promptsPerSecond])),
  ratiosByCpuTime: Object.fromEntries(peers.map((n) => [n, throughput.sdtext!.promptsPerCpuSecond / throughput[n]!.promptsPerCpuSecond])),
  coldStart,
  exactness,
  linearTime,
  targets,
  sink: throughputSink() % 7,
};

const oursCpu = throughput.sdtext!.promptsPerCpuSecond;
const rows = LIBRARIES.map((n: LibraryName) => [
  n,
  fmt(throughput[n]!.promptsPerSecond),
  n === 'sdtext' ? '1.00' : fmt(ours / throughput[n]!.promptsPerSecond, 2),
  fmt(throughput[n]!.promptsPerCpuSecond),
  n === 'sdtext' ? '1.00' : fmt(oursCpu / throughput[n]!.promptsPerCpuSecond, 2),
  fmt(coldStart[n]!.importToFirstIdsMs, 1),
  n === 'sdtext' ? '1.00' : fmt(coldStart.sdtext!.importToFirstIdsMs / coldStart[n]!.importToFirstIdsMs, 2),
  `${exactness[n]!.sameAsOurs}/${texts.length}`,
  `${exactness[n]!.sameAsReference}/${texts.length}`,
]);
console.log('\n' + table(['library', 'prompts/s', 'ours/peer', 'prompts/CPU-s', 'ours/peer (CPU)', 'cold start ms', 'ours/peer time', 'ids = ours', 'ids = Python'], rows));
console.log(
  '\n' +
    table(
      ['input', 'bytes', 'ms', 'ms per MB', 'CPU ms per MB'],
      linearTime.map((r: LinearTimeRow) => [r.kind, fmt(r.bytes), fmt(r.ms, 1), fmt(r.msPerMB, 1), fmt(r.cpuMsPerMB, 1)]),
    ),
);
console.log('\n' + table(['target', 'value', 'met'], targets.map((t) => [t.target, t.value, t.met ? 'yes' : 'NO'])));
console.log(`load average after: ${machineAfter.loadAverage.join(' ')}`);
if (!args['no-write']) console.log(`wrote ${writeResult('tokenizer', result)}`);
