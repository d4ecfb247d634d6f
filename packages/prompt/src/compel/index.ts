export { parseCompelPrompt, exactPow } from './parse.js';
export type { CompelParserOptions } from './parse.js';
export { CompelSyntaxError } from './structures.js';
export type { CompelBlend, CompelConjunction, CompelFlattenedPrompt, CompelFragment, CompelLoraWeight, CompelSubstitute } from './structures.js';
export { encodeCompel, tokenizeCompel } from './encode.js';
export type { CompelConditioning, CompelEncodeOptions, CompelPartTokens, CompelSplitMode } from './encode.js';
