import { CheckpointError } from '../checkpoint.js';
import { parseCLIPTextConfig, type CLIPTextConfig } from '../clip/config.js';

/** Which CLIP of SD3 / Flux a lone file holds: OpenAI's CLIP-L (quick_gelu) or OpenCLIP's bigG (gelu). */
export type LoneClipKind = 'clip_l' | 'clip_g';

export interface LoneClipPlan {
  /** config.json for the file, from its shapes (and `overrides`). */
  config: CLIPTextConfig;
  /** CLIP-G keeps its text_projection (SD3's pooled output is projected); CLIP-L's is not used. */
  withProjection: boolean;
  /** Stored keys the model does not load. */
  ignoreKeys: string[];
}

/**
 * A transformers CLIP text model kept alone in one file without its config (ComfyUI's
 * clip_l.safetensors / clip_g.safetensors, or one taken out of an SD3 single file): the config its
 * shapes tell (heads are 64 wide, as in every CLIP; pooling at argmax, eos_token_id 2, as both
 * configs have it; the activation by kind, which no shape tells), overridden by `overrides`.
 * CLIP-L's `text_projection.weight`, where a file has one, is left out: diffusers' single-file
 * loader gives SD3's CLIP-L an identity projection and ComfyUI takes its unprojected pooled output.
 */
export function planLoneClipFile(
  tensors: readonly { name: string; shape: readonly number[] }[],
  kind: LoneClipKind,
  where: string,
  overrides: Partial<CLIPTextConfig> = {},
): LoneClipPlan {
  const shapeOf = new Map(tensors.map((t) => [t.name, t.shape]));
  const need = (key: string): readonly number[] => {
    const shape = shapeOf.get(key);
    if (!shape) throw new CheckpointError(`${where}: no "${key}": not a transformers CLIP text model file (${kind})`);
    return shape;
  };
  const [vocab, hidden] = need('text_model.embeddings.token_embedding.weight') as [number, number];
  let layers = 0;
  for (const name of shapeOf.keys()) {
    const m = /^text_model\.encoder\.layers\.(\d+)\./.exec(name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (layers === 0) throw new CheckpointError(`${where}: no text_model.encoder.layers.* keys (${kind})`);
  const projection = shapeOf.get('text_projection.weight');
  const withProjection = kind === 'clip_g' && projection !== undefined;
  const config = parseCLIPTextConfig(
    {
      vocab_size: vocab,
      hidden_size: hidden,
      intermediate_size: need('text_model.encoder.layers.0.mlp.fc1.weight')[0],
      num_hidden_layers: layers,
      num_attention_heads: Math.max(1, Math.floor(hidden / 64)),
      max_position_embeddings: need('text_model.embeddings.position_embedding.weight')[0],
      hidden_act: kind === 'clip_l' ? 'quick_gelu' : 'gelu',
      projection_dim: withProjection ? projection[0] : hidden,
      eos_token_id: 2,
      bos_token_id: 0,
      pad_token_id: 1,
      ...overrides,
    },
    `${where} (${kind} config from its shapes)`,
  );
  const ignoreKeys = ['text_model.embeddings.position_ids', 'logit_scale', ...(withProjection ? [] : ['text_projection.weight'])].filter((k) => shapeOf.has(k));
  return { config, withProjection, ignoreKeys };
}
