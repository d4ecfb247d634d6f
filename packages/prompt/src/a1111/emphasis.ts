import type { A1111Emphasis } from './chunks.js';

/**
 * webui's sd_emphasis after_transformers on one chunk batch z [B, 77, H] (in place).
 * "Original": z *= multiplier per token, then z is rescaled so its mean over the *whole batch*
 * is what it was (so other prompts in the batch, e.g. schedule steps, affect the scale).
 * `repeats` counts each row as webui's batch holds it (a repeated schedule text is encoded once here).
 */
export function applyEmphasis(z: Float32Array, multipliers: readonly number[], hiddenSize: number, mode: A1111Emphasis, repeats?: readonly number[]): void {
  if (mode === 'None' || mode === 'Ignore') return;
  const rowSize = (multipliers.length / (repeats?.length ?? 1)) * hiddenSize;
  const originalMean = mean(z, rowSize, repeats);
  for (let t = 0; t < multipliers.length; t++) {
    const m = Math.fround(multipliers[t]!);
    for (let h = 0; h < hiddenSize; h++) z[t * hiddenSize + h]! *= m;
  }
  if (mode === 'No norm') return;
  const scale = Math.fround(Math.fround(originalMean) / Math.fround(mean(z, rowSize, repeats)));
  for (let i = 0; i < z.length; i++) z[i]! *= scale;
}

/** The mean of z, row r counted repeats[r] times. */
function mean(values: Float32Array, rowSize: number, repeats: readonly number[] | undefined): number {
  let sum = 0;
  let count = 0;
  for (let at = 0, r = 0; at < values.length; at += rowSize, r++) {
    const times = repeats?.[r] ?? 1;
    let rowSum = 0;
    const end = Math.min(values.length, at + rowSize);
    for (let i = at; i < end; i++) rowSum += values[i]!;
    sum += rowSum * times;
    count += (end - at) * times;
  }
  return sum / count;
}
