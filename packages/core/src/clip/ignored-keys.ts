import type { KeyFilter } from '../checkpoint.js';
import { isFullCLIPConfig } from './config.js';

/** Keys a checkpoint may carry that the model does not load: the position_ids buffer (arange). */
export const IGNORABLE_KEYS: readonly string[] = ['text_model.embeddings.position_ids'];

/** Keys of a full CLIPModel checkpoint that a text model does not use. */
export const FULL_CLIP_EXTRA_KEYS: KeyFilter = [/^vision_model\./, 'visual_projection.weight', 'logit_scale', 'text_projection.weight'];

/** The keys a text model skips: IGNORABLE_KEYS, a full CLIPModel's (per its config.json), and `extra`. */
export function checkpointIgnoreKeys(configJson: unknown, extra: KeyFilter = []): KeyFilter {
  return [...IGNORABLE_KEYS, ...(isFullCLIPConfig(configJson) ? FULL_CLIP_EXTRA_KEYS : []), ...extra];
}
