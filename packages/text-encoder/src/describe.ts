import type { CLIPTextConfig } from '@sdtext/core';
import { CLIPTextModel } from './modules/clip-text-model.js';
import { CLIPTextModelWithProjection } from './modules/clip-text-model-with-projection.js';
import { CLIPTextTransformer } from './modules/clip-text-transformer.js';
import { WeightScope } from './weight-scope.js';

/**
 * The module tree of a CLIP text transformer, printed as PyTorch prints it, from the config alone:
 * built on meta tensors (shapes, no data), so no weights, no download, no tfjs backend.
 */
export function describeCLIPTextTransformer(config: CLIPTextConfig): string {
  return String(new CLIPTextTransformer(WeightScope.meta().vs.pp('text_model'), config));
}

/** The same for the whole CLIPTextModel or CLIPTextModelWithProjection. */
export function describeCLIPTextModel(config: CLIPTextConfig, options: { withProjection?: boolean } = {}): string {
  const { vs } = WeightScope.meta();
  return String(options.withProjection ? new CLIPTextModelWithProjection(vs, config) : new CLIPTextModel(vs, config));
}

/** Every checkpoint key the model expects, with its shape, in module order. */
export function expectedWeights(config: CLIPTextConfig, options: { withProjection?: boolean } = {}): Map<string, number[]> {
  const { vs, expected } = WeightScope.meta();
  if (options.withProjection) new CLIPTextModelWithProjection(vs, config);
  else new CLIPTextModel(vs, config);
  return expected;
}
