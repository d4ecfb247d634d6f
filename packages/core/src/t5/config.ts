import { ConfigError } from '../config-error.js';

/**
 * The T5 encoder's hyperparameters with Hugging Face's field names (T5Config), so a `config.json`
 * reads straight in. Only what T5EncoderModel's forward pass needs; other fields are ignored.
 */
export interface T5Config {
  /** Rows of `shared` (the token embedding); ids must be in [0, vocab_size). 32128 for T5 v1.1. */
  vocab_size: number;
  /** Width of the residual stream. 4096 for T5-XXL. */
  d_model: number;
  /** Width of one attention head's query, key and value (need not be d_model / num_heads). */
  d_kv: number;
  /** Width of the feed-forward's hidden layer. 10240 for T5-XXL (v1.1). */
  d_ff: number;
  /** Number of T5Blocks in the encoder. */
  num_layers: number;
  /** Attention heads per block. */
  num_heads: number;
  /** Buckets of the relative position bias (learned in block 0, shared by all blocks). */
  relative_attention_num_buckets: number;
  /** Relative distance from which every position falls in the last bucket. */
  relative_attention_max_distance: number;
  /** T5LayerNorm's epsilon, added to the mean square inside the square root. */
  layer_norm_epsilon: number;
  /** "relu" (original T5), "gated-gelu" (v1.1, Flan, SD3/Flux's XXL), or "[gated-]<act>". */
  feed_forward_proj: string;
  /** The feed-forward's activation (ACT2FN key): from feed_forward_proj ("gated-gelu" means gelu_new). */
  dense_act_fn: T5Activation;
  /** Gated feed-forward: act(wi_0 x) * wi_1 x, then wo (T5DenseGatedActDense); else wo(act(wi x)). */
  is_gated_act: boolean;
}

/** The activations T5's feed-forward can use here: ACT2FN's relu, gelu (exact erf) and gelu_new (tanh approximation). */
export type T5Activation = 'relu' | 'gelu' | 'gelu_new';
const T5_ACTIVATIONS: readonly T5Activation[] = ['relu', 'gelu', 'gelu_new'];

/** Hugging Face's T5Config defaults (transformers 4.36, t5-small's shape), for fields a file leaves out. */
export const T5_CONFIG_DEFAULTS: Readonly<T5Config> = Object.freeze({
  vocab_size: 32128,
  d_model: 512,
  d_kv: 64,
  d_ff: 2048,
  num_layers: 6,
  num_heads: 8,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  layer_norm_epsilon: 1e-6,
  feed_forward_proj: 'relu',
  dense_act_fn: 'relu',
  is_gated_act: false,
});

/** google/t5-v1_1-xxl's encoder as SD3 (`text_encoder_3`) and Flux (`text_encoder_2`) ship it. */
export const T5_XXL_CONFIG: Readonly<T5Config> = Object.freeze({
  vocab_size: 32128,
  d_model: 4096,
  d_kv: 64,
  d_ff: 10240,
  num_layers: 24,
  num_heads: 64,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  layer_norm_epsilon: 1e-6,
  feed_forward_proj: 'gated-gelu',
  dense_act_fn: 'gelu_new',
  is_gated_act: true,
});

/**
 * Upper bounds, checked before anything is allocated, far above any T5 (t5-11b: d_ff 65536,
 * 128 heads of 128; XXL: 24 layers of 4096): a hostile config.json fails here.
 */
export const T5_CONFIG_LIMITS: Readonly<Record<'vocab_size' | 'd_model' | 'd_kv' | 'd_ff' | 'num_layers' | 'num_heads' | 'relative_attention_num_buckets' | 'relative_attention_max_distance', number>> =
  Object.freeze({
    vocab_size: 2_097_152,
    d_model: 16_384,
    d_kv: 16_384,
    d_ff: 262_144,
    num_layers: 256,
    num_heads: 1_024,
    relative_attention_num_buckets: 1_024,
    relative_attention_max_distance: 1_048_576,
  });

/** num_heads * d_kv, the attention's inner width, at most this (t5-11b: 16384). */
export const T5_MAX_INNER_DIM = 262_144;

