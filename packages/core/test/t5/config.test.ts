import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { T5_CONFIG_DEFAULTS, T5_XXL_CONFIG, parseT5Config } from '../../src/t5/index.js';

// google/t5-v1_1-xxl's config.json as SD3's text_encoder_3 has it (the fields that matter, and some that do not).
const SD3_T5 = {
  architectures: ['T5EncoderModel'],
  d_ff: 10240,
  d_kv: 64,
  d_model: 4096,
  decoder_start_token_id: 0,
  dense_act_fn: 'gelu_new',
  dropout_rate: 0.1,
  eos_token_id: 1,
  feed_forward_proj: 'gated-gelu',
  initializer_factor: 1.0,
  is_encoder_decoder: true,
  is_gated_act: true,
  layer_norm_epsilon: 1e-6,
  model_type: 't5',
  num_decoder_layers: 24,
  num_heads: 64,
  num_layers: 24,
  output_past: true,
  pad_token_id: 0,
  relative_attention_max_distance: 128,
  relative_attention_num_buckets: 32,
  tie_word_embeddings: false,
  torch_dtype: 'float16',
  vocab_size: 32128,
};

describe('parseT5Config', () => {
  it('reads SD3 / Flux T5-XXL', () => {
    expect(parseT5Config(SD3_T5)).toEqual(T5_XXL_CONFIG);
    expect(parseT5Config(JSON.stringify(SD3_T5))).toEqual(T5_XXL_CONFIG);
  });

  it("takes HF's defaults for missing fields (t5-small, relu)", () => {
    expect(parseT5Config({})).toEqual(T5_CONFIG_DEFAULTS);
  });

  it('derives the activation from feed_forward_proj as T5Config does', () => {
    expect(parseT5Config({ feed_forward_proj: 'gated-gelu' })).toMatchObject({ dense_act_fn: 'gelu_new', is_gated_act: true });
    expect(parseT5Config({ feed_forward_proj: 'gelu' })).toMatchObject({ dense_act_fn: 'gelu', is_gated_act: false });
    expect(parseT5Config({ feed_forward_proj: 'gated-relu' })).toMatchObject({ dense_act_fn: 'relu', is_gated_act: true });
    // a file's own dense_act_fn / is_gated_act win (PretrainedConfig sets the JSON's fields last)
    expect(parseT5Config({ feed_forward_proj: 'gated-gelu', dense_act_fn: 'gelu' })).toMatchObject({ dense_act_fn: 'gelu', is_gated_act: true });
  });

  it('refuses what it cannot run, naming the field and file', () => {
    const bad = (json: object, message: RegExp): void => {
      expect(() => parseT5Config(json, 'x/config.json')).toThrow(ConfigError);
      expect(() => parseT5Config(json, 'x/config.json')).toThrow(message);
    };
    bad({ feed_forward_proj: 'gated-silu' }, /x\/config.json: the feed-forward activation "silu".*supported: relu, gelu, gelu_new/);
    bad({ feed_forward_proj: 'relu-gated' }, /feed_forward_proj "relu-gated" is not a valid activation/);
    bad({ feed_forward_proj: 'gated-gelu-x' }, /is not a valid activation/);
    bad({ model_type: 'umt5' }, /model_type "umt5" is not T5.*UMT5 learns a relative position bias in every block/);
    bad({ model_type: 'bert' }, /model_type "bert" is not T5/);
    bad({ num_layers: 100_000_000 }, /num_layers must be an integer from 0 to 256, got 100000000/);
    bad({ vocab_size: 1.5 }, /vocab_size must be an integer/);
    bad({ d_model: '4096' }, /d_model must be an integer/);
    bad({ relative_attention_num_buckets: 2 }, /relative_attention_num_buckets must be an integer from 4/);
    bad({ relative_attention_num_buckets: 32, relative_attention_max_distance: 8 }, /relative_attention_max_distance must be an integer from 9/);
    bad({ num_heads: 1024, d_kv: 1024 }, /num_heads \* d_kv \(1024 \* 1024\) must be at most 262144/);
    bad({ layer_norm_epsilon: 0 }, /layer_norm_epsilon must be a positive number/);
    bad({ is_gated_act: 'yes' }, /is_gated_act must be true or false/);
    expect(() => parseT5Config('{', 'x/config.json')).toThrow(/x\/config.json: not valid JSON/);
    expect(() => parseT5Config([], 'x/config.json')).toThrow(/expected a JSON object/);
  });

  it('accepts mT5', () => {
    expect(parseT5Config({ model_type: 'mt5', vocab_size: 250112, feed_forward_proj: 'gated-gelu' }).vocab_size).toBe(250112);
  });
});
