import { FLOAT32_MIN } from '@sdtext/core';
import { DataType } from '../onnx/onnx-proto.js';
import type { ClipGraphStyle, GraphContext } from './graph-context.js';

/**
 * Standard ONNX ops only (opset 17), spelled as torch.onnx exports HF's CLIPTextModel: MatMul
 * with [in, out] weights, explicit attention with an additive mask (HF's causal + padding masks,
 * finfo(float32).min), LayerNormalization, GELU as x * 0.5 * (1 + erf(x / sqrt 2)). Any ONNX
 * runtime runs it, transformers.js included.
 */
export const standardStyle: ClipGraphStyle = {
  opsets: [{ domain: '', version: 17 }],

  attentionMask({ g, config }, _ids, attentionMask) {
    const P = config.max_position_embeddings;
    const causal = new Float32Array(P * P);
    for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) causal[i * P + j] = FLOAT32_MIN;
    const S = g.op('Gather', [g.op('Shape', [attentionMask]), g.int64s('one', [1], true)], { axis: { int: 0 } }); // scalar S
    const S1 = g.op('Unsqueeze', [S, g.int64s('axes', [0])]);
    const zeros = g.int64s('zeros', [0, 0]);
    const causalSS = g.op('Slice', [g.constant('causal', DataType.FLOAT, [P, P], causal), zeros, g.op('Concat', [S1, S1], { axis: { int: 0 } }), g.int64s('axes', [0, 1])]); // [S, S]
    // (1 - mask) * min over the keys: [B, 1, 1, S]
    const keep = g.op('Cast', [attentionMask], { to: { int: DataType.FLOAT } });
    const padding = g.op('Mul', [g.op('Sub', [g.float('one', 1), keep]), g.float('min', FLOAT32_MIN)]);
    const padding4 = g.op('Unsqueeze', [padding, g.int64s('axes', [1, 2])]);
    return g.op('Add', [causalSS, padding4]); // [B, 1, S, S]; min + min overflows to -inf, as in PyTorch
  },

  layerNorm({ g, w, config }, x, prefix) {
    return g.op('LayerNormalization', [x, w(`${prefix}.weight`), w(`${prefix}.bias`)], {
      axis: { int: -1 },
      epsilon: { float: config.layer_norm_eps },
    });
  },

  encoderLayer(ctx, prefix, x, h, mask, nextNorm) {
    const { g } = ctx;
    const attn = attention(ctx, h, `${prefix}.self_attn`, mask);
    const x1 = g.op('Add', [x, attn.out]); // x = x + attn(ln1(x))
    const h2 = this.layerNorm(ctx, x1, `${prefix}.layer_norm2`);
    const x2 = g.op('Add', [x1, mlp(ctx, h2, `${prefix}.mlp`)]); // x = x + mlp(ln2(x))
    return { x: x2, h: this.layerNorm(ctx, x2, nextNorm), ...(ctx.attentions ? { probs: attn.probs } : {}) };
  },
};

/** nn.Linear as torch.onnx writes it: MatMul by the transposed weight [in, out], then Add. */
function linear(ctx: GraphContext, x: string, prefix: string): string {
  const { g } = ctx;
  return g.op('Add', [g.op('MatMul', [x, ctx.wT(`${prefix}.weight`)]), ctx.w(`${prefix}.bias`)]);
}

function attention(ctx: GraphContext, x: string, prefix: string, mask: string): { out: string; probs: string } {
  const { g, config } = ctx;
  const nh = config.num_attention_heads;
  const hd = config.hidden_size / nh;
  const split = g.int64s('heads_shape', [0, 0, nh, hd]); // [B, S, nh, hd]
  const heads = (t: string, perm: number[]): string => g.op('Transpose', [g.op('Reshape', [t, split])], { perm: { ints: perm } });
  const q = heads(g.op('Mul', [linear(ctx, x, `${prefix}.q_proj`), g.float('scale', hd ** -0.5)]), [0, 2, 1, 3]); // [B, nh, S, hd]
  const kT = heads(linear(ctx, x, `${prefix}.k_proj`), [0, 2, 3, 1]); // [B, nh, hd, S]
  const v = heads(linear(ctx, x, `${prefix}.v_proj`), [0, 2, 1, 3]); // [B, nh, S, hd]
  const probs = g.op('Softmax', [g.op('Add', [g.op('MatMul', [q, kT]), mask])], { axis: { int: -1 } }); // [B, nh, S, S]
  const y = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } }); // [B, S, nh, hd]
  const merged = g.op('Reshape', [y, g.int64s('merge_shape', [0, 0, config.hidden_size])]);
  return { out: linear(ctx, merged, `${prefix}.out_proj`), probs };
}

/**
 * softmax(q k^T * scale + mask) from q and k [B, S, H] (HF's attn_weights): for graphs whose
 * attention op does not expose its probabilities (MultiHeadAttention).
 */
export function attentionProbs(ctx: GraphContext, q: string, k: string, mask: string): string {
  const { g, config } = ctx;
  const nh = config.num_attention_heads;
  const hd = config.hidden_size / nh;
  const split = g.int64s('heads_shape', [0, 0, nh, hd]); // [B, S, nh, hd]
  const heads = (t: string, perm: number[]): string => g.op('Transpose', [g.op('Reshape', [t, split])], { perm: { ints: perm } });
  const scores = g.op('MatMul', [heads(g.op('Mul', [q, g.float('scale', hd ** -0.5)]), [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])]); // [B, nh, S, S]
  return g.op('Softmax', [g.op('Add', [scores, mask])], { axis: { int: -1 } });
}

function mlp(ctx: GraphContext, x: string, prefix: string): string {
  const { g, config } = ctx;
  const f = linear(ctx, x, `${prefix}.fc1`);
  let act: string;
  if (config.hidden_act === 'gelu') {
    const erf = g.op('Erf', [g.op('Div', [f, g.float('sqrt2', Math.SQRT2)])]);
    act = g.op('Mul', [g.op('Mul', [f, g.float('half', 0.5)]), g.op('Add', [erf, g.float('one', 1)])]);
  } else {
    act = g.op('Mul', [f, g.op('Sigmoid', [g.op('Mul', [f, g.float('alpha', 1.702)])])]);
  }
  return linear(ctx, act, `${prefix}.fc2`);
}
