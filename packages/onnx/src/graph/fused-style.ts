import type { ClipGraphStyle, GraphContext } from './graph-context.js';
import { quantizeQ8 } from './quantize-q8.js';
import { attentionProbs, standardStyle } from './standard-style.js';

const MS = { domain: 'com.microsoft' } as const;

/**
 * x W^T for a Linear weight stored [out, in]: FusedMatMul with transB, so the stored weight is used
 * as it is (no copy, and ORT prepacks it). For WebGPU (transposeWeights), MatMul by the weight
 * transposed (GraphWeights.transposed: folded by ORT at load, or copied in JavaScript), because
 * its FusedMatMul kernel ignores transB (wrong results).
 */
function matMulT({ g, w, wT, take, transposeWeights, quantize }: GraphContext, x: string, weightKey: string): string {
  if (quantize === 'q8') {
    // int8 weights per output channel; the activations are quantized to uint8 per call, per tensor,
    // by the op itself (ONNX Runtime's integer GEMM), and the product scaled back to float32.
    const { data, shape } = take(weightKey);
    const [out, inp] = shape as [number, number];
    const { codes, scales } = quantizeQ8(data, out, inp);
    const b = g.weight(`${weightKey}.q8`, codes, [inp, out]);
    const bScale = g.weight(`${weightKey}.q8_scale`, scales, [out]);
    return g.op('DynamicQuantizeMatMul', [x, b, bScale], {}, MS);
  }
  if (!transposeWeights) return g.op('FusedMatMul', [x, w(weightKey)], { transB: { int: 1 } }, MS);
  return g.op('MatMul', [x, wT(weightKey)]);
}

/**
 * ONNX Runtime's contrib ops: MultiHeadAttention (all heads' scaled dot-product attention, HF's
 * additive mask as its attention_bias), SkipLayerNormalization (residual add + bias + LayerNorm in
 * one pass, also returning the sum), BiasGelu (exact erf GELU: never FastGelu, which is the tanh form) or
 * QuickGelu (x * sigmoid(1.702 x)).
 */
export const fusedStyle: ClipGraphStyle = {
  opsets: [
    { domain: '', version: 17 },
    { domain: 'com.microsoft', version: 1 },
  ],

  // HF's additive mask (causal + padding) as MultiHeadAttention's attention_bias, once for all
  // layers: the WebGPU kernel takes no key_padding_mask and wants the bias per head.
  attentionMask(ctx, ids, attentionMask) {
    const mask = standardStyle.attentionMask(ctx, ids, attentionMask); // [B, 1, S, S]
    return ctx.g.op('Expand', [mask, ctx.g.int64s('per_head', [1, ctx.config.num_attention_heads, 1, 1])]); // [B, nh, S, S]
  },

  layerNorm({ g, w, config }, x, prefix) {
    return g.op('LayerNormalization', [x, w(`${prefix}.weight`), w(`${prefix}.bias`)], {
      axis: { int: -1 },
      epsilon: { float: config.layer_norm_eps },
    });
  },

  encoderLayer(ctx, prefix, x, h, mask, nextNorm) {
    const { g, w, config } = ctx;
    const attn = `${prefix}.self_attn`;
    // Biases added here, not as MultiHeadAttention's bias input, which the WebGPU kernel lacks.
    const proj = (name: string): string => g.op('Add', [matMulT(ctx, h, `${attn}.${name}.weight`), w(`${attn}.${name}.bias`)]); // [B, S, H]
    const [q, k, v] = [proj('q_proj'), proj('k_proj'), proj('v_proj')];
    const heads = g.op('MultiHeadAttention', [q, k, v, '', '', mask], { num_heads: { int: config.num_attention_heads } }, MS); // [B, S, H]
    const o = g.op('Add', [matMulT(ctx, heads, `${attn}.out_proj.weight`), w(`${attn}.out_proj.bias`)]);
    const x1 = g.op('Add', [x, o]); // x = x + attn(ln1(x))
    const h2 = this.layerNorm(ctx, x1, `${prefix}.layer_norm2`);
    const f = matMulT(ctx, h2, `${prefix}.mlp.fc1.weight`); // [B, S, I]
    const act =
      config.hidden_act === 'gelu'
        ? g.op('BiasGelu', [f, w(`${prefix}.mlp.fc1.bias`)], {}, MS)
        : g.op('QuickGelu', [g.op('Add', [f, w(`${prefix}.mlp.fc1.bias`)])], { alpha: { float: 1.702 } }, MS);
    const m = g.op('Add', [matMulT(ctx, act, `${prefix}.mlp.fc2.weight`), w(`${prefix}.mlp.fc2.bias`)]);
    const x2 = g.op('Add', [x1, m]); // x = x + mlp(ln2(x))
    const hNext = this.layerNorm(ctx, x2, nextNorm);
    // MultiHeadAttention keeps its probabilities to itself: recomputed from q and k when asked (<1% of the layer's work).
    return { x: x2, h: hNext, ...(ctx.attentions ? { probs: attentionProbs(ctx, q, k, mask) } : {}) };
  },
};
