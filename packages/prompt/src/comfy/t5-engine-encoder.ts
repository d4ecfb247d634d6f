import type { T5EncoderEngine } from '@sdtext/core/t5';
import type { EncodeOptions, EncoderOutput, PromptEncoder } from '../encoder.js';

/**
 * A PromptEncoder over a T5 encoder on either engine (@sdtext/text-encoder/t5's T5EncoderModel,
 * @sdtext/onnx/t5's OnnxT5EncoderModel): the last hidden state, no mask (as ComfyUI's T5XXLModel
 * and diffusers run T5 for SD3 and Flux), no pooled output. T5 rows are independent of each other
 * (attention stays within a row), so an EncoderCache can reuse them.
 */
export function t5EngineEncoder(engine: T5EncoderEngine): PromptEncoder {
  return {
    async encode(inputIds: Int32Array, batch: number, seqLen: number, options: EncodeOptions = {}): Promise<EncoderOutput> {
      if ((options.clipSkip ?? 1) !== 1 || options.finalNorm === false) {
        throw new RangeError('a T5 prompt encoder gives the last hidden state only (ComfyUI\'s CLIPSetLastLayer on T5 is not supported)');
      }
      if (options.insertions?.some((row) => (row?.length ?? 0) > 0)) throw new Error('a T5 prompt encoder takes no embedding vectors');
      const out = await engine.encode({
        inputIds: { data: inputIds, dims: [batch, seqLen] },
        ...(options.attentionMask ? { attentionMask: { data: options.attentionMask, dims: [batch, seqLen] } } : {}),
      });
      return { lastHiddenState: out.lastHiddenState };
    },
  };
}
