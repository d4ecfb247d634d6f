import type { Tensor } from '../encoder.js';
import { PromptError } from '../errors.js';
import { getMulticondPromptList } from './multicond.js';
import { getPromptSchedule, type ScheduleOptions } from './schedules.js';

/** The most distinct texts one call may have to encode (AND parts, their schedules, negative prompts). */
export const MAX_CONDITIONING_TEXTS = 256;

/** One text's conditioning as webui keeps it: [T, H], and for SDXL the pooled vector [P]. */
export interface TextConditioning {
  embeds: Tensor;
  pooled?: Tensor;
}

/**
 * What runs the text encoder(s) for a schedule: webui's `model.get_learned_conditioning(texts)`
 * on one batch (a prompt's schedule texts, `repeats` telling how often each stands in webui's
 * list), and its `cond_stage_model_empty_prompt` ([77, H], the filler of "Pad prompt/negative prompt").
 */
export interface A1111BatchEncoder {
  encode(texts: readonly string[], repeats: readonly number[], isNegativePrompt: boolean): Promise<TextConditioning[]>;
  emptyPrompt(): Promise<Tensor>;
}

export interface A1111ScheduleOptions extends ScheduleOptions {
  /** The steps webui schedules over (its sampler's total steps; the first pass's with `hiresSteps`). */
  steps: number;
  /** webui's "Pad prompt/negative prompt" (pad_cond_uncond, off by default): the shorter side gets empty-prompt chunks. */
  padCondUncond?: boolean;
}

/** One AND part of one prompt at a step. */
export interface ConditioningPart {
  /** Which prompt of the batch it belongs to. */
  prompt: number;
  /** Its `:weight` (composable diffusion). */
  weight: number;
  /** The text encoded for it at this step. */
  text: string;
  /** [T, H], T the same for every part of the step (webui's stack_conds). */
  embeds: Tensor;
  pooled?: Tensor;
}

/** One negative prompt at a step. */
export interface NegativeConditioning extends TextConditioning {
  text: string;
}

/**
 * What webui's CFGDenoiser conditions on while its step counter (from 0) is at most `untilStep`
 * and above the previous entry's: reconstruct_multicond_batch (the parts, stacked to one length by
 * repeating each one's last vector) and reconstruct_cond_batch (the negatives), then pad_cond_uncond
 * when asked.
 */
export interface ConditioningStep {
  untilStep: number;
  parts: ConditioningPart[];
  negatives: NegativeConditioning[] | null;
}

interface Scheduled {
  ends: number[];
  texts: string[];
  conds: TextConditioning[];
}

/**
 * webui's conditioning over the steps of a generation (processing.py: get_multicond_learned_conditioning
 * for the prompts, get_learned_conditioning for the negatives, then per step CFGDenoiser.forward's
 * reconstruct and pad): each AND part and each negative is scheduled (`[a:b:when]`, `[a|b]`), the
 * texts of one schedule encoded as one batch (webui's emphasis mean is the batch's), and every
 * distinct text once. Entries are returned at the steps where anything changes. More than
 * MAX_CONDITIONING_TEXTS distinct texts is a PromptError, before any is encoded.
 */
