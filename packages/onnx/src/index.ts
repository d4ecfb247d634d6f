export type { LoadedFrom, WeightTransfer } from './checkpoint-session.js';
export type { OnnxSessionOptions } from './session.js';
export { GraphBuilder, type ExternalFile } from './onnx/graph-builder.js';
export { OnnxCLIPTextModel, type OnnxFromFileOptions, type OnnxFromPretrainedOptions, type OnnxModelOptions } from './onnx-clip-text-model.js';
export { RuntimeError, defaultRuntime, loadRuntime, type OrtRuntime, type RuntimeName, type WebExecutionProvider } from './runtime.js';
export { buildClipTextGraph, type ClipTextGraph, type ClipTextGraphOptions, type GraphStyleName } from './graph/clip-text-graph.js';
export { buildStandardOnnx, exportStandardOnnx, type ExportOptions } from './export-standard.js';
export { loadCheckpointWeights, type CheckpointWeights, type LoadWeightsOptions, type WeightTensor } from './weights.js';
