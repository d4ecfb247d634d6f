import { finiteWeight } from '../errors.js';
import { pythonFloat } from '../python-float.js';
import { PY_BOUNDARY_AFTER, PY_BOUNDARY_BEFORE, isPythonSpaceCode } from '../python-re.js';

const RE_AND = new RegExp(`${PY_BOUNDARY_BEFORE}AND${PY_BOUNDARY_AFTER}`, 'gu');
// The number of webui's re_weight, whole: [-+]?(?:\d+\.?|\d*\.\d+), \d being any Unicode digit.
const WEIGHT_NUMBER = /^[-+]?(?:\p{Nd}+\.?|\p{Nd}*\.\p{Nd}+)$/u;

/** One `AND` part of a prompt: an index into the flat list of texts, and its weight. */
export interface MulticondPart {
  index: number;
  weight: number;
}

export interface MulticondPromptList {
  /** Per prompt, its parts (`a cat :1.2 AND a dog` has two). */
  indexes: MulticondPart[][];
  /** The distinct subprompt texts, each encoded once. */
  flatList: string[];
}

/**
 * webui's re_weight, `^((?:\s|.)*?)(?:\s*:\s*(NUMBER))?\s*$`, without its backtracking (quadratic
 * on a run of spaces): the lazy text stops at the earliest point from which the rest is
 * `[ws] ":" [ws] NUMBER [ws]` (preferred) or only spaces. NUMBER has no spaces or ":", so it can
 * only be the last word, right after the ":" and its spaces.
 */
function splitWeight(subprompt: string): { text: string; weight: string | undefined; weightAt: number } {
  let trail = subprompt.length;
  while (trail > 0 && isPythonSpaceCode(subprompt.charCodeAt(trail - 1))) trail--;
  let numberStart = trail;
  while (numberStart > 0 && subprompt[numberStart - 1] !== ':' && !isPythonSpaceCode(subprompt.charCodeAt(numberStart - 1))) numberStart--;
  let colon = numberStart;
  while (colon > 0 && isPythonSpaceCode(subprompt.charCodeAt(colon - 1))) colon--;
  const number = subprompt.slice(numberStart, trail);
  if (colon > 0 && subprompt[colon - 1] === ':' && WEIGHT_NUMBER.test(number)) {
    let textEnd = colon - 1;
    while (textEnd > 0 && isPythonSpaceCode(subprompt.charCodeAt(textEnd - 1))) textEnd--;
    return { text: subprompt.slice(0, textEnd), weight: number, weightAt: numberStart };
  }
  return { text: subprompt.slice(0, trail), weight: undefined, weightAt: trail };
}

/**
 * webui's `get_multicond_prompt_list`: prompts split on `AND` (composable diffusion), each part
 * with an optional trailing `:weight`; identical texts share one index. A weight that is not a
 * finite number (`a :99…9` with 400 nines) throws PromptError.
 */
export function getMulticondPromptList(prompts: readonly string[]): MulticondPromptList {
  const flatList: string[] = [];
  const seen = new Map<string, number>();
  const indexes = prompts.map((prompt) => {
    const parts: MulticondPart[] = [];
    let start = 0;
    const addPart = (end: number): void => {
      const { text, weight, weightAt } = splitWeight(prompt.slice(start, end));
      const value = weight === undefined ? 1.0 : finiteWeight(pythonFloat(weight)!, `:${weight}`, start + weightAt);
      let index = seen.get(text);
      if (index === undefined) {
        index = flatList.length;
        flatList.push(text);
        seen.set(text, index);
      }
      parts.push({ index, weight: value });
    };
    for (const m of prompt.matchAll(RE_AND)) {
      addPart(m.index);
      start = m.index + m[0].length;
    }
    addPart(prompt.length);
    return parts;
  });
  return { indexes, flatList };
}
