import type { PromptTokenizer, Tensor } from '../encoder.js';
import type { EncoderCache } from '../encoder-cache.js';
import { encodeA1111, type A1111EncodeOptions } from './encode.js';
import { getMulticondPromptList } from './multicond.js';
import { getPromptSchedule, type ScheduleOptions } from './schedules.js';

/** One cond of a schedule: used up to and including `endAtStep`. */
export interface ScheduledConditioning {
  endAtStep: number;
  text: string;
  /** [77 * chunks, H] */
  cond: Tensor;
}

/** One `AND` part: its weight and its prompt-editing schedule. */
export interface ComposableConditioning {
  weight: number;
  schedule: ScheduledConditioning[];
}

/**
 * webui's `get_multicond_learned_conditioning` for one prompt: split on AND (with `:weight`),
 * each distinct part scheduled over `steps`, and all texts of one part's schedule encoded as one
 * batch, as webui does (so Original emphasis rescales by that batch's mean).
 */
export async function encodeA1111Multicond(
  prompt: string,
  steps: number,
  tokenizer: PromptTokenizer,
  cache: EncoderCache,
  options: A1111EncodeOptions & ScheduleOptions = {},
): Promise<ComposableConditioning[]> {
  const { indexes, flatList } = getMulticondPromptList([prompt]);
  const schedules = await Promise.all(
    flatList.map(async (text) => {
      const schedule = getPromptSchedule(text, steps, options);
      const { embeds } = await encodeA1111(
        schedule.map(([, t]) => t),
        tokenizer,
        cache,
        options,
      );
      const [, seq, hidden] = embeds.dims as [number, number, number];
      return schedule.map(([endAtStep, t], i): ScheduledConditioning => ({
        endAtStep,
        text: t,
        cond: { data: embeds.data.slice(i * seq * hidden, (i + 1) * seq * hidden), dims: [seq, hidden] },
      }));
    }),
  );
  return indexes[0]!.map(({ index, weight }) => ({ weight, schedule: schedules[index]! }));
}
