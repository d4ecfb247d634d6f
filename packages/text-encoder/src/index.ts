export {
  CLIP_TEXT_CONFIG_DEFAULTS,
  ConfigError,
  SD1_TEXT_CONFIG,
  SD2_TEXT_CONFIG,
  isFullCLIPConfig,
  parseCLIPTextConfig,
  type CLIPTextConfig,
  type HiddenAct,
} from './config.js';
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
export {
  CheckpointError,
  FULL_CLIP_EXTRA_KEYS,
  IGNORABLE_KEYS,
  addVariant,
  checkCheckpoint,
  checkpointIgnoreKeys,
  openCheckpoint,
  readCheckpointHeaders,
  type CheckpointHeaders,
  type KeyFilter,
  type OpenCheckpoint,
} from './checkpoint.js';
export { describeCLIPTextModel, describeCLIPTextTransformer, expectedWeights } from './describe.js';
export {
  fileSourceFiles,
  folderFiles,
  isFileSource,
  resolveModelFiles,
  urlFiles,
  type FileSource,
  type LoadProgress,
  type ModelFiles,
  type ModelSource,
} from './file-source.js';
export { loadPretrained, readModelConfig, type FromPretrainedOptions } from './from-pretrained.js';
export { FLOAT32_MIN, InputError, prepareInputs, type AttentionMask, type PreparedInputs, type TokenIds } from './inputs.js';
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
export {
  TruncatedError,
  openByteReader,
  type ByteProgress,
  type ByteReader,
  type ByteReaderOptions,
  type ByteSource,
} from './safetensors/byte-reader.js';
export {
  SAFETENSORS_DTYPE_BYTES,
  f16BytesToFloat32,
  float32ToF16,
  toFloat32,
  toNumbers,
  type RawTensorData,
  type SafetensorsDtype,
} from './safetensors/dtypes.js';
export {
  MAX_HEADER_BYTES,
  SafetensorsError,
  loadSafetensors,
  loadSafetensorsHeader,
  readSafetensors,
  type RawTensor,
  type SafetensorsFile,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from './safetensors/reader.js';
export {
  serializeSafetensors,
  writeSafetensorsFile,
  type SafetensorsEntries,
  type SafetensorsEntry,
  type WritableDtype,
} from './safetensors/writer.js';
export { WeightError, WeightScope, isMetaTensor, type WeightStore } from './weight-scope.js';
export { formatTensor, type FormatTensorOptions } from './format-tensor.js';
