import type { CLIPTextConfig } from '@sdtext/core';
import type { GraphBuilder } from '../onnx/graph-builder.js';

/** One checkpoint tensor, widened to float32, in the stored layout (Linear weights [out, in]). */
export interface WeightTensor {
  data: Float32Array;
  shape: readonly number[];
}

/** Where a graph's weights come from: arrays in memory, or the checkpoint files themselves. */
export interface GraphWeights {
  config: CLIPTextConfig;
  /** Whether the checkpoint is a CLIPTextModelWithProjection (has text_projection.weight). */
  withProjection: boolean;
  /** Adds the initializer of checkpoint key `key` to `g`; returns the name of its float32 value. */
  initializer(g: GraphBuilder, key: string): string;
  /** Rows `ids` of embedding table `key`, as float32 (a file-backed table is gathered in its stored dtype, then cast). */
  embedding(g: GraphBuilder, key: string, ids: string): string;
  /** Removes and returns `key`'s float32 data, for styles that re-lay weights out (in-memory sources only). */
  take(key: string): WeightTensor;
  /** Adds Linear weight `key` ([out, in] as stored) to `g` as float32 [in, out]; returns the value's name. */
  transposed(g: GraphBuilder, key: string): string;
}

/** What a CLIP graph style needs: the builder, the config, and the checkpoint's weights by key. */
export interface GraphContext {
  g: GraphBuilder;
  config: CLIPTextConfig;
  /** The initializer for checkpoint key `key`, as stored (Linear weights [out, in]). */
  w(key: string): string;
  /** Whether Linear weights must be transposed to [in, out] (for runtimes without a working transB). */
  transposeWeights: boolean;
  /** Linear weight `key` as float32 [in, out]. */
  wT(key: string): string;
  /** 'q8': the encoder layers' Linear weights as int8 per output channel, activations quantized per call. */
  quantize: 'q8' | null;
  /** Also expose each layer's attention probabilities (HF's output_attentions). */
  attentions: boolean;
  /** Removes and returns the tensor of `key` (for styles that re-lay weights out). */
  take(key: string): WeightTensor;
}

/** Symbolic batch and sequence dimensions of the graph's inputs and outputs. */
export const BATCH = 'batch';
export const SEQUENCE = 'sequence';

/** One graph style: how LayerNorm and a whole pre-LN encoder layer are spelled in ONNX ops. */
export interface ClipGraphStyle {
  /** The opsets the style's nodes need. */
  readonly opsets: readonly { domain: string; version: number }[];
  /** Prepares the attention mask once for all layers, from attention_mask int64 [B, S]. */
  attentionMask(ctx: GraphContext, ids: string, attentionMask: string): string;
  /** LayerNorm of x [B, S, H] with `prefix`.weight / `prefix`.bias. */
  layerNorm(ctx: GraphContext, x: string, prefix: string): string;
  /**
   * One CLIPEncoderLayer: x1 = x + attn(h), x2 = x1 + mlp(ln2(x1)), where h = ln1(x) was computed
   * before. Returns x2 and LayerNorm `nextNorm` of x2 (the next layer's ln1, or final_layer_norm),
   * which fused styles compute together with the residual sum.
   */
  encoderLayer(ctx: GraphContext, prefix: string, x: string, h: string, mask: string, nextNorm: string): EncoderLayerValues;
}

/** What an encoder layer leaves in the graph: the residual stream, its next norm, and (when asked) the attention probabilities. */
export interface EncoderLayerValues {
  x: string;
  h: string;
  /** [B, nh, S, S], when the context asks for attentions. */
  probs?: string;
}