export async function encodeA1111Schedule(
  prompts: readonly string[],
  negatives: readonly string[] | null,
  encoder: A1111BatchEncoder,
  options: A1111ScheduleOptions,
): Promise<ConditioningStep[]> {
  const { indexes, flatList } = getMulticondPromptList(prompts);
  const negativeTexts = negatives ? [...new Set(negatives)] : [];
  const plans = [...flatList, ...negativeTexts].map((text) => getPromptSchedule(text, options.steps, options));
  const distinct = new Set(plans.flatMap((plan, i) => plan.map(([, t]) => `${i < flatList.length ? 'p' : 'n'}${t}`)));
  if (distinct.size > MAX_CONDITIONING_TEXTS) {
    throw new PromptError(
      `the prompts' AND parts and schedules over ${options.steps} steps need ${distinct.size} distinct texts encoded: ` +
        `more than MAX_CONDITIONING_TEXTS (${MAX_CONDITIONING_TEXTS}); use fewer steps or alternatives`,
    );
  }

  const scheduled: Scheduled[] = [];
  for (const [i, plan] of plans.entries()) {
    // webui encodes the schedule's texts, repeats and all, as one batch; each distinct text once here.
    const unique = [...new Set(plan.map(([, t]) => t))];
    const repeats = unique.map((t) => plan.filter(([, x]) => x === t).length);
    const conds = await encoder.encode(unique, repeats, i >= flatList.length);
    scheduled.push({ ends: plan.map(([end]) => end), texts: plan.map(([, t]) => t), conds: plan.map(([, t]) => conds[unique.indexOf(t)]!) });
  }
  const partSchedules = scheduled.slice(0, flatList.length);
  const negativeSchedules = negatives ? negatives.map((n) => scheduled[flatList.length + negativeTexts.indexOf(n)]!) : null;

  const boundaries = [...new Set(scheduled.flatMap((s) => s.ends))].sort((a, b) => a - b);
  const padded = new Padder();
  const empty = options.padCondUncond ? await encoder.emptyPrompt() : null;
  return boundaries.map((untilStep): ConditioningStep => {
    // reconstruct_*: the first entry whose end_at_step is not below the step.
    const at = (s: Scheduled): number => Math.max(0, s.ends.findIndex((end) => untilStep <= end));
    const picked = indexes.flatMap((parts, prompt) =>
      parts.map(({ index, weight }) => {
        const s = partSchedules[index]!;
        const i = at(s);
        return { prompt, weight, text: s.texts[i]!, cond: s.conds[i]! };
      }),
    );
    // stack_conds: every part as long as the longest, its last vector repeated.
    let length = Math.max(...picked.map((p) => p.cond.embeds.dims[0]!));
    let parts: ConditioningPart[] = picked.map(({ prompt, weight, text, cond }) => ({
      prompt,
      weight,
      text,
      embeds: padded.lastVector(cond.embeds, length),
      ...(cond.pooled ? { pooled: cond.pooled } : {}),
    }));
    let negativeConds: NegativeConditioning[] | null = null;
    if (negativeSchedules) {
      negativeConds = negativeSchedules.map((s) => {
        const i = at(s);
        return { text: s.texts[i]!, ...s.conds[i]! };
      });
      const negativeLength = negativeConds[0]!.embeds.dims[0]!;
      if (negativeConds.some((n) => n.embeds.dims[0] !== negativeLength)) {
        // reconstruct_cond_batch stacks the negatives into one tensor: webui fails here.
        throw new PromptError(
          `webui conditions a batch's negative prompts as one tensor, but they have ${negativeConds.map((n) => n.embeds.dims[0]).join(', ')} tokens: ` +
            'give negatives of one length (in chunks of 75 tokens), or encode the prompts one at a time',
        );
      }
      if (empty && negativeLength !== length) {
        // pad_cond_uncond: the shorter side gets (difference / 77) empty-prompt chunks.
        const target = Math.max(length, negativeLength);
        if (negativeLength < target) negativeConds = negativeConds.map((n) => ({ ...n, embeds: padded.emptyChunks(n.embeds, target, empty) }));
        else parts = parts.map((p) => ({ ...p, embeds: padded.emptyChunks(p.embeds, target, empty) }));
        length = target;
      }
    }
    return { untilStep, parts, negatives: negativeConds };
  });
}

/** Padded copies, made once per (tensor, length) and shared by the steps that use them. */
class Padder {
  private readonly made = new Map<Tensor, Map<string, Tensor>>();

  /** [T, H] to [length, H], the last vector repeated (stack_conds). */
  lastVector(t: Tensor, length: number): Tensor {
    return this.once(t, `last${length}`, () => {
      const [rows, H] = t.dims as [number, number];
      const data = new Float32Array(length * H);
      data.set(t.data);
      const last = t.data.subarray((rows - 1) * H, rows * H);
      for (let r = rows; r < length; r++) data.set(last, r * H);
      return { data, dims: [length, H] };
    });
  }

  /** [T, H] to [length, H] with empty-prompt chunks [77, H] appended (pad_cond). */
  emptyChunks(t: Tensor, length: number, empty: Tensor): Tensor {
    return this.once(t, `empty${length}`, () => {
      const [rows, H] = t.dims as [number, number];
      const chunk = empty.dims[0]!;
      if ((length - rows) % chunk !== 0) throw new Error(`cannot pad ${rows} tokens to ${length} with ${chunk}-token chunks`);
      const data = new Float32Array(length * H);
      data.set(t.data);
      for (let r = rows; r < length; r += chunk) data.set(empty.data, r * H);
      return { data, dims: [length, H] };
    });
  }

  private once(t: Tensor, key: string, make: () => Tensor): Tensor {
    if (t.dims[0] === Number(key.replace(/^\D+/, ''))) return t;
    let byKey = this.made.get(t);
    if (!byKey) this.made.set(t, (byKey = new Map()));
    let out = byKey.get(key);
    if (!out) byKey.set(key, (out = make()));
    return out;
  }
}
