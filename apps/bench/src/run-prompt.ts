/**
 * `pnpm --filter @sdtext/bench bench:prompt`: how long @sdtext/prompt's parsers take on the
 * prompts of issue 16 (1 MB in each dialect, 10k-deep nesting, the small hostile ones). Each case
 * runs in a child process with a time limit, so a parser that hangs shows as "> limit" instead of
 * stopping the bench; writes results/prompt.json, prints a table.
 *
 * Options: --runs N (5, median after one warm-up), --limit S seconds per case (60),
 * --prompt-module PATH (another build of @sdtext/prompt, e.g. an older one bundled with esbuild;
 * default: packages/prompt/dist), --no-write.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CLIPTokenizer } from '@sdtext/tokenizer';
import { fmt, machineInfo, median, table } from './machine.js';
import { REPO_DIR, writeResult } from './paths.js';
import { PROMPT_CASES, parse, type PromptModule } from './prompt-cases.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    limit: { type: 'string', default: '60' },
    'prompt-module': { type: 'string', default: path.join(REPO_DIR, 'packages/prompt/dist/index.js') },
    'no-write': { type: 'boolean', default: false },
    case: { type: 'string' },
  },
});
const runs = Number(args.runs);
const limitSeconds = Number(args.limit);
const modulePath = path.resolve(args['prompt-module']);

interface CaseResult {
  name: string;
  step: string;
  /** Median milliseconds, or null when the case ran past the limit. */
  ms: number | null;
  /** `ok`, the error it refused with, or `timeout`/`crash`. */
  outcome: string;
}

/** Child: one case, `runs` timed calls after a warm-up, as JSON on stdout. */
async function runCase(index: number): Promise<void> {
  const module = (await import(pathToFileURL(modulePath).href)) as PromptModule;
  const tokenizer = CLIPTokenizer.fromPreset('sd1');
  const c = PROMPT_CASES[index]!;
  const prompt = c.prompt();
  const once = (): string => {
    try {
      if (c.step === 'parse') parse(module, c.dialect, prompt);
      else if (c.step === 'schedule') module.getPromptSchedule(prompt, 20);
      else module.explainPrompt(prompt, c.dialect, tokenizer);
      return 'ok';
    } catch (error) {
      const e = error as Error;
      return `${e.name}: ${e.message.slice(0, 80)}`;
    }
  };
  let outcome = once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    outcome = once();
    times.push(performance.now() - start);
  }
  process.stdout.write(JSON.stringify({ ms: median(times), outcome }));
}

function main(): void {
  const machine = machineInfo();
  console.log(`prompt bench: ${modulePath}, ${runs} runs per case (median), limit ${limitSeconds} s, load ${machine.loadAverage.join(' ')}`);
  const results: CaseResult[] = [];
  PROMPT_CASES.forEach((c, index) => {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--case', String(index), ...childArgs()], {
      encoding: 'utf8',
      timeout: limitSeconds * 1000,
      maxBuffer: 1 << 20,
    });
    let result: CaseResult;
    if (child.error && (child.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') result = { name: c.name, step: c.step, ms: null, outcome: 'timeout' };
    else if (child.status !== 0) result = { name: c.name, step: c.step, ms: null, outcome: `crash: ${child.stderr.trim().split('\n').slice(-1)[0] ?? ''}` };
    else result = { name: c.name, step: c.step, ...(JSON.parse(child.stdout) as { ms: number; outcome: string }) };
    results.push(result);
    console.log(`  ${c.name} (${c.step}): ${result.ms === null ? `> ${limitSeconds} s` : `${fmt(result.ms, 1)} ms`} ${result.outcome}`);
  });
  console.log(
    '\n' +
      table(
        ['case', 'step', 'time', 'outcome'],
        results.map((r) => [r.name, r.step, r.ms === null ? `> ${limitSeconds} s` : `${fmt(r.ms, r.ms < 10 ? 1 : 0)} ms`, r.outcome]),
      ),
  );
  if (!args['no-write']) {
    const file = writeResult('prompt', { date: new Date().toISOString(), machine, module: modulePath, runs, limitSeconds, results });
    console.log(`\nwrote ${file}`);
  }
}

function childArgs(): string[] {
  return ['--runs', String(runs), '--prompt-module', modulePath];
}

if (args.case !== undefined) await runCase(Number(args.case));
else main();
