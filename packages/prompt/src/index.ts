export { parsePromptAttention } from './a1111/parse-attention.js';
export type { WeightedText } from './a1111/parse-attention.js';
export { getPromptSchedule, getLearnedConditioningPromptSchedules, MAX_SCHEDULE_STEPS, MAX_SCHEDULE_CHARACTERS } from './a1111/schedules.js';
export type { ScheduledPrompt, ScheduleOptions } from './a1111/schedules.js';
export { parseScheduleTree } from './a1111/schedule-grammar.js';
export type { ScheduleNode } from './a1111/schedule-grammar.js';
export { getMulticondPromptList } from './a1111/multicond.js';
export { usesPromptEditing } from './a1111/prompt-editing.js';
export type { MulticondPart, MulticondPromptList } from './a1111/multicond.js';
export { parseComfyPrompt, parseParentheses, tokenWeights, escapeImportant, unescapeImportant } from './comfy/parse-weights.js';
export type { ComfyWeightedText, ComfyParseOptions } from './comfy/parse-weights.js';
export { pythonFloat } from './python-float.js';
export { PromptError, MAX_NESTING_DEPTH } from './errors.js';
export type { Tensor, EncodeOptions, EncoderOutput, PromptEncoder, PromptTokenizer, TokenInsertion } from './encoder.js';
export type { NamedEmbedding } from './embedding.js';
export { A1111Embeddings } from './a1111/embedding-database.js';
export { encodeA1111Schedule, MAX_CONDITIONING_TEXTS } from './a1111/conditioning-schedule.js';
export type {
  A1111BatchEncoder,
  A1111ScheduleOptions,
  ConditioningPart,
  ConditioningStep,
  NegativeConditioning,
  TextConditioning,
} from './a1111/conditioning-schedule.js';
export { a1111BatchEncoder, a1111SdxlBatchEncoder } from './a1111/batch-encoders.js';
export { EncoderCache } from './encoder-cache.js';
export type { EncodedRow } from './encoder-cache.js';
export { tokenizeLine, emptyChunk, CHUNK_LENGTH } from './a1111/chunks.js';
export type { PromptChunk, ChunkFix, A1111ChunkOptions, A1111Emphasis } from './a1111/chunks.js';
export { applyEmphasis } from './a1111/emphasis.js';
export { encodeA1111 } from './a1111/encode.js';
export type { A1111Conditioning, A1111EncodeOptions } from './a1111/encode.js';
export { tokenizeWithWeights } from './comfy/tokenize.js';
export type { TokenWeight, EmbeddingToken, ComfyTokenizeOptions } from './comfy/tokenize.js';
export { ComfyEmbeddings } from './comfy/embedding-folder.js';
export type { ComfyEmbeddingFile } from './comfy/embedding-folder.js';
export { encodeComfy } from './comfy/encode.js';
export type { ComfyConditioning, ComfyEncodeOptions } from './comfy/encode.js';
export { encodeA1111Multicond } from './a1111/multicond-encode.js';
export type { ComposableConditioning, ScheduledConditioning } from './a1111/multicond-encode.js';
export { DIALECTS, explainPrompt, encodePromptWithDialect } from './dialect.js';
export type { Dialect, ChunkView, PromptExplanation, PromptEmbeddings, DialectOptions } from './dialect.js';
export { engineEncoder, takesInputsEmbeds } from './engine-encoder.js';
export type { EngineEncoderOptions, InputsEmbedsEngine } from './engine-encoder.js';
export { parseCompelPrompt, encodeCompel, tokenizeCompel, CompelSyntaxError } from './compel/index.js';
export type {
  CompelParserOptions,
  CompelConditioning,
  CompelEncodeOptions,
  CompelPartTokens,
  CompelSplitMode,
  CompelBlend,
  CompelConjunction,
  CompelFlattenedPrompt,
  CompelFragment,
  CompelLoraWeight,
  CompelSubstitute,
} from './compel/index.js';
export { concatHidden } from './sdxl.js';
export type { SdxlEncoder, SdxlConditioning } from './sdxl.js';
export { encodeA1111Sdxl } from './a1111/sdxl.js';
export type { A1111SdxlOptions, A1111SdxlConditioning } from './a1111/sdxl.js';
export { encodeComfySdxl } from './comfy/sdxl.js';
export type { ComfySdxlOptions, ComfySdxlConditioning } from './comfy/sdxl.js';
export { encodeCompelSdxl } from './compel/sdxl.js';
export type { CompelSdxlOptions, CompelSdxlConditioning } from './compel/sdxl.js';
export { tokenizeT5WithWeights } from './comfy/t5-tokenize.js';
export type { T5PromptTokenizer, ComfyT5TokenizeOptions } from './comfy/t5-tokenize.js';
export { encodeComfyT5 } from './comfy/t5-encode.js';
export type { ComfyT5EncodeOptions } from './comfy/t5-encode.js';
export { t5EngineEncoder } from './comfy/t5-engine-encoder.js';
export { encodeComfySd3, padLastAxis, concatSequence } from './comfy/sd3.js';
export type { ComfySd3Options, ComfySd3Conditioning, ComfyT5Encoder } from './comfy/sd3.js';
export { encodeComfyFlux } from './comfy/flux.js';
export type { ComfyFluxOptions, ComfyFluxConditioning } from './comfy/flux.js';
