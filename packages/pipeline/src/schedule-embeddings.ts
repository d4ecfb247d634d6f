import * as tf from '@tensorflow/tfjs-core';
import type { ArrayTensor } from './embeddings.js';

/** One AND part of one prompt, as the UNet gets it (composable diffusion: its prediction weighted by `weight`). */
export interface ScheduledPart<T = tf.Tensor> {
  /** The prompt of the batch it belongs to. */
  prompt: number;
  /** Its `:weight` (1 without one). */
  weight: number;
  /** The text encoded for it at these steps (prompt editing applied). */
  text: string;
  /** [numImagesPerPrompt, S, H]: S the same for every part of the entry. */
  embeds: T;
  /** SDXL: [numImagesPerPrompt, P]. */
  pooledEmbeds: T | null;
}

/**
 * What the UNet is conditioned on while the sampler's step counter (webui's CFGDenoiser.step,
 * from 0) is at most `untilStep` and above the previous entry's `untilStep` (webui's end_at_step).
 */
export interface ScheduledConditioning<T = tf.Tensor> {
  untilStep: number;
  parts: ScheduledPart<T>[];
  /** [B * numImagesPerPrompt, S', H]; null when guidance is off. */
  negativePromptEmbeds: T | null;
  negativePooledPromptEmbeds: T | null;
}

/**
 * `encodePrompt({ steps })`'s result: the conditioning at each step, entries where it changes. Arrays
 * are shared between entries that use the same text; with tensors, each distinct one is one tensor
 * (disposing twice is harmless; `disposeSchedule` frees them all).
 */
export interface PromptSchedule<T = tf.Tensor> {
  schedule: ScheduledConditioning<T>[];
}

/** Frees every tensor of a schedule. */
export function disposeSchedule(schedule: PromptSchedule): void {
  for (const entry of schedule.schedule) {
    for (const p of entry.parts) tf.dispose([p.embeds, ...(p.pooledEmbeds ? [p.pooledEmbeds] : [])]);
    tf.dispose([entry.negativePromptEmbeds, entry.negativePooledPromptEmbeds].filter((t): t is tf.Tensor => t !== null));
  }
}

/** The arrays as tfjs tensors, one per distinct array (entries share them as they share the arrays). */
export function scheduleToTensors(schedule: PromptSchedule<ArrayTensor>): PromptSchedule {
  const made = new Map<ArrayTensor, tf.Tensor>();
  const make = (a: ArrayTensor): tf.Tensor => {
    let t = made.get(a);
    if (!t) made.set(a, (t = tf.tensor(a.data, a.shape, 'float32')));
    return t;
  };
  const maybe = (a: ArrayTensor | null): tf.Tensor | null => (a === null ? null : make(a));
  try {
    return {
      schedule: schedule.schedule.map((entry) => ({
        untilStep: entry.untilStep,
        parts: entry.parts.map((p) => ({ ...p, embeds: make(p.embeds), pooledEmbeds: maybe(p.pooledEmbeds) })),
        negativePromptEmbeds: maybe(entry.negativePromptEmbeds),
        negativePooledPromptEmbeds: maybe(entry.negativePooledPromptEmbeds),
      })),
    };
  } catch (error) {
    tf.dispose([...made.values()]);
    throw error;
  }
}
