import { FLOAT32_MIN } from '@sdtext/core';
import { relativeBucketTable } from '@sdtext/core/t5';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { DataType } from '../onnx/onnx-proto.js';
import { t5Embedding, t5QuantizedMatMul, t5Weight, type T5GraphWeights } from './t5-graph-weights.js';

const BATCH = 'batch';
const SEQUENCE = 'sequence';

export interface T5EncoderGraph {
  /** The encoded ModelProto, as chunks. */
  chunks: Uint8Array[];
  byteLength: number;
  outputNames: string[];
}

/**
 * HF's T5EncoderModel as an ONNX graph (opset 17, standard ops only, so onnxruntime-node and
 * -web run it alike): inputs input_ids and attention_mask (int64 [batch, sequence]); outputs
 * last_hidden_state [B, S, d_model] and hidden_states.0 .. hidden_states.<num_layers> (HF's: each
 * block's input, then the final norm's output). The residual stream is kept [B * S, d_model] so
 * every Linear is one Gemm with transB (weights used as stored, [out, in]). A Linear whose weight
 * is in `weights.quantized` (dtype 'q8') is a DynamicQuantizeMatMul instead, and only then does
 * the graph import the com.microsoft opset; without any the graph is the exact one, unchanged.
 */
export function buildT5EncoderGraph(weights: T5GraphWeights): T5EncoderGraph {
  const { config } = weights;
  const { d_model: d, num_heads: nh, d_kv: dkv, num_layers: L } = config;
  const g = new GraphBuilder('T5EncoderModel', { weights: 'external' });
  // Each block's weights (their Casts) are added to the graph before the block's first compute
  // node. ONNX Runtime 1.30 orders nodes by a reverse DFS from the outputs; with this numbering
  // each Cast runs just before the Gemm that uses it, one float32 weight alive at a time. With the
  // Cast numbered after the activation it meets, every Cast ran at the start of the pass and all
  // float32 weights were alive at once (a 0.68 GB bf16 T5-large: 1.26 GB peak instead of 0.9 GB).
  // test/t5/execution-order.test.ts holds the order from ORT's own profile.
  const created = new Map<string, string>();
  const w = (key: string): string => {
    let value = created.get(key);
    if (value === undefined) created.set(key, (value = t5Weight(g, weights, key)));
    return value;
  };
  const addWeights = (prefix: string): void => {
    for (const key of weights.locations.keys()) if (key.startsWith(prefix)) w(key);
  };
  const outputNames: string[] = [];
  const output = (value: string, name: string): void => {
    g.op('Identity', [value], {}, { output: name });
    g.output(name, DataType.FLOAT, [BATCH, SEQUENCE, d]);
    outputNames.push(name);
  };

  const ids = g.input('input_ids', DataType.INT64, [BATCH, SEQUENCE]);
  const attentionMask = g.input('attention_mask', DataType.INT64, [BATCH, SEQUENCE]);
  const shape = g.op('Shape', [ids]); // [B, S]
  const B1 = g.op('Slice', [shape, g.int64s('start', [0]), g.int64s('end', [1])]); // [1]
  const S1 = g.op('Slice', [shape, g.int64s('start', [1]), g.int64s('end', [2])]); // [1]
  const S = g.op('Squeeze', [S1, g.int64s('axes', [0])]); // scalar
  const shape3 = g.op('Concat', [B1, S1, g.int64s('d', [d])], { axis: { int: 0 } }); // [B, S, d_model]

  // x W^T: [N, in] -> [N, out]
  const linear = (x: string, key: string): string => t5QuantizedMatMul(g, weights, `${key}.weight`, x) ?? g.op('Gemm', [x, w(`${key}.weight`)], { transB: { int: 1 } });
  // T5LayerNorm: weight * x * rsqrt(mean(x^2) + eps), no mean subtracted, no bias.
  const rmsNorm = (x: string, key: string): string => {
    const variance = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: { ints: [-1] }, keepdims: { int: 1 } }); // [N, 1]
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.float('eps', config.layer_norm_epsilon)])])]); // torch.rsqrt
    return g.op('Mul', [w(`${key}.weight`), g.op('Mul', [x, inv])]);
  };
  const act = (x: string): string => {
    switch (config.dense_act_fn) {
      case 'relu':
        return g.op('Relu', [x]);
      case 'gelu': {
        const erf = g.op('Erf', [g.op('Mul', [x, g.float('sqrt_half', Math.SQRT1_2)])]);
        return g.op('Mul', [g.op('Mul', [x, g.float('half', 0.5)]), g.op('Add', [erf, g.float('one', 1)])]); // x * 0.5 * (1 + erf(x / sqrt 2))
      }
      case 'gelu_new': {
        const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
        const inner = g.op('Mul', [g.float('sqrt_2_over_pi', Math.sqrt(2 / Math.PI)), g.op('Add', [x, g.op('Mul', [g.float('c', 0.044715), cube])])]);
        return g.op('Mul', [g.op('Mul', [g.float('half', 0.5), x]), g.op('Add', [g.float('one', 1), g.op('Tanh', [inner])])]); // 0.5 x (1 + tanh(...))
      }
    }
  };

  // Embeddings, flattened to the residual stream [N = B * S, d_model].
  let x = g.op('Reshape', [t5Embedding(g, weights, 'shared.weight', ids), g.int64s('rows', [-1, d])]);

  // The position bias, once (block 0 computes it; HF passes it on with the mask added):
  // relative_attention_bias[bucket(j - i)] with the buckets of core's torch-exact table, clamped
  // to +-max_distance (the buckets saturate there), plus (1 - mask) * finfo(float32).min.
  let positionBias = '';
  if (L > 0) {
    const D = config.relative_attention_max_distance;
    const positions = g.op('Range', [g.int64s('zero', [0], true), S, g.int64s('one', [1], true)]); // [S]
    const relative = g.op('Sub', [g.op('Unsqueeze', [positions, g.int64s('axes', [0])]), g.op('Unsqueeze', [positions, g.int64s('axes', [1])])]); // [S, S]: key j - query i
    const clamped = g.op('Min', [g.op('Max', [relative, g.int64s('lo', [-D], true)]), g.int64s('hi', [D], true)]);
    const table = g.constant('buckets', DataType.INT64, [2 * D + 1], BigInt64Array.from(relativeBucketTable(config), (b) => BigInt(b)));
    const buckets = g.op('Gather', [table, g.op('Add', [clamped, g.int64s('offset', [D], true)])]); // [S, S]
    const values = g.op('Gather', [w('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'), buckets]); // [S, S, nh]
    const bias = g.op('Unsqueeze', [g.op('Transpose', [values], { perm: { ints: [2, 0, 1] } }), g.int64s('axes', [0])]); // [1, nh, S, S]
    const keep = g.op('Cast', [attentionMask], { to: { int: DataType.FLOAT } });
    const mask = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.float('one', 1), keep]), g.float('min', FLOAT32_MIN)]), g.int64s('axes', [1, 2])]); // [B, 1, 1, S]
    positionBias = g.op('Add', [bias, mask]); // [B, nh, S, S]
  }

  const headsShape = g.op('Concat', [B1, S1, g.int64s('heads', [nh, dkv])], { axis: { int: 0 } }); // [B, S, nh, d_kv]
  const heads = (t: string, perm: number[]): string => g.op('Transpose', [g.op('Reshape', [t, headsShape])], { perm: { ints: perm } });
  for (let i = 0; i < L; i++) {
    const block = `encoder.block.${i}`;
    addWeights(`${block}.`);
    output(g.op('Reshape', [x, shape3]), `hidden_states.${i}`);
    // layer.0: x + SelfAttention(layer_norm(x)); scores q k^T with no scaling, plus the shared bias.
    const attn = `${block}.layer.0.SelfAttention`;
    const h = rmsNorm(x, `${block}.layer.0.layer_norm`);
    const q = heads(linear(h, `${attn}.q`), [0, 2, 1, 3]); // [B, nh, S, d_kv]
    const kT = heads(linear(h, `${attn}.k`), [0, 2, 3, 1]); // [B, nh, d_kv, S]
    const v = heads(linear(h, `${attn}.v`), [0, 2, 1, 3]); // [B, nh, S, d_kv]
    const probs = g.op('Softmax', [g.op('Add', [g.op('MatMul', [q, kT]), positionBias])], { axis: { int: -1 } }); // [B, nh, S, S]
    const merged = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } }), g.int64s('inner', [-1, nh * dkv])]); // [N, nh * d_kv]
    x = g.op('Add', [x, linear(merged, `${attn}.o`)]);
    // layer.1: x + DenseReluDense(layer_norm(x)), gated (act(wi_0 h) * wi_1 h) or not (act(wi h)).
    const ff = `${block}.layer.1.DenseReluDense`;
    const f = rmsNorm(x, `${block}.layer.1.layer_norm`);
    const hidden = config.is_gated_act ? g.op('Mul', [act(linear(f, `${ff}.wi_0`)), linear(f, `${ff}.wi_1`)]) : act(linear(f, `${ff}.wi`));
    x = g.op('Add', [x, linear(hidden, `${ff}.wo`)]);
  }
  addWeights('encoder.final_layer_norm.');
  const last = g.op('Reshape', [rmsNorm(x, 'encoder.final_layer_norm'), shape3]);
  output(last, `hidden_states.${L}`);
  output(last, 'last_hidden_state');

  const q8 = (weights.quantized?.size ?? 0) > 0;
  const proto = g.encode({
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }, ...(q8 ? [{ domain: 'com.microsoft', version: 1 }] : [])],
    producerName: '@sdtext/onnx',
    producerVersion: '0.1.0',
    metadata: { model: 'T5EncoderModel', dense_act_fn: config.dense_act_fn, is_gated_act: String(config.is_gated_act), ...(q8 ? { dtype: 'q8' } : {}) },
  });
  return { chunks: proto.finish(), byteLength: proto.length, outputNames };
}
