import { DIALECTS, explainPrompt, getLearnedConditioningPromptSchedules, getMulticondPromptList, type Dialect } from '@sdtext/prompt';
import type { CLIPTokenizer } from '@sdtext/tokenizer';
import { UsageError, type CliIO, type Command } from '../command.js';
import { parseOptions, parsePositiveInteger } from '../parse-options.js';
import { TOKENIZER_OPTION_HELP, loadTokenizer } from '../tokenizer-option.js';

const USAGE = `sdtext parse PROMPT [--dialect a1111|comfy|compel] [options]

Shows how a Stable Diffusion front end reads a prompt, without running a model: the weighted
pieces, and the 77-token chunks the text encoder sees with each token's weight. For a1111 also
the AND parts and the prompt-editing schedule ([a:b:when], [a|b]) over --steps.

  --dialect a1111|comfy|compel  (default: a1111)
  ${TOKENIZER_OPTION_HELP}
  --steps N                   sampling steps for the schedule (default: 20); entry "until step S"
                              conditions the sampler while its step (from 0) is at most S, as in
                              webui (sdtext encode --steps writes the embeddings of each entry)
  --hires-steps N             a hires-fix pass of N steps after the --steps pass ([a:b:1.5])
  --json                      print the same as JSON

Clip skip (sdtext encode --clip-skip) is numbered as each front end numbers it: a1111 webui's
"Clip skip" (1 = last layer; SD 2.x ignores it), comfy CLIPSetLastLayer (-1 = last layer; on
SD 2.x its default is -2), compel and plain prompts diffusers' clip_skip (0 = last layer).`;

export const parseCommand: Command = {
  name: 'parse',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      dialect: { type: 'string' },
      tokenizer: { type: 'string' },
      steps: { type: 'string' },
      'hires-steps': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one PROMPT (quote it)');
    const dialect = (values.dialect ?? 'a1111') as Dialect;
    if (!DIALECTS.includes(dialect)) throw new UsageError(`--dialect must be ${DIALECTS.join(' or ')}, got "${values.dialect}"`);
    const steps = parsePositiveInteger(values.steps, '--steps') ?? 20;
    const hiresSteps = parsePositiveInteger(values['hires-steps'], '--hires-steps');
    const tokenizer = await loadTokenizer(values.tokenizer, io.cwd);
    const prompt = positionals[0]!;
    const explanation = explainPrompt(prompt, dialect, tokenizer);
    const chunks = explanation.chunks.map((c) => ({ tokens: c.tokens.map((id) => tokenizer.decoder[id] ?? String(id)), ids: c.tokens, weights: c.weights }));
    const schedule = dialect === 'a1111' ? scheduleOf(prompt, steps, hiresSteps) : null;
    if (values.json) {
      io.stdout(JSON.stringify({ dialect, pieces: explanation.pieces, chunks, ...(schedule ? { parts: schedule } : {}) }, null, 2) + '\n');
      return 0;
    }
    io.stdout(formatExplanation(dialect, explanation.pieces, chunks, schedule, tokenizer, hiresSteps ?? steps));
    return 0;
  },
};

interface SchedulePart {
  weight: number;
  schedule: { endAtStep: number; prompt: string }[];
}

/** webui's AND split, then each part's prompt-editing schedule. */
function scheduleOf(prompt: string, steps: number, hiresSteps: number | undefined): SchedulePart[] {
  const { indexes, flatList } = getMulticondPromptList([prompt]);
  const schedules = getLearnedConditioningPromptSchedules(flatList, steps, hiresSteps !== undefined ? { hiresSteps } : {});
  return indexes[0]!.map(({ index, weight }) => ({ weight, schedule: schedules[index]!.map(([endAtStep, text]) => ({ endAtStep, prompt: text })) }));
}

function formatExplanation(
  dialect: Dialect,
  pieces: readonly { text: string; weight: number }[],
  chunks: readonly { tokens: string[]; weights: number[] }[],
  parts: SchedulePart[] | null,
  tokenizer: CLIPTokenizer,
  steps: number,
): string {
  const lines = [`dialect: ${dialect}`, '', 'pieces (weight  text):'];
  for (const p of pieces) lines.push(`  ${p.weight === -1 ? 'BREAK' : p.weight.toFixed(4).padStart(6)}  ${JSON.stringify(p.text)}`);
  lines.push('', `chunks: ${chunks.length} x 77 tokens (${chunks.length * 77} positions)`);
  chunks.forEach((c, i) => {
    // Special tokens and padding are left out: the words and their weights are what the user wrote.
    const words = c.tokens
      .map((t, j) => ({ t, w: c.weights[j]! }))
      .filter(({ t }) => t !== tokenizer.bosToken && t !== tokenizer.eosToken && t !== tokenizer.padToken)
      .map(({ t, w }) => (w === 1 ? t : `${t}(${Number(w.toFixed(4))})`));
    lines.push(`  ${i + 1}: ${words.join(' ')}`);
  });
  if (parts && (parts.length > 1 || parts[0]!.schedule.length > 1)) {
    lines.push('', `schedule over ${steps} steps:`);
    for (const part of parts) {
      lines.push(`  AND part, weight ${part.weight}:`);
      for (const s of part.schedule) lines.push(`    until step ${String(s.endAtStep).padStart(3)}: ${JSON.stringify(s.prompt)}`);
    }
  }
  return lines.join('\n') + '\n';
}
