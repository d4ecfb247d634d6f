export { type FileProgress, type FileSource, isFileSource, subfolderSource } from './file-source.js';
export { LocalFolderSource } from './local-folder-source.js';
export { UrlSource, type UrlSourceOptions } from './url-source.js';
export { resolveSource } from './resolve-source.js';
export { DEFAULT_BROWSER_CACHE, fetchWithBrowserCache, hasCacheStorage } from './browser-cache.js';
export {
  DEFAULT_ENDPOINT,
  type HubOptions,
  hubCacheDir,
  hubEndpoint,
  hubOptionsFromEnv,
  hubToken,
  hubTimeouts,
  isOffline,
  isRepoId,
  resolveUrl,
} from './hub/endpoint.js';
export { DEFAULT_TIMEOUTS, type Timeouts } from './hub/http.js';
export {
  EntryNotFoundError,
  GatedRepoError,
  HubError,
  HubTimeoutError,
  IntegrityError,
  LocalEntryNotFoundError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
} from './hub/errors.js';
export { RepoCacheLayout, isCommitHash, repoFolderName } from './hub/cache-layout.js';
export { type FileMetadata, fetchFileMetadata } from './hub/metadata.js';
export { type CachedFile } from './hub/node-cache.js';
export { HubFileSource, type HubSourceOptions } from './hub/file-source.js';
export { type ComponentSpec, type ModelIndex, hasComponent, parseModelIndex } from './model-index.js';
export { type ArrayTensor, type PromptEmbeddings, disposeEmbeddings, embeddingsToArrays, embeddingsToTensors } from './embeddings.js';
export {
  type EncodePromptOptions,
  type PromptEncoderPass,
  type TextStage,
  encodePromptScheduleSd,
  encodePromptScheduleSdxl,
  encodePromptSd,
  encodePromptSdxl,
} from './encode-prompt.js';
export { type PromptSchedule, type ScheduledConditioning, type ScheduledPart, disposeSchedule, scheduleToTensors } from './schedule-embeddings.js';
export { type EmbeddingFile, readEmbeddingFile, readEmbeddingFolder } from './embedding-folder.js';
export { pythonRepr, truncationWarning } from './truncation-warning.js';
export {
  type EncodeArraysOptions,
  type EngineOptions,
  type LoadTextualInversionOptions,
  type PipelineKind,
  type PipelineParts,
  type T5Parts,
  type TextEncoder2Models,
  type TextEncoderModels,
  TextPipeline,
  type SingleFilePipelineOptions,
  type TextPipelineOptions,
} from './text-pipeline.js';
export {
  ENGINE_CHOICES,
  EngineUnavailableError,
  loadTextEncoder,
  type EngineChoice,
  type LoadTextEncoderOptions,
  type LoadedTextEncoder,
} from './load-text-encoder.js';
export { type DownloadComponentsOptions, type DownloadedFile, downloadTextComponents } from './download-components.js';
export { PROMPT_DIALECTS, type PromptDialect } from './dialect-prompt.js';
export {
  addTextualInversions,
  maybeConvertPrompt,
  readLoras,
  readTextualInversionInputs,
  type LoraInput,
  type TextualInversionInput,
} from './checkpoint-extras.js';
export { type OnnxEngineModule, type OnnxModuleSource } from './onnx-module.js';
export { t5StackOf } from './model-stack.js';
// Types of the SD3 / Flux stacks (their code is @sdtext/pipeline/t5, imported when such a model loads).
export type { FilesPipelineOptions, T5EngineOptions, T5StackOptions, TextEncoderFiles } from './t5/load-stack.js';
export type { LoadedT5Encoder, LoadT5EncoderOptions } from './t5/load-t5-encoder.js';
