// @sdtext/pipeline/t5: the SD3 and Flux text stacks (T5 beside CLIP). TextPipeline loads this entry
// itself, with import(), when model_index.json (or a file) is SD3 or Flux: an SD 1.x / 2.x / XL
// user's bundle and process never hold it. Import it directly for the parts.
export { loadT5Encoder, type LoadT5EncoderOptions, type LoadedT5Encoder, type OnnxT5EngineModule, type OnnxT5ModuleSource } from './load-t5-encoder.js';
export { checkMaxSequenceLength, t5PromptEmbeds, t5TruncationWarning, type T5Stage } from './t5-prompt.js';
export { SD3_MAX_SEQUENCE_LENGTH, encodePromptSd3, type Sd3Stages } from './encode-prompt-sd3.js';
export { FLUX_MAX_SEQUENCE_LENGTH, encodePromptFlux, type FluxStages } from './encode-prompt-flux.js';
export { encodeT5Dialect, type T5DialectStages } from './dialect-t5.js';
export { pooledUnprojected } from './pooled-unprojected.js';
export type { FilesPipelineOptions, T5EngineOptions, T5StackKind, T5StackOptions, TextEncoderFiles } from './load-stack.js';
// T5's relative position buckets (the rule both engines compute with), for tools and teaching pages.
export { relativeBucketTable, relativePositionBucket } from '@sdtext/core/t5';
