import type { TextEncoderEngine } from '@sdtext/core';
import type { EncodeOptions, EncoderOutput, PromptEncoder } from './encoder.js';

/**
 * A PromptEncoder over any @sdtext engine (the tfjs TfjsTextEncoder or the ONNX Runtime
 * OnnxCLIPTextModel): clip skip n > 1 is `finalLayerNorm(hiddenStates[-n])` (`hiddenStates[-n]` itself
 * with `finalNorm: false`, n = 1 included), the pooled output
 * is `text_embeds` where the model projects (SDXL's second encoder), else `pooler_output`.
 */
export function engineEncoder(engine: TextEncoderEngine): PromptEncoder {
  return {
    async encode(inputIds: Int32Array, batch: number, seqLen: number, options: EncodeOptions = {}): Promise<EncoderOutput> {
      const clipSkip = options.clipSkip ?? 1;
      const finalNorm = options.finalNorm ?? true;
      if (!Number.isInteger(clipSkip) || clipSkip < 1 || clipSkip > engine.config.num_hidden_layers + 1) {
        throw new RangeError(`clipSkip must be an integer from 1 to ${engine.config.num_hidden_layers + 1}, got ${clipSkip}`);
      }
      const out = await engine.encode({
        inputIds: { data: inputIds, dims: [batch, seqLen] },
        // compel down-weights by masking fragments out of attention
        ...(options.attentionMask ? { attentionMask: { data: options.attentionMask, dims: [batch, seqLen] } } : {}),
        outputHiddenStates: clipSkip > 1 || !finalNorm,
      });
      const hidden = out.hiddenStates ?? [];
      const selected = hidden[hidden.length - clipSkip]!;
      const lastHiddenState = !finalNorm ? selected : clipSkip > 1 ? await engine.finalLayerNorm(selected) : out.lastHiddenState;
      return { lastHiddenState, pooled: out.textEmbeds ?? out.poolerOutput };
    },
  };
}
