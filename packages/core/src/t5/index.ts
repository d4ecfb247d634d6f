// @sdtext/core/t5: the T5 encoder family (T5EncoderModel as SD3 and Flux use it). A subpath of
// its own, so the CLIP entry (`@sdtext/core`) never loads it; the neutral parts it builds on
// (safetensors, checkpoints, inputs, the engine interface, the cache) come from `@sdtext/core`.
export { T5_CONFIG_DEFAULTS, T5_CONFIG_LIMITS, T5_MAX_INNER_DIM, T5_XXL_CONFIG, parseT5Config, type T5Activation, type T5Config } from './config.js';
export { t5ConfigFromShapes } from './config-from-shapes.js';
export {
  T5_WEIGHT_DTYPES,
  openT5EncoderCheckpoint,
  readT5EncoderWeights,
  type CheckedT5Checkpoint,
  type T5CheckpointOptions,
  type T5WeightSource,
} from './encoder-checkpoint.js';
export type { T5EncodeInputs, T5EncodeOutputs, T5EncoderEngine } from './engine.js';
export { relativeBucketTable, relativePositionBucket, relativePositionBuckets } from './relative-position.js';
export { SCALED_FP8_MARKER, parseScaledFp8Marker, type ScaledFp8 } from './scaled-fp8.js';
export { toFloat32Weight, toStoredWeight, type StoredWeight } from '../stored-weight.js';
export { T5_EMBED_TOKENS_KEY, T5_ENCODER_IGNORED_KEYS, T5_SHARED_KEY, t5BlockLinears, t5EncoderWeightShapes } from './weight-shapes.js';
