import type { ModelIndex } from './model-index.js';

/**
 * Which text stack model_index.json's class names describe, for the stacks with a T5 encoder:
 * 'sd3' when it lists text_encoder_3 (StableDiffusion3Pipeline's T5EncoderModel, or `[null, null]`
 * for an SD3 saved without it), 'flux' when text_encoder_2 is a T5EncoderModel (FluxPipeline and its
 * img2img / fill / kontext kin). Null for the CLIP stacks; another pipeline with a T5 is refused.
 */
export function t5StackOf(index: ModelIndex, where: string): 'sd3' | 'flux' | null {
  const classOf = (name: string): string | null => index.components[name]?.[1] ?? null;
  if (Object.hasOwn(index.components, 'text_encoder_3')) return 'sd3';
  if (classOf('text_encoder_2') === 'T5EncoderModel') return 'flux';
  const t5 = Object.entries(index.components).find(([, [, cls]]) => cls !== null && /T5EncoderModel$/.test(cls));
  if (t5) {
    throw new Error(
      `${where}: ${index.className ?? 'this pipeline'} has a ${t5[1][1]} as ${t5[0]}: the T5 stacks supported are Stable Diffusion 3's (text_encoder_3) and Flux's (text_encoder_2)`,
    );
  }
  return null;
}
