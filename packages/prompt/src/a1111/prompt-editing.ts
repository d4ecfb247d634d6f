import { getMulticondPromptList } from './multicond.js';
import { parseScheduleTree, type ScheduleNode } from './schedule-grammar.js';

/**
 * Whether webui conditions this prompt with more than one plain tensor: `AND` parts or a `:weight`
 * (composable diffusion; prompts only, webui reads a negative's AND as text), prompt editing
 * `[a:b:when]` or alternation `[a|b]`. Those need the sampling steps to encode.
 */
export function usesPromptEditing(prompt: string, options: { negative?: boolean } = {}): boolean {
  if (!options.negative) {
    const { indexes, flatList } = getMulticondPromptList([prompt]);
    const parts = indexes[0]!;
    if (parts.length > 1 || parts[0]!.weight !== 1) return true;
    return flatList.some(schedules);
  }
  return schedules(prompt);
}

function schedules(text: string): boolean {
  const stack: (readonly ScheduleNode[])[] = [parseScheduleTree(text) ?? []];
  while (stack.length > 0) {
    for (const node of stack.pop()!) {
      if (node.kind === 'scheduled' || node.kind === 'alternate') return true;
    }
  }
  return false;
}
