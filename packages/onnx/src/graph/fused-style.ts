import { DataType } from '../onnx/onnx-proto.js';
import type { ClipGraphStyle, GraphContext } from './graph-context.js';

const MS = { domain: 'com.microsoft' } as const;

/** Linear with the weight as stored, [out, in]: FusedMatMul transposes B inside the GEMM (no copy). */
function matMulT({ g, w }: GraphContext, x: string, weightKey: string): string {
  return g.op('FusedMatMul', [x, w(weightKey)], { transB: { int: 1 } }, MS);
}

/**
 * ONNX Runtime's contrib ops: MultiHeadAttention with a causal (unidirectional) mask and a key
 * padding mask, SkipLayerNormalization (residual add + bias + LayerNorm in one pass, also
 * returning the sum), BiasGelu (exact erf GELU: never FastGelu, which is the tanh form) or
 * QuickGelu (x * sigmoid(1.702 x)).
 */
export const fusedStyle: ClipGraphStyle = {
  opsets: [
    { domain: '', version: 17 },
    { domain: 'com.microsoft', version: 1 },
  ],

  attentionMask({ g }, _ids, attentionMask) {
    return g.op('Cast', [attentionMask], { to: { int: DataType.INT32 } }); // key_padding_mask [B, S], 1 = attend
  },

  layerNorm({ g, w, config }, x, prefix) {
    return g.op('LayerNormalization', [x, w(`${prefix}.weight`), w(`${prefix}.bias`)], {
      axis: { int: -1 },
      epsilon: { float: config.layer_norm_eps },
    });
  },

  encoderLayer(ctx, prefix, x, h, mask, nextNorm) {
    const { g, w, config, take } = ctx;
    const attn = `${prefix}.self_attn`;
    const q = matMulT(ctx, h, `${attn}.q_proj.weight`); // [B, S, H]
    const k = matMulT(ctx, h, `${attn}.k_proj.weight`);
    const v = matMulT(ctx, h, `${attn}.v_proj.weight`);
    const qkvBias = concatF32([`${attn}.q_proj.bias`, `${attn}.k_proj.bias`, `${attn}.v_proj.bias`].map((key) => take(key).data));
    const bias = g.constant('qkv_bias', DataType.FLOAT, [qkvBias.length], qkvBias);
    const heads = g.op('MultiHeadAttention', [q, k, v, bias, mask], { num_heads: { int: config.num_attention_heads }, unidirectional: { int: 1 } }, MS);
    const o = matMulT(ctx, heads, `${attn}.out_proj.weight`);
    const eps = { epsilon: { float: config.layer_norm_eps } };
    // x1 = x + (o + out_proj.bias); h2 = layer_norm2(x1)
    const [h2, , , x1] = g.node(
      'SkipLayerNormalization',
      [o, x, w(`${prefix}.layer_norm2.weight`), w(`${prefix}.layer_norm2.bias`), w(`${attn}.out_proj.bias`)],
      eps,
      { ...MS, outputs: [g.fresh('h2'), '', '', g.fresh('x1')] },
    ) as [string, string, string, string];
    const f = matMulT(ctx, h2, `${prefix}.mlp.fc1.weight`); // [B, S, I]
    const act =
      config.hidden_act === 'gelu'
        ? g.op('BiasGelu', [f, w(`${prefix}.mlp.fc1.bias`)], {}, MS)
        : g.op('QuickGelu', [g.op('Add', [f, w(`${prefix}.mlp.fc1.bias`)])], { alpha: { float: 1.702 } }, MS);
    const m = matMulT(ctx, act, `${prefix}.mlp.fc2.weight`);
    // x2 = x1 + (m + fc2.bias); hNext = nextNorm(x2)
    const [hNext, , , x2] = g.node(
      'SkipLayerNormalization',
      [m, x1, w(`${nextNorm}.weight`), w(`${nextNorm}.bias`), w(`${prefix}.mlp.fc2.bias`)],
      eps,
      { ...MS, outputs: [g.fresh('h_next'), '', '', g.fresh('x2')] },
    ) as [string, string, string, string];
    return { x: x2, h: hNext };
  },
};

function concatF32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
