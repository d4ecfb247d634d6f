// REFERENCE ONLY: src/a1111/multicond.ts as it was before the parsers were made linear, unchanged but
// for import paths. It matched the originals on every fixture but is exponential or quadratic on
// hostile prompts; test/parsers-fuzz.test.ts checks that the current parsers give the same
// answers on small random prompts. Not for use outside the tests.

import { PY_BOUNDARY_AFTER, PY_BOUNDARY_BEFORE, PY_SPACE } from '../../../src/python-re.js';

const RE_AND = new RegExp(`${PY_BOUNDARY_BEFORE}AND${PY_BOUNDARY_AFTER}`, 'u');
// webui's re_weight: "text :weight" at the end of a subprompt; \s|. is "any character".
const RE_WEIGHT = new RegExp(`^([^]*?)(?:[${PY_SPACE}]*:[${PY_SPACE}]*([-+]?(?:\\d+\\.?|\\d*\\.\\d+)))?[${PY_SPACE}]*$`, 'u');

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
 * webui's `get_multicond_prompt_list`: prompts split on `AND` (composable diffusion), each part
 * with an optional trailing `:weight`; identical texts share one index.
 */
export function getMulticondPromptList(prompts: readonly string[]): MulticondPromptList {
  const flatList: string[] = [];
  const seen = new Map<string, number>();
  const indexes = prompts.map((prompt) =>
    prompt.split(RE_AND).map((subprompt): MulticondPart => {
      const m = RE_WEIGHT.exec(subprompt);
      const text = m ? m[1]! : subprompt;
      const weight = m?.[2] !== undefined ? Number(m[2]) : 1.0;
      let index = seen.get(text);
      if (index === undefined) {
        index = flatList.length;
        flatList.push(text);
        seen.set(text, index);
      }
      return { index, weight };
    }),
  );
  return { indexes, flatList };
}
