// Family-neutral: tensors, inputs, names, files, safetensors, torch files, checkpoints, the engine
// interface and its cache.
export { sizeOf, type FloatTensor, type IntTensor } from './tensor.js';
export { ConfigError } from './config-error.js';
export {
  FLOAT32_MIN,
  InputError,
  checkInputs,
  prepareInputs,
  selectRows,
  type AttentionMask,
  type CheckedInputs,
  type IdRows,
  type PreparedInputs,
  type TokenIds,
  type TokenLimits,
} from './inputs.js';
export {
  UnsafeNameError,
  checkCommitHash,
  checkEtag,
  checkRepoId,
  checkRepoPath,
  checkRevision,
  checkVariant,
  escapeForTerminal,
  isRepoId,
  quoteForTerminal,
} from './names.js';
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
export {
  TruncatedError,
  memoryReader,
  openByteReader,
  randomAccessReader,
  type ByteProgress,
  type ByteReader,
  type ByteReaderOptions,
  type ByteSource,
} from './safetensors/byte-reader.js';
export {
  F8_DTYPES,
  FLOAT_DTYPES,
  SAFETENSORS_DTYPE_BYTES,
  f16BytesToFloat32,
  f8E4M3BytesToFloat32,
  f8E5M2BytesToFloat32,
  firstNonFinite,
  float32ToF16,
  floatBytesToFloat32,
  toFloat32,
  toNumbers,
  type RawTensorData,
  type SafetensorsDtype,
} from './safetensors/dtypes.js';
export {
  MAX_HEADER_BYTES,
  SafetensorsError,
  iterateTensorBytes,
  loadSafetensors,
  loadSafetensorsHeader,
  readHeader,
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
export { iterateCheckpointStored, toStoredWeight, type StoredWeight } from './stored-weight.js';
export {
  CheckpointError,
  addVariant,
  checkCheckpoint,
  checkpointFileNames,
  iterateCheckpointFloat32,
  nonFiniteError,
  noWeightsError,
  openCheckpoint,
  parseCheckpointIndex,
  readCheckpointHeaders,
  type CheckpointHeaders,
  type Float32Weight,
  type KeyFilter,
  type OpenCheckpoint,
} from './checkpoint.js';
export type { EncoderEngine, EngineName } from './engine.js';
export { EmbeddingCache, type BatchOutputs, type EmbeddingCacheOptions, type OutputNeeds } from './embedding-cache.js';
export {
  MAX_PICKLE_BYTES,
  MAX_STORAGE_BYTES,
  MAX_TENSOR_DIMS,
  PICKLE_UNITS_PER_BYTE,
  PickleOpaque,
  TorchFileError,
  isTorchTensor,
  readTorchFile,
  safetensorsConversionHint,
  sniffFormat,
  torchFormatOf,
  torchStateDict,
  type PickleValue,
  type TorchFormat,
  type TorchDtype,
  type TorchFile,
  type TorchTensor,
} from './torch/index.js';

// The CLIP text model family (SD 1.x, 2.x, XL): config, key plan, single files, LoRA, textual
// inversion.
export {
  CLIP_TEXT_CONFIG_DEFAULTS,
  CLIP_TEXT_CONFIG_LIMITS,
  SD1_TEXT_CONFIG,
  SD2_TEXT_CONFIG,
  isFullCLIPConfig,
  parseCLIPTextConfig,
  type CLIPTextConfig,
  type HiddenAct,
} from './clip/config.js';
export { buildAttentionMask, poolingPositions } from './clip/inputs.js';
export { FULL_CLIP_EXTRA_KEYS, IGNORABLE_KEYS, checkpointIgnoreKeys } from './clip/ignored-keys.js';
export {
  clipTextWeightShapes,
  modifiesWeights,
  namesProjection,
  openTextModelCheckpoint,
  readModelConfig,
  readTextModelWeights,
  type CheckedTextModelCheckpoint,
  type SingleFileOptions,
  type TextModelCheckpointOptions,
  type TextModelWeights,
} from './clip/text-model-checkpoint.js';
export type { EncodeInputs, EncodeOutputs, TextEncoderEngine } from './clip/engine.js';
export { FinalLayerNorm, readFinalLayerNorm } from './clip/final-layer-norm.js';
export { MAX_TEXTUAL_INVERSION_BYTES, TextualInversionError, readTextualInversion, type EmbeddingVectors, type TextualInversionFile } from './clip/textual-inversion.js';
export { LoraError, mergeLoraInto, parseLoraKey, readLora, type LoraFile, type LoraLayer, type LoraMerge, type LoraRole, type TextEncoderName } from './clip/lora.js';
export {
  adapterDelta,
  adapterProduct,
  adapterScale,
  type AdapterKind,
  type DoraScale,
  type HadamardAdapter,
  type KroneckerAdapter,
  type KroneckerFactor,
  type LowRankAdapter,
  type Matrix,
} from './clip/lycoris.js';
export { inspectSingleFile, openSingleFileTensors, type SingleFileTensors, type StoredTensorInfo } from './clip/single-file-source.js';
export { ENCODER_FAMILIES, type EncoderFamily } from './clip/single-file-layers.js';
export { applyRecipe, detectSingleFile, planSingleFile, recipeShape, type SingleFileEncoder, type SingleFileKind, type SingleFilePlan, type WeightRecipe } from './clip/single-file.js';
// SD3-style single files and lone CLIP files (ComfyUI's clip_l / clip_g): where the text encoders are, no T5 code.
export {
  SD3_TEXT_ENCODER_NAMES,
  SD3_TEXT_ENCODER_PREFIXES,
  extractSd3TextEncoders,
  sd3TextEncodersIn,
  type ExtractSd3Options,
  type Sd3TextEncoderName,
} from './sd3/single-file.js';
export { planLoneClipFile, type LoneClipKind, type LoneClipPlan } from './sd3/lone-clip-file.js';
