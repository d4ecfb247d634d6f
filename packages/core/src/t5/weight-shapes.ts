import type { KeyFilter } from '../checkpoint.js';
import type { T5Config } from './config.js';

/** The token embedding's key: T5EncoderModel's `shared`, which `encoder.embed_tokens` is tied to. */
export const T5_SHARED_KEY = 'shared.weight';
/** The tied copy of `shared.weight` that `state_dict()` also lists (safetensors files often drop it). */
export const T5_EMBED_TOKENS_KEY = 'encoder.embed_tokens.weight';

/**
 * Keys a T5 checkpoint may carry that T5EncoderModel does not load: a full T5 (T5Model,
 * T5ForConditionalGeneration) checkpoint's decoder, which HF's T5EncoderModel skips
 * (`_keys_to_ignore_on_load_unexpected = [r"decoder"]`), and its LM head.
 */
export const T5_ENCODER_IGNORED_KEYS: KeyFilter = [/^decoder\./, 'lm_head.weight'];

/** The Linear layers of one T5Block, by key without `.weight`, with [out, in]. */
export function t5BlockLinears(config: T5Config, block: number): [string, [number, number]][] {
  const { d_model: d, d_kv, num_heads, d_ff } = config;
  const inner = num_heads * d_kv;
  const attn = `encoder.block.${block}.layer.0.SelfAttention`;
  const ff = `encoder.block.${block}.layer.1.DenseReluDense`;
  return [
    [`${attn}.q`, [inner, d]],
    [`${attn}.k`, [inner, d]],
    [`${attn}.v`, [inner, d]],
    [`${attn}.o`, [d, inner]],
    ...(config.is_gated_act
      ? ([
          [`${ff}.wi_0`, [d_ff, d]],
          [`${ff}.wi_1`, [d_ff, d]],
        ] as [string, [number, number]][])
      : ([[`${ff}.wi`, [d_ff, d]]] as [string, [number, number]][])),
    [`${ff}.wo`, [d, d_ff]],
  ];
}

/**
 * Every key T5EncoderModel loads with its shape, in module order, from the config alone: what
 * strict loading checks a checkpoint against (the tfjs module tree asks for exactly these; a test
 * holds them equal). No biases anywhere; the relative position bias lives in block 0 only.
 * `shared.weight` stands for the embedding whichever of its two tied keys the file has.
 */
export function t5EncoderWeightShapes(config: T5Config): Map<string, number[]> {
  const { d_model: d, num_heads, relative_attention_num_buckets: buckets } = config;
  const shapes = new Map<string, number[]>();
  shapes.set(T5_SHARED_KEY, [config.vocab_size, d]);
  for (let i = 0; i < config.num_layers; i++) {
    const linears = t5BlockLinears(config, i);
    for (const [key, shape] of linears.slice(0, 4)) shapes.set(`${key}.weight`, shape);
    if (i === 0) shapes.set(`encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, [buckets, num_heads]);
    shapes.set(`encoder.block.${i}.layer.0.layer_norm.weight`, [d]);
    for (const [key, shape] of linears.slice(4)) shapes.set(`${key}.weight`, shape);
    shapes.set(`encoder.block.${i}.layer.1.layer_norm.weight`, [d]);
  }
  shapes.set('encoder.final_layer_norm.weight', [d]);
  return shapes;
}
