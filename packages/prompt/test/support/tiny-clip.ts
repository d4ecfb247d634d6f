import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EncodeOptions, EncoderOutput, PromptEncoder } from '../../src/index.js';
import { readSafetensors, type LoadedTensor } from './safetensors.js';

// A plain-TypeScript CLIP text model for the tiny fixture checkpoints (width 32, 2 layers): the
// test encoder behind the PromptEncoder interface, so these tests depend on no engine package.
// It is checked against Hugging Face's own outputs (clip.test.ts) before anything relies on it.

interface Config {
  hidden_size: number;
  num_attention_heads: number;
  num_hidden_layers: number;
  layer_norm_eps: number;
  hidden_act: string;
}

export class TinyClip implements PromptEncoder {
  readonly config: Config;
  private readonly w: Map<string, LoadedTensor>;

  constructor(folder: string) {
    this.config = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8')) as Config;
    this.w = readSafetensors(path.join(folder, 'model.safetensors'));
  }

  private get(name: string): Float32Array {
    const t = this.w.get(`text_model.${name}`);
    if (!t) throw new Error(`missing ${name}`);
    return t.data;
  }

  /** All hidden states [layers + 1] of [S, H] for one row, and the final-normed last one. */
  forwardRow(ids: ArrayLike<number>): { hiddenStates: Float32Array[]; last: Float32Array } {
    const { hidden_size: H, num_attention_heads: heads, num_hidden_layers: layers } = this.config;
    const S = ids.length;
    const tok = this.get('embeddings.token_embedding.weight');
    const pos = this.get('embeddings.position_embedding.weight');
    let h = new Float32Array(S * H);
    for (let s = 0; s < S; s++) for (let c = 0; c < H; c++) h[s * H + c] = tok[ids[s]! * H + c]! + pos[s * H + c]!;
    const hiddenStates = [h];
    const dh = H / heads;
    for (let l = 0; l < layers; l++) {
      const p = `encoder.layers.${l}.`;
      const x = this.layerNorm(h, S, p + 'layer_norm1');
      const q = this.linear(x, S, p + 'self_attn.q_proj');
      const k = this.linear(x, S, p + 'self_attn.k_proj');
      const v = this.linear(x, S, p + 'self_attn.v_proj');
      const a = new Float32Array(S * H);
      const scores = new Float64Array(S);
      for (let hd = 0; hd < heads; hd++) {
        for (let i = 0; i < S; i++) {
          let max = -Infinity;
          for (let j = 0; j <= i; j++) {
            let d = 0;
            for (let c = 0; c < dh; c++) d += q[i * H + hd * dh + c]! * dh ** -0.5 * k[j * H + hd * dh + c]!;
            scores[j] = d;
            if (d > max) max = d;
          }
          let sum = 0;
          for (let j = 0; j <= i; j++) sum += scores[j] = Math.exp(scores[j]! - max);
          for (let c = 0; c < dh; c++) {
            let o = 0;
            for (let j = 0; j <= i; j++) o += (scores[j]! / sum) * v[j * H + hd * dh + c]!;
            a[i * H + hd * dh + c] = o;
          }
        }
      }
      const attn = this.linear(a, S, p + 'self_attn.out_proj');
      const h1 = new Float32Array(S * H);
      for (let i = 0; i < h1.length; i++) h1[i] = h[i]! + attn[i]!;
      const m = this.linear(this.act(this.linear(this.layerNorm(h1, S, p + 'layer_norm2'), S, p + 'mlp.fc1')), S, p + 'mlp.fc2');
      h = new Float32Array(S * H);
      for (let i = 0; i < h.length; i++) h[i] = h1[i]! + m[i]!;
      hiddenStates.push(h);
    }
    return { hiddenStates, last: this.layerNorm(h, S, 'final_layer_norm') };
  }

  async encode(inputIds: Int32Array, batch: number, seqLen: number, options: EncodeOptions = {}): Promise<EncoderOutput> {
    const H = this.config.hidden_size;
    const clipSkip = options.clipSkip ?? 1;
    const hidden = new Float32Array(batch * seqLen * H);
    const pooled = new Float32Array(batch * H);
    for (let b = 0; b < batch; b++) {
      const ids = inputIds.subarray(b * seqLen, (b + 1) * seqLen);
      const { hiddenStates, last } = this.forwardRow(ids);
      const z = clipSkip > 1 ? this.layerNorm(hiddenStates[hiddenStates.length - clipSkip]!, seqLen, 'final_layer_norm') : last;
      hidden.set(z, b * seqLen * H);
      // Hugging Face's legacy pooling (eos_token_id 2): the position of the largest id.
      let arg = 0;
      for (let s = 1; s < seqLen; s++) if (ids[s]! > ids[arg]!) arg = s;
      pooled.set(last.subarray(arg * H, (arg + 1) * H), b * H);
    }
    return { lastHiddenState: { data: hidden, dims: [batch, seqLen, H] }, pooled: { data: pooled, dims: [batch, H] } };
  }

  private linear(x: Float32Array, S: number, name: string): Float32Array {
    const w = this.get(name + '.weight');
    const bias = this.get(name + '.bias');
    const out = bias.length;
    const inn = w.length / out;
    const y = new Float32Array(S * out);
    for (let s = 0; s < S; s++) {
      for (let o = 0; o < out; o++) {
        let acc = bias[o]!;
        for (let i = 0; i < inn; i++) acc += x[s * inn + i]! * w[o * inn + i]!;
        y[s * out + o] = acc;
      }
    }
    return y;
  }

  private layerNorm(x: Float32Array, S: number, name: string): Float32Array {
    const g = this.get(name + '.weight');
    const b = this.get(name + '.bias');
    const H = g.length;
    const y = new Float32Array(S * H);
    for (let s = 0; s < S; s++) {
      let mean = 0;
      for (let c = 0; c < H; c++) mean += x[s * H + c]!;
      mean /= H;
      let variance = 0;
      for (let c = 0; c < H; c++) variance += (x[s * H + c]! - mean) ** 2;
      variance /= H;
      const inv = 1 / Math.sqrt(variance + this.config.layer_norm_eps);
      for (let c = 0; c < H; c++) y[s * H + c] = (x[s * H + c]! - mean) * inv * g[c]! + b[c]!;
    }
    return y;
  }

  private act(x: Float32Array): Float32Array {
    const y = new Float32Array(x.length);
    const quick = this.config.hidden_act === 'quick_gelu';
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = quick ? v / (1 + Math.exp(-1.702 * v)) : 0.5 * v * (1 + erf(v / Math.SQRT2));
    }
    return y;
  }
}

/** erf in double precision: its Maclaurin series below 2.5, the erfc continued fraction above (exact GELU needs erf far beyond 1e-5). */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: converges fast enough below 2.5 in double precision.
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc at larger |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

export const MODELS_DIR = new URL('../../../../models/fixtures/models/', import.meta.url).pathname;

export function loadTinyClip(model: 'sd1-tiny' | 'sd2-tiny'): TinyClip {
  return new TinyClip(path.join(MODELS_DIR, model, 'text_model'));
}
