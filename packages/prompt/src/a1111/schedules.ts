import { PromptError } from '../errors.js';
import { parseScheduleTree, type ScheduleNode } from './schedule-grammar.js';

/** The most sampling steps a schedule is computed over (webui's UI stops at 150; its API at nothing). */
export const MAX_SCHEDULE_STEPS = 10_000;
/**
 * The most characters a prompt's schedule may write: entries x the prompt's length. `[a|b]` makes
 * one text per step; a long prompt over many steps would otherwise allocate without end.
 */
export const MAX_SCHEDULE_CHARACTERS = 1 << 25;

function checkSteps(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_SCHEDULE_STEPS) {
    throw new RangeError(`${name} must be an integer from 1 to ${MAX_SCHEDULE_STEPS} (MAX_SCHEDULE_STEPS), got ${value}`);
  }
}

/** One prompt text and the last sampling step it is used for (webui's `[end_at_step, text]`). */
export type ScheduledPrompt = [endAtStep: number, text: string];

export interface ScheduleOptions {
  /** Hires-fix steps: a second pass whose schedule uses numbers >= 1 (webui 1.6 scheduling). */
  hiresSteps?: number;
  /** webui's "use old prompt editing timelines" compatibility setting. */
  useOldScheduling?: boolean;
}

/**
 * webui's `get_learned_conditioning_prompt_schedules` for one prompt: `[a:b:when]` (a until
 * `when`, then b; `when` < 1 is a fraction of the steps), `[a:when]`, `[a::when]` and `[a|b]`
 * (alternating every step). Returns the texts with the step each one ends at (a text may come
 * back: `[a|b]` alternates). Steps past MAX_SCHEDULE_STEPS are a RangeError; a schedule writing
 * more than MAX_SCHEDULE_CHARACTERS a PromptError.
 */
export function getPromptSchedule(prompt: string, baseSteps: number, options: ScheduleOptions = {}): ScheduledPrompt[] {
  const { hiresSteps, useOldScheduling = false } = options;
  checkSteps(baseSteps, 'steps');
  if (hiresSteps !== undefined) checkSteps(hiresSteps, 'hiresSteps');
  const hires = hiresSteps !== undefined && !useOldScheduling;
  const steps = hires ? hiresSteps : baseSteps;
  const intOffset = hires ? baseSteps : 0;
  const floatOffset = hires ? 1.0 : 0;

  const tree = parseScheduleTree(prompt);
  if (!tree) return [[steps, prompt]];

  // CollectSteps: every switch point, resolved once per scheduled node (webui writes the int back
  // into the tree before any text is built, so at_step compares against the resolved step).
  const resolved = new Map<ScheduleNode, number>();
  const collected = new Set<number>([steps]);
  const collect = (nodes: readonly ScheduleNode[]): void => {
    for (const node of nodes) {
      if (node.kind === 'scheduled') {
        if (node.before) collect(node.before);
        collect(node.after);
        let v = Number(node.number);
        if (useOldScheduling) v = v < 1 ? v * steps : v;
        else v = node.number.includes('.') ? (v - floatOffset) * steps : v - intOffset;
        const when = Math.min(steps, Math.trunc(v));
        resolved.set(node, when);
        if (when >= 1) collected.add(when);
      } else if (node.kind === 'alternate') {
        for (const option of node.options) if (option) collect(option);
        for (let s = 1; s <= steps; s++) collected.add(s);
      }
    }
  };
  collect(tree);
  if (collected.size * prompt.length > MAX_SCHEDULE_CHARACTERS) {
    throw new PromptError(
      `the prompt's schedule has ${collected.size} texts over ${steps} steps; with its ${prompt.length} characters that passes ` +
        `MAX_SCHEDULE_CHARACTERS (${MAX_SCHEDULE_CHARACTERS}): use fewer steps or a shorter prompt`,
    );
  }

  const textAt = (nodes: readonly ScheduleNode[] | null, step: number): string => {
    if (!nodes) return '';
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') out += node.text;
      else if (node.kind === 'scheduled') out += step <= resolved.get(node)! ? textAt(node.before, step) : textAt(node.after, step);
      else out += textAt(node.options[(step - 1) % node.options.length]!, step);
    }
    return out;
  };

  return [...collected].sort((a, b) => a - b).map((step): ScheduledPrompt => [step, textAt(tree, step)]);
}

/** The same for a batch of prompts (webui's signature). */
export function getLearnedConditioningPromptSchedules(
  prompts: readonly string[],
  baseSteps: number,
  options: ScheduleOptions = {},
): ScheduledPrompt[][] {
  return prompts.map((p) => getPromptSchedule(p, baseSteps, options));
}
