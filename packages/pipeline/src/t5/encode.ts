import { EncoderCache, engineEncoder, t5EngineEncoder } from '@sdtext/prompt';
import type { ArrayTensor, PromptEmbeddings } from '../embeddings.js';
import { dialectEncoder, type EncodePromptOptions, type TextStage } from '../encode-prompt.js';
import { encodeT5Dialect } from './dialect-t5.js';
import { encodePromptFlux } from './encode-prompt-flux.js';
import { encodePromptSd3 } from './encode-prompt-sd3.js';
import { pooledUnprojected } from './pooled-unprojected.js';
import type { T5Stage } from './t5-prompt.js';

/** An SD3 or Flux pipeline's encoders as encodePrompt drives them. */
export interface T5PipelineStages {
  kind: 'sd3' | 'flux';
  clipL: TextStage;
  clipG: TextStage | null;
  t5: T5Stage | null;
  jointAttentionDim: number;
  clipLPooled: 'text_embeds' | 'pooler_output';
}

/** Per pipeline (its CLIP-L stage's engine): the dialect caches ComfyUI's conditioning needs. */
const dialectCaches = new WeakMap<object, { clipL: EncoderCache; t5: EncoderCache | null }>();

/** `TextPipeline.encodePrompt` on SD3 / Flux: diffusers' encode_prompt, or a dialect (ComfyUI's). Arrays. */
export async function encodeT5Pipeline(stages: T5PipelineStages, options: EncodePromptOptions): Promise<PromptEmbeddings<ArrayTensor>> {
  if (options.steps !== undefined) throw new Error(`\`steps\` schedules are webui's (SD 1.x, 2.x, XL): ${stages.kind === 'sd3' ? 'SD3' : 'Flux'} prompts are encoded as one conditioning`);
  if (options.returnEncoderOutputs) throw new Error('returnEncoderOutputs: SD3 and Flux run several encoders; use pipe.encoder / pipe.t5Encoder for one pass');
  if (options.padCondUncond !== undefined || options.sdxlClipLSkip !== undefined) throw new Error("padCondUncond and sdxlClipLSkip are webui's options (the a1111 dialect on SD 1.x, 2.x, XL)");
  if (options.dialect !== undefined) {
    let caches = dialectCaches.get(stages.clipL.textEncoder);
    if (!caches) {
      // ComfyUI's CLIP-L pooled output on SD3 and Flux is unprojected (return_projected_pooled=False).
      caches = {
        clipL: new EncoderCache(engineEncoder(pooledUnprojected(stages.clipL.textEncoder))),
        t5: stages.t5 ? new EncoderCache(t5EngineEncoder(stages.t5.textEncoder)) : null,
      };
      dialectCaches.set(stages.clipL.textEncoder, caches);
    }
    return encodeT5Dialect(
      {
        clipL: dialectEncoder({ ...stages.clipL, promptCache: caches.clipL }),
        clipG: stages.clipG ? dialectEncoder(stages.clipG) : null,
        t5: stages.t5 && caches.t5 ? { tokenizer: stages.t5.tokenizer, cache: caches.t5 } : null,
        jointWidth: stages.t5 ? stages.t5.textEncoder.config.d_model : stages.jointAttentionDim,
      },
      options,
    );
  }
  if (stages.kind === 'flux') return encodePromptFlux({ clipL: stages.clipL, t5: stages.t5! }, options);
  return encodePromptSd3({ clipL: stages.clipL, clipG: stages.clipG!, t5: stages.t5, clipLPooled: stages.clipLPooled, jointAttentionDim: stages.jointAttentionDim }, options);
}
