import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TextEncoderEngine } from '@sdtext/core';
import { OnnxCLIPTextModel } from '@sdtext/onnx';
import { TfjsTextEncoder } from '@sdtext/text-encoder';
import { afterAll } from 'vitest';
import type { EncodeOptions, EncoderOutput, PromptEncoder } from '../../src/index.js';

const MODELS_DIR = fileURLToPath(new URL('../../../../models/fixtures/models/', import.meta.url));

const loaded: TextEncoderEngine[] = [];
afterAll(async () => {
  await Promise.all(loaded.splice(0).map((e) => e.dispose()));
});

/** A tiny checkpoint on a real engine as a PromptEncoder that passes compel's attention mask on. */
export async function loadMaskingEncoder(model: 'sd1-tiny' | 'sd2-tiny', engine: 'tfjs' | 'onnx'): Promise<PromptEncoder> {
  const dir = path.join(MODELS_DIR, model, 'text_model');
  const e = engine === 'tfjs' ? await TfjsTextEncoder.fromPretrained(dir, { backend: 'cpu' }) : await OnnxCLIPTextModel.fromPretrained(dir);
  loaded.push(e);
  return {
    async encode(inputIds: Int32Array, batch: number, seqLen: number, options: EncodeOptions = {}): Promise<EncoderOutput> {
      const clipSkip = options.clipSkip ?? 1;
      const out = await e.encode({
        inputIds: { data: inputIds, dims: [batch, seqLen] },
        attentionMask: options.attentionMask ? { data: options.attentionMask, dims: [batch, seqLen] } : null,
        outputHiddenStates: clipSkip > 1,
      });
      const hidden = out.hiddenStates ?? [];
      const lastHiddenState = clipSkip > 1 ? await e.finalLayerNorm(hidden[hidden.length - clipSkip]!) : out.lastHiddenState;
      return { lastHiddenState, pooled: out.textEmbeds ?? out.poolerOutput };
    },
  };
}
