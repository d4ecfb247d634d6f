import { describe, expect, it } from 'vitest';
import { ConfigError, SD1_TEXT_CONFIG, SD2_TEXT_CONFIG, parseCLIPTextConfig } from '../src/index.js';

const sd2Json = {
  architectures: ['CLIPTextModel'],
  attention_dropout: 0.0,
  bos_token_id: 0,
  dropout: 0.0,
  eos_token_id: 2,
  hidden_act: 'gelu',
  hidden_size: 1024,
  initializer_factor: 1.0,
  initializer_range: 0.02,
  intermediate_size: 4096,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 77,
  model_type: 'clip_text_model',
  num_attention_heads: 16,
  num_hidden_layers: 23,
  pad_token_id: 1,
  projection_dim: 512,
  torch_dtype: 'float32',
  vocab_size: 49408,
};

describe('CLIPTextConfig', () => {
  it('reads a text model config.json (object or text)', () => {
    expect(parseCLIPTextConfig(sd2Json)).toEqual(SD2_TEXT_CONFIG);
    expect(parseCLIPTextConfig(JSON.stringify(sd2Json))).toEqual(SD2_TEXT_CONFIG);
  });

  it('reads text_config of a full CLIP config', () => {
    const { hidden_act: _act, ...rest } = SD1_TEXT_CONFIG;
    // transformers' defaults fill in what the file leaves out (quick_gelu here).
    expect(parseCLIPTextConfig({ model_type: 'clip', projection_dim: 768, text_config: rest, vision_config: {} })).toEqual(SD1_TEXT_CONFIG);
  });

  const bad: [Record<string, unknown>, string][] = [
    [{ hidden_size: 'big' }, 'cfg.json: hidden_size must be an integer from 1 to 16384, got "big"'],
    [{ num_hidden_layers: 1.5 }, 'cfg.json: num_hidden_layers must be an integer from 0 to 256, got 1.5'],
    [{ hidden_act: 'relu' }, 'cfg.json: hidden_act must be one of "gelu", "quick_gelu", got "relu"'],
    [{ layer_norm_eps: 0 }, 'cfg.json: layer_norm_eps must be a positive number, got 0'],
    [{ num_attention_heads: 5 }, 'cfg.json: hidden_size (1024) must be divisible by num_attention_heads (5)'],
    [{ eos_token_id: -1 }, 'cfg.json: eos_token_id must be an integer from 0 to 2147483647, got -1'],
    // Bounds come before any allocation: a hostile config fails here, not after building 1e8 layers.
    [{ num_hidden_layers: 100000000 }, 'cfg.json: num_hidden_layers must be an integer from 0 to 256, got 100000000'],
    [{ vocab_size: 1e12 }, 'cfg.json: vocab_size must be an integer from 1 to 2097152, got 1000000000000'],
    [{ max_position_embeddings: 50000000 }, 'cfg.json: max_position_embeddings must be an integer from 1 to 16384, got 50000000'],
  ];
  for (const [change, message] of bad) {
    it(`names the field: ${Object.keys(change)[0]}`, () => {
      expect(() => parseCLIPTextConfig({ ...sd2Json, ...change }, 'cfg.json')).toThrow(new ConfigError(message));
    });
  }

  it('rejects non-objects and bad JSON', () => {
    expect(() => parseCLIPTextConfig('{', 'c.json')).toThrow(/c\.json: not valid JSON/);
    expect(() => parseCLIPTextConfig([], 'c.json')).toThrow('c.json: expected a JSON object');
    expect(() => parseCLIPTextConfig({ text_config: { vocab_size: 0 } }, 'c.json')).toThrow('c.json (text_config): vocab_size must be an integer from 1 to 2097152, got 0');
  });
});
