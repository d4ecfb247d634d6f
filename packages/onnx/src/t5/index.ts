// @sdtext/onnx/t5: the T5 encoder (SD3's text_encoder_3, Flux's text_encoder_2) on ONNX Runtime.
// A subpath of its own: the CLIP entry (`@sdtext/onnx`) never loads it.
export { OnnxT5EncoderModel, type OnnxT5Options, type T5WeightTransfer } from './onnx-t5-encoder-model.js';
export { buildT5EncoderGraph, type T5EncoderGraph } from './t5-encoder-graph.js';
export type { T5GraphWeights, T5WeightLocation } from './t5-graph-weights.js';
export type { T5Config, T5EncodeInputs, T5EncodeOutputs, T5EncoderEngine } from '@sdtext/core/t5';
