import type { EncodeInputs, EncodeOutputs, FloatTensor, TextEncoderEngine } from '@sdtext/core';
import { takesInputsEmbeds } from '@sdtext/prompt';

/**
 * The same CLIP encoder with its outputs' `text_embeds` left out, so prompt encoders take its
 * `pooler_output`: ComfyUI's SD3 and Flux CLIP-L (`return_projected_pooled=False`), whatever the
 * checkpoint (a diffusers CLIPTextModelWithProjection too). Nothing else changes.
 */
export function pooledUnprojected(engine: TextEncoderEngine): TextEncoderEngine {
  const wrapper: TextEncoderEngine & { embedTokens?: (ids: EncodeInputs['inputIds']) => Promise<FloatTensor> } = {
    engine: engine.engine,
    get backend() {
      return engine.backend;
    },
    config: engine.config,
    withProjection: false,
    async encode(inputs: EncodeInputs): Promise<EncodeOutputs> {
      const { textEmbeds: _projected, ...outputs } = await engine.encode(inputs);
      return outputs;
    },
    finalLayerNorm: (x) => engine.finalLayerNorm(x),
    dispose: () => engine.dispose(),
  };
  if (takesInputsEmbeds(engine)) wrapper.embedTokens = (ids) => engine.embedTokens(ids);
  return wrapper;
}
