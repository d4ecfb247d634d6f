export type { LoadedFrom, WeightTransfer } from './checkpoint-session.js';
export type { OnnxSessionOptions } from './session.js';
export { OnnxCLIPTextModel, type InputsEmbedsInputs, type OnnxFromFileOptions, type OnnxFromPretrainedOptions, type OnnxModelOptions } from './onnx-clip-text-model.js';
export { RuntimeError, type RuntimeName, type WebExecutionProvider } from './runtime.js';
export { buildStandardOnnx, exportStandardOnnx, type ExportOptions } from './export-standard.js';
export type { LoadWeightsOptions } from './weights.js';
