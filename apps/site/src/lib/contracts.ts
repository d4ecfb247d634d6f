// The parts of @sdtext/tokenizer and @sdtext/text-encoder the site's own code calls, declared
// structurally as docs/api-contracts.md describes them (cells get the real objects).
import type { Tensor } from '@tensorflow/tfjs-core';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface EncodeOptions {
  padding?: 'max_length' | 'longest' | false;
  maxLength?: number;
  truncation?: boolean;
  addSpecialTokens?: boolean;
}

export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
}

export interface BatchEncoding {
  inputIds: number[][];
  attentionMask: number[][];
}

export interface Tokenizer {
  tokenize(text: string): string[];
  convertTokensToIds(tokens: string[]): number[];
  convertIdsToTokens(ids: number[]): string[];
  encode(text: string, options?: EncodeOptions): Encoding;
  encode(texts: string[], options?: EncodeOptions): BatchEncoding;
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  readonly vocabSize: number;
  readonly modelMaxLength: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
}

export interface TextModelConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  vocab_size: number;
  max_position_embeddings: number;
  layer_norm_eps: number;
  hidden_act: string;
}

export interface TextModelOutput {
  lastHiddenState: Tensor;
  poolerOutput: Tensor;
  hiddenStates?: Tensor[];
}

export interface TextModel {
  readonly config: TextModelConfig;
  readonly textModel: object;
  forward(inputs: { inputIds: number[][]; attentionMask?: number[][]; outputHiddenStates?: boolean }): TextModelOutput;
  dispose(): void;
}

export interface FileProgress {
  file: string;
  loaded: number;
  total: number | null;
}

/** docs/api-contracts.md: where model files come from. */
export interface FileSource {
  readonly name: string;
  readText(path: string): Promise<string | null>;
  readBytes(path: string, onProgress?: (p: FileProgress) => void): Promise<Uint8Array | null>;
}
