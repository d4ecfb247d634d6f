import { ConfigError } from '../config-error.js';

/**
 * The CLIP text model's hyperparameters, with Hugging Face's field names so a `config.json` reads
 * straight in. Only what the forward pass needs is here; other fields of the file are ignored.
 */
export interface CLIPTextConfig {
  /** Token embedding rows; ids must be in [0, vocab_size). 49408 for CLIP. */
  vocab_size: number;
  /** Width of the residual stream (H). 768 for SD1, 1024 for SD2. */
  hidden_size: number;
  /** Width of the MLP's hidden layer. 4 * hidden_size for CLIP. */
  intermediate_size: number;
  /** Number of CLIPEncoderLayers. */
  num_hidden_layers: number;
  /** Attention heads per layer; must divide hidden_size. */
  num_attention_heads: number;
  /** Positions the model knows (77): the longest sequence it accepts. */
  max_position_embeddings: number;
  /** MLP activation: 'gelu' (exact erf form) or 'quick_gelu' (x * sigmoid(1.702 x), OpenAI CLIP). */
  hidden_act: HiddenAct;
  /** LayerNorm epsilon, added to the variance inside the square root. */
  layer_norm_eps: number;
  /** Output width of text_projection (CLIPTextModelWithProjection only). */
  projection_dim: number;
  /** Pooling rule: 2 (the old default) pools at argmax(input_ids); anything else at its first occurrence. */
  eos_token_id: number;
  /** Carried through for completeness; the forward pass does not use them. */
  bos_token_id: number;
  pad_token_id: number;
}

export type HiddenAct = 'gelu' | 'quick_gelu';
const HIDDEN_ACTS: readonly HiddenAct[] = ['gelu', 'quick_gelu'];

/** Hugging Face's CLIPTextConfig defaults (transformers 4.36), used for fields a file leaves out. */
export const CLIP_TEXT_CONFIG_DEFAULTS: Readonly<CLIPTextConfig> = Object.freeze({
  vocab_size: 49408,
  hidden_size: 512,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  projection_dim: 512,
  eos_token_id: 49407,
  bos_token_id: 49406,
  pad_token_id: 1,
});

/** stabilityai/stable-diffusion-2(-base) `text_encoder/config.json` (OpenCLIP ViT-H/14 text tower, 23 of 24 layers). */
export const SD2_TEXT_CONFIG: Readonly<CLIPTextConfig> = Object.freeze({
  vocab_size: 49408,
  hidden_size: 1024,
  intermediate_size: 4096,
  num_hidden_layers: 23,
  num_attention_heads: 16,
  max_position_embeddings: 77,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-5,
  projection_dim: 512,
  eos_token_id: 2,
  bos_token_id: 0,
  pad_token_id: 1,
});

/** openai/clip-vit-large-patch14 `text_config`: the SD 1.x text encoder. */
export const SD1_TEXT_CONFIG: Readonly<CLIPTextConfig> = Object.freeze({
  vocab_size: 49408,
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  projection_dim: 768,
  eos_token_id: 2,
  bos_token_id: 0,
  pad_token_id: 1,
});

export { ConfigError };

/**
 * Upper bounds, checked before anything is allocated: a hostile or broken config.json
 * (`num_hidden_layers: 100000000`) must fail here, not after gigabytes of module objects. Each is
 * far above any CLIP text model (SD2: 23 layers, 1024 wide, 77 positions, vocabulary 49408).
 */
export const CLIP_TEXT_CONFIG_LIMITS: Readonly<Partial<Record<keyof CLIPTextConfig, number>>> = Object.freeze({
  vocab_size: 2_097_152,
  hidden_size: 16_384,
  intermediate_size: 65_536,
  num_hidden_layers: 256,
  num_attention_heads: 1_024,
  max_position_embeddings: 16_384,
  projection_dim: 16_384,
  eos_token_id: 2_147_483_647,
  bos_token_id: 2_147_483_647,
  pad_token_id: 2_147_483_647,
});

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a CLIPTextConfig from a parsed (or raw text) `config.json`: a text model's config, or a
 * full CLIPModel config whose `text_config` is used. Missing fields take HF's defaults; present
 * fields are checked, and an error names the field (and `source`, e.g. the file).
 */
export function parseCLIPTextConfig(json: unknown, source = 'config'): CLIPTextConfig {
  let raw: unknown = json;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (e) {
      throw new ConfigError(`${source}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  let where = source;
  if (raw['text_config'] !== undefined) {
    // A full CLIP config (model_type "clip"): the text tower's settings live under text_config.
    if (!isObject(raw['text_config'])) throw new ConfigError(`${source}: text_config must be an object`);
    raw = raw['text_config'];
    where = `${source} (text_config)`;
  }
  const obj = raw as JsonObject;

  const int = (field: keyof CLIPTextConfig, min: number): number => {
    const v = obj[field] ?? CLIP_TEXT_CONFIG_DEFAULTS[field];
    const max = CLIP_TEXT_CONFIG_LIMITS[field] ?? Number.MAX_SAFE_INTEGER;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${where}: ${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  };

  const config: CLIPTextConfig = {
    vocab_size: int('vocab_size', 1),
    hidden_size: int('hidden_size', 1),
    intermediate_size: int('intermediate_size', 1),
    num_hidden_layers: int('num_hidden_layers', 0),
    num_attention_heads: int('num_attention_heads', 1),
    max_position_embeddings: int('max_position_embeddings', 1),
    hidden_act: CLIP_TEXT_CONFIG_DEFAULTS.hidden_act,
    layer_norm_eps: CLIP_TEXT_CONFIG_DEFAULTS.layer_norm_eps,
    projection_dim: int('projection_dim', 1),
    eos_token_id: int('eos_token_id', 0),
    bos_token_id: int('bos_token_id', 0),
    pad_token_id: int('pad_token_id', 0),
  };

  const act = obj['hidden_act'] ?? CLIP_TEXT_CONFIG_DEFAULTS.hidden_act;
  if (typeof act !== 'string' || !(HIDDEN_ACTS as readonly string[]).includes(act)) {
    throw new ConfigError(
      `${where}: hidden_act must be one of ${HIDDEN_ACTS.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(act)}`,
    );
  }
  config.hidden_act = act as HiddenAct;

  const eps = obj['layer_norm_eps'] ?? CLIP_TEXT_CONFIG_DEFAULTS.layer_norm_eps;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
    throw new ConfigError(`${where}: layer_norm_eps must be a positive number, got ${JSON.stringify(eps)}`);
  }
  config.layer_norm_eps = eps;

  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new ConfigError(
      `${where}: hidden_size (${config.hidden_size}) must be divisible by num_attention_heads (${config.num_attention_heads})`,
    );
  }
  return config;
}

/** Whether `json` is a full CLIPModel config (text + vision), not a text model's own. */
export function isFullCLIPConfig(json: unknown): boolean {
  return isObject(json) && json['text_config'] !== undefined;
}
