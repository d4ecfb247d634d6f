// @sdtext/text-encoder/t5: the T5 encoder (SD3's text_encoder_3, Flux's text_encoder_2) on tfjs.
// A subpath of its own: the CLIP entry (`@sdtext/text-encoder`) never loads it.
export { NewGELUActivation, ReLU } from './activations.js';
export type { T5FromPretrainedOptions } from './load-t5.js';
export { T5Attention } from './t5-attention.js';
export { T5Block } from './t5-block.js';
export { T5DenseActDense } from './t5-dense-act-dense.js';
export { T5DenseGatedActDense } from './t5-dense-gated-act-dense.js';
export { T5EncoderModel, type T5EncoderInputs, type T5EncoderModelOptions, type T5EncoderOutputs } from './t5-encoder-model.js';
export { T5LayerFF } from './t5-layer-ff.js';
export { T5LayerNorm } from './t5-layer-norm.js';
export { T5LayerSelfAttention } from './t5-layer-self-attention.js';
export { T5Stack } from './t5-stack.js';
export { T5_XXL_CONFIG, parseT5Config, type T5Config, type T5EncodeInputs, type T5EncodeOutputs, type T5EncoderEngine } from '@sdtext/core/t5';