/** Model types with T5's encoder (mT5 is T5 v1.1 with a larger vocabulary). */
const T5_MODEL_TYPES = ['t5', 'mt5'];

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a T5Config from a parsed (or raw text) `config.json`. Missing fields take HF's defaults;
 * present fields are checked, and an error names the field and `source`. As in HF, the activation
 * and gating come from feed_forward_proj ("gated-gelu" -> gelu_new, gated), and a file's own
 * `dense_act_fn` / `is_gated_act` override them (PretrainedConfig sets its kwargs last).
 */
export function parseT5Config(json: unknown, source = 'config'): T5Config {
  let raw: unknown = json;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (e) {
      throw new ConfigError(`${source}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const obj = raw;

  const modelType = obj['model_type'];
  if (modelType !== undefined && !T5_MODEL_TYPES.includes(String(modelType))) {
    const why = modelType === 'umt5' ? ' (UMT5 learns a relative position bias in every block; only T5 shares block 0\'s)' : '';
    throw new ConfigError(`${source}: model_type ${JSON.stringify(modelType)} is not T5 (expected ${T5_MODEL_TYPES.map((t) => `"${t}"`).join(' or ')})${why}`);
  }

  const int = (field: keyof typeof T5_CONFIG_LIMITS, min: number): number => {
    const v = obj[field] ?? T5_CONFIG_DEFAULTS[field];
    const max = T5_CONFIG_LIMITS[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${source}: ${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const vocab_size = int('vocab_size', 1);
  const d_model = int('d_model', 1);
  const d_kv = int('d_kv', 1);
  const d_ff = int('d_ff', 1);
  const num_layers = int('num_layers', 0);
  const num_heads = int('num_heads', 1);
  // The encoder's buckets are bidirectional: half per direction, half of those exact, so at least 4
  // (an exact bucket per direction) and max_distance past the exact range, or the log is degenerate.
  const relative_attention_num_buckets = int('relative_attention_num_buckets', 4);
  const maxExact = Math.floor(Math.floor(relative_attention_num_buckets / 2) / 2);
  const relative_attention_max_distance = int('relative_attention_max_distance', maxExact + 1);
  if (num_heads * d_kv > T5_MAX_INNER_DIM) {
    throw new ConfigError(`${source}: num_heads * d_kv (${num_heads} * ${d_kv}) must be at most ${T5_MAX_INNER_DIM}`);
  }

  const eps = obj['layer_norm_epsilon'] ?? T5_CONFIG_DEFAULTS.layer_norm_epsilon;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
    throw new ConfigError(`${source}: layer_norm_epsilon must be a positive number, got ${JSON.stringify(eps)}`);
  }

  // configuration_t5.py: act_info = feed_forward_proj.split("-"); dense_act_fn = act_info[-1]; gated if act_info[0] == "gated".
  const proj = obj['feed_forward_proj'] ?? T5_CONFIG_DEFAULTS.feed_forward_proj;
  if (typeof proj !== 'string') throw new ConfigError(`${source}: feed_forward_proj must be a string, got ${JSON.stringify(proj)}`);
  const parts = proj.split('-');
  if ((parts.length > 1 && parts[0] !== 'gated') || parts.length > 2) {
    throw new ConfigError(`${source}: feed_forward_proj ${JSON.stringify(proj)} is not a valid activation; use "gated-{ACT_FN}" or "{ACT_FN}", e.g. "gated-gelu" or "relu"`);
  }
  let act: unknown = proj === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1];
  let gated: unknown = parts[0] === 'gated';
  if (obj['dense_act_fn'] !== undefined) act = obj['dense_act_fn'];
  if (obj['is_gated_act'] !== undefined) gated = obj['is_gated_act'];
  if (typeof act !== 'string' || !(T5_ACTIVATIONS as readonly string[]).includes(act)) {
    throw new ConfigError(`${source}: the feed-forward activation ${JSON.stringify(act)} (from feed_forward_proj / dense_act_fn) is not supported; supported: ${T5_ACTIVATIONS.join(', ')}`);
  }
  if (typeof gated !== 'boolean') throw new ConfigError(`${source}: is_gated_act must be true or false, got ${JSON.stringify(gated)}`);

  return {
    vocab_size,
    d_model,
    d_kv,
    d_ff,
    num_layers,
    num_heads,
    relative_attention_num_buckets,
    relative_attention_max_distance,
    layer_norm_epsilon: eps,
    feed_forward_proj: proj,
    dense_act_fn: act as T5Activation,
    is_gated_act: gated,
  };
}
