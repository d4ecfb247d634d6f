import { CheckpointError } from '../checkpoint.js';
import { parseT5Config, T5_CONFIG_LIMITS, type T5Config } from './config.js';
import { T5_EMBED_TOKENS_KEY, T5_SHARED_KEY } from './weight-shapes.js';

const BLOCK = /^encoder\.block\.(\d+)\./;

/**
 * The config of a lone T5 encoder file (ComfyUI's `t5xxl_*.safetensors` have no config.json), as
 * ComfyUI reads it off the shapes: vocab_size and d_model from the embedding, num_heads and the
 * bucket count from block 0's relative_attention_bias, d_kv from the query width, d_ff and gating
 * from wi_0 (gated, gelu_new) or wi (relu), num_layers one past the highest block. What the
 * shapes cannot tell (relative_attention_max_distance, layer_norm_epsilon) takes T5's defaults
 * (128, 1e-6, as every T5 v1.1) unless `overrides` says; overrides win over the shapes too.
 */
export function t5ConfigFromShapes(shapes: ReadonlyMap<string, readonly number[]>, where: string, overrides: Partial<T5Config> = {}): T5Config {
  const need = (key: string, rank: number): readonly number[] => {
    const shape = shapes.get(key);
    if (!shape || shape.length !== rank) {
      throw new CheckpointError(`${where}: not a T5 encoder file: no ${rank}-D "${key}" to read the config from (pass config with the model's fields)`);
    }
    return shape;
  };
  const embedding = shapes.has(T5_SHARED_KEY) ? need(T5_SHARED_KEY, 2) : need(T5_EMBED_TOKENS_KEY, 2);
  const [buckets, heads] = need('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight', 2) as [number, number];
  const [inner] = need('encoder.block.0.layer.0.SelfAttention.q.weight', 2) as [number, number];
  const ff = 'encoder.block.0.layer.1.DenseReluDense';
  const gated = shapes.has(`${ff}.wi_0.weight`);
  const [dFF] = need(`${ff}.${gated ? 'wi_0' : 'wi'}.weight`, 2) as [number, number];
  let layers = 0;
  for (const key of shapes.keys()) {
    const m = BLOCK.exec(key);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (layers > T5_CONFIG_LIMITS.num_layers) {
    throw new CheckpointError(`${where}: a block numbered ${layers - 1}: num_layers must be at most ${T5_CONFIG_LIMITS.num_layers}`);
  }
  return parseT5Config(
    {
      vocab_size: embedding[0],
      d_model: embedding[1],
      num_heads: heads,
      d_kv: heads > 0 && inner % heads === 0 ? inner / heads : inner,
      d_ff: dFF,
      num_layers: layers,
      relative_attention_num_buckets: buckets,
      feed_forward_proj: gated ? 'gated-gelu' : 'relu',
      ...overrides,
    },
    `${where} (config read off the shapes)`,
  );
}
