import type { A1111Emphasis } from './chunks.js';

/**
 * webui's sd_emphasis after_transformers on one chunk batch z [B, 77, H] (in place).
 * "Original": z *= multiplier per token, then z is rescaled so its mean over the *whole batch*
 * is what it was (so other prompts in the batch, e.g. schedule steps, affect the scale).
 */
export function applyEmphasis(z: Float32Array, multipliers: readonly number[], hiddenSize: number, mode: A1111Emphasis): void {
  if (mode === 'None' || mode === 'Ignore') return;
  const originalMean = mean(z);
  for (let t = 0; t < multipliers.length; t++) {
    const m = Math.fround(multipliers[t]!);
    for (let h = 0; h < hiddenSize; h++) z[t * hiddenSize + h]! *= m;
  }
  if (mode === 'No norm') return;
  const scale = Math.fround(Math.fround(originalMean) / Math.fround(mean(z)));
  for (let i = 0; i < z.length; i++) z[i]! *= scale;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
