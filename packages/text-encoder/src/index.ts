// The engine-neutral parts (config, input checks, safetensors, checkpoints, file sources, the
// engine interface) live in @sdtext/core; these are re-exported for the types this API names.
export {
  CheckpointError,
  ConfigError,
  InputError,
  SD1_TEXT_CONFIG,
  SD2_TEXT_CONFIG,
  parseCLIPTextConfig,
  type CLIPTextConfig,
  type FileSource,
  type HiddenAct,
  type LoadProgress,
  type ModelSource,
} from '@sdtext/core';
export {
  BACKEND_NAMES,
  BackendSelectionError,
  defaultBackendOrder,
  hasRegisteredBackend,
  selectBackend,
  type BackendAttempt,
  type BackendName,
  type SelectBackendOptions,
} from './backends.js';
export { describeCLIPTextModel, describeCLIPTextTransformer, expectedWeights } from './describe.js';
export type { FromPretrainedOptions } from './from-pretrained.js';
export type { AttentionMask, TokenIds } from './inputs.js';
export { TfjsTextEncoder, type InputsEmbedsInputs, type TfjsTextEncoderOptions } from './tfjs-text-encoder.js';
export { Activation, GELUActivation, QuickGELUActivation } from './modules/activations.js';
export { CLIPAttention } from './modules/clip-attention.js';
export { CLIPEncoder } from './modules/clip-encoder.js';
export { CLIPEncoderLayer } from './modules/clip-encoder-layer.js';
export { CLIPMLP } from './modules/clip-mlp.js';
export { CLIPTextEmbeddings } from './modules/clip-text-embeddings.js';
export { CLIPTextModel } from './modules/clip-text-model.js';
export { CLIPTextModelWithProjection, type CLIPTextProjectionOutputs } from './modules/clip-text-model-with-projection.js';
export { CLIPTextTransformer, type CLIPTextInputs, type CLIPTextOutputs } from './modules/clip-text-transformer.js';
export { Embedding } from './modules/embedding.js';
export { LayerNorm } from './modules/layer-norm.js';
export { Linear } from './modules/linear.js';
export { Module } from './modules/module.js';
export { ModuleList } from './modules/module-list.js';
export { WeightError, WeightScope, type WeightStore } from './weight-scope.js';
export { formatTensor, type FormatTensorOptions } from './format-tensor.js';
