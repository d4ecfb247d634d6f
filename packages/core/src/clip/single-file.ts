import { CheckpointError } from '../checkpoint.js';
import { parseCLIPTextConfig, type CLIPTextConfig, type HiddenAct } from './config.js';
import type { TextEncoderName } from './lora.js';
import { checkLayersComplete, encoderDepth, layerIndices } from './single-file-layers.js';

/**
 * Single-file Stable Diffusion checkpoints (A1111 / ComfyUI / civitai `.safetensors`, and the older
 * `.ckpt`, read by single-file-source.ts): where each
 * text encoder sits, and how its tensors become Hugging Face's keys, as diffusers'
 * `from_single_file` converts them (`convert_ldm_clip_checkpoint`, `convert_open_clip_checkpoint`):
 *
 * - SD 1.x `cond_stage_model.transformer.*` and SDXL `conditioner.embedders.0.transformer.*`: a
 *   transformers CLIPTextModel under a prefix (stripped);
 * - SD 2.x `cond_stage_model.model.*` and SDXL `conditioner.embedders.1.model.*`: OpenCLIP. Its
 *   `in_proj_weight` / `in_proj_bias` split into q/k/v by rows, `out_proj`, `ln_1`/`ln_2` ->
 *   `layer_norm1`/`layer_norm2`, `mlp.c_fc`/`c_proj` -> `fc1`/`fc2`, `token_embedding`,
 *   `positional_embedding`, `ln_final` -> `final_layer_norm`, `text_projection` transposed (SDXL's
 *   CLIPTextModelWithProjection). SD 2.x drops the last resblock (diffusers' config has 23 of 24
 *   layers: the UNet was trained on the penultimate layer) and its projection.
 *
 * Nothing but the tensor names and shapes is needed to plan (a safetensors header, a .ckpt's pickle);
 * the reader then reads these tensors only.
 */

export type SingleFileKind = 'sd1' | 'sd2' | 'sdxl';

export interface SingleFileEncoder {
  name: TextEncoderName;
  layout: 'transformers' | 'open_clip';
  prefix: string;
  /** SD 2.x: the last resblock is not part of the HF model. */
  dropLastLayer: boolean;
  withProjection: boolean;
}

/** How one Hugging Face weight is made from a stored tensor: as is, some of its rows, or transposed. */
export interface WeightRecipe {
  source: string;
  rows?: { start: number; count: number };
  transpose?: boolean;
}

export interface SingleFilePlan {
  config: CLIPTextConfig;
  withProjection: boolean;
  /** HF key -> recipe, for every weight the model loads. */
  recipes: Map<string, WeightRecipe>;
  /** Stored tensors (full names) the recipes read, with the shape each must have. */
  sources: Map<string, number[]>;
}

/** Which single-file kind a checkpoint's tensor names are, and its text encoders. */
export function detectSingleFile(names: readonly string[], where: string): { kind: SingleFileKind; encoders: SingleFileEncoder[] } {
  const has = (prefix: string): boolean => names.some((n) => n.startsWith(prefix));
  if (has('conditioner.embedders.0.transformer.') && has('conditioner.embedders.1.model.')) {
    return {
      kind: 'sdxl',
      encoders: [
        { name: 'text_encoder', layout: 'transformers', prefix: 'conditioner.embedders.0.transformer.', dropLastLayer: false, withProjection: false },
        { name: 'text_encoder_2', layout: 'open_clip', prefix: 'conditioner.embedders.1.model.', dropLastLayer: false, withProjection: true },
      ],
    };
  }
  if (has('cond_stage_model.transformer.')) {
    return { kind: 'sd1', encoders: [{ name: 'text_encoder', layout: 'transformers', prefix: 'cond_stage_model.transformer.', dropLastLayer: false, withProjection: false }] };
  }
  if (has('cond_stage_model.model.')) {
    return { kind: 'sd2', encoders: [{ name: 'text_encoder', layout: 'open_clip', prefix: 'cond_stage_model.model.', dropLastLayer: true, withProjection: false }] };
  }
  if (has('conditioner.embedders.0.model.')) {
    throw new CheckpointError(`${where}: an SDXL refiner checkpoint (one OpenCLIP encoder, conditioner.embedders.0.model.*): refiners are not supported`);
  }
  if (has('text_model.')) {
    throw new CheckpointError(`${where}: holds text_model.* keys: a transformers CLIPTextModel file, not a single-file Stable Diffusion checkpoint; put it in a folder with its config.json`);
  }
  throw new CheckpointError(
    `${where}: no text encoder found: expected cond_stage_model.transformer.* (SD 1.x), cond_stage_model.model.* (SD 2.x) or conditioner.embedders.* (SDXL) keys`,
  );
}

const OPEN_CLIP_LAYER: [RegExp, string][] = [
  [/^attn\.out_proj\.(weight|bias)$/, 'self_attn.out_proj.$1'],
  [/^ln_1\.(weight|bias)$/, 'layer_norm1.$1'],
  [/^ln_2\.(weight|bias)$/, 'layer_norm2.$1'],
  [/^mlp\.c_fc\.(weight|bias)$/, 'mlp.fc1.$1'],
  [/^mlp\.c_proj\.(weight|bias)$/, 'mlp.fc2.$1'],
];

/**
 * The plan for one text encoder of a single-file checkpoint: its config (from the tensors' shapes;
 * attention heads hidden_size / 64 as in every CLIP, unless `config` says), and a recipe for every
 * HF key. Keys under the encoder's prefix that map to nothing are an error naming them (buffers
 * such as position_ids and logit_scale, and SD 2.x's dropped layer, are skipped).
 */
export function planSingleFile(
  tensors: readonly { name: string; shape: number[] }[],
  encoder: SingleFileEncoder,
  where: string,
  configOverrides: Partial<CLIPTextConfig> = {},
): SingleFilePlan {
  const { prefix } = encoder;
  const own = tensors.filter((t) => t.name.startsWith(prefix));
  const shapeOf = new Map(own.map((t) => [t.name, t.shape]));
  const recipes = new Map<string, WeightRecipe>();
  const unexpected: string[] = [];
  const need = (name: string): number[] => {
    const shape = shapeOf.get(prefix + name);
    if (!shape) throw new CheckpointError(`${where}: missing key "${prefix}${name}"`);
    return shape;
  };
  let config: CLIPTextConfig;

  if (encoder.layout === 'transformers') {
    const hfKey = (name: string): string => {
      const rest = name.slice(prefix.length);
      return rest.startsWith('text_model.') ? rest : `text_model.${rest}`; // older files lack the text_model level
    };
    for (const t of own) {
      const key = hfKey(t.name);
      if (key === 'text_model.embeddings.position_ids') continue;
      recipes.set(key, { source: t.name });
    }
    const sourceOf = (key: string): number[] => {
      const r = recipes.get(key);
      if (!r) throw new CheckpointError(`${where}: missing key "${prefix}${key}"`);
      return shapeOf.get(r.source)!;
    };
    const [vocab, hidden] = sourceOf('text_model.embeddings.token_embedding.weight') as [number, number];
    const layerOf = /^text_model\.encoder\.layers\.(\d+)\./;
    const depth = encoderDepth('transformers', hidden, layerIndices([...recipes.keys()], layerOf), false, where, configOverrides.num_hidden_layers);
    const stored = recipes.get('text_model.embeddings.token_embedding.weight')!.source.slice(prefix.length).startsWith('text_model.') ? 'text_model.' : '';
    checkLayersComplete(
      (name) => shapeOf.has(name),
      (layer, part) => `${prefix}${stored}encoder.layers.${layer}.${part}`,
      'transformers',
      depth,
      where,
    );
    for (const [key, r] of recipes) if (Number(layerOf.exec(key)?.[1] ?? -1) >= depth.layers) unexpected.push(r.source);
    config = configFromShapes(where, configOverrides, {
      vocab,
      hidden,
      inner: sourceOf('text_model.encoder.layers.0.mlp.fc1.weight')[0]!,
      layers: depth.layers,
      positions: sourceOf('text_model.embeddings.position_embedding.weight')[0]!,
      act: 'quick_gelu',
      projection: hidden,
    });
  } else {
    const [vocab, hidden] = need('token_embedding.weight') as [number, number];
    const blockOf = /^transformer\.resblocks\.(\d+)\./;
    const blocks = layerIndices(
      own.map((t) => t.name.slice(prefix.length)),
      blockOf,
    );
    const depth = encoderDepth('open_clip', hidden, blocks, encoder.dropLastLayer, where, configOverrides.num_hidden_layers);
    const kept = depth.layers;
    checkLayersComplete(
      (name) => shapeOf.has(name),
      (layer, part) => `${prefix}transformer.resblocks.${layer}.${part}`,
      'open_clip',
      depth,
      where,
    );
    recipes.set('text_model.embeddings.token_embedding.weight', { source: `${prefix}token_embedding.weight` });
    recipes.set('text_model.embeddings.position_embedding.weight', { source: `${prefix}positional_embedding` });
    recipes.set('text_model.final_layer_norm.weight', { source: `${prefix}ln_final.weight` });
    recipes.set('text_model.final_layer_norm.bias', { source: `${prefix}ln_final.bias` });
    if (encoder.withProjection) recipes.set('text_projection.weight', { source: `${prefix}text_projection`, transpose: true });
    const skip = new Set([`${prefix}logit_scale`, `${prefix}attn_mask`, ...(encoder.withProjection ? [] : [`${prefix}text_projection`])]);
    for (const t of own) {
      const rest = t.name.slice(prefix.length);
      const m = /^transformer\.resblocks\.(\d+)\.(.+)$/.exec(rest);
      if (!m) {
        if (![...recipes.values()].some((r) => r.source === t.name) && !skip.has(t.name)) unexpected.push(t.name);
        continue;
      }
      const layer = Number(m[1]);
      if (encoder.dropLastLayer && layer === kept) continue; // SD 2.x's dropped last block
      if (layer >= kept) {
        unexpected.push(t.name);
        continue;
      }
      const to = `text_model.encoder.layers.${layer}.`;
      const part = m[2]!;
      if (part === 'attn.in_proj_weight' || part === 'attn.in_proj_bias') {
        const kind = part.endsWith('weight') ? 'weight' : 'bias';
        ['q_proj', 'k_proj', 'v_proj'].forEach((proj, i) => recipes.set(`${to}self_attn.${proj}.${kind}`, { source: t.name, rows: { start: i * hidden, count: hidden } }));
        continue;
      }
      const mapped = OPEN_CLIP_LAYER.find(([re]) => re.test(part));
      if (!mapped) {
        unexpected.push(t.name);
        continue;
      }
      recipes.set(to + part.replace(mapped[0], mapped[1]), { source: t.name });
    }
    config = configFromShapes(where, configOverrides, {
      vocab,
      hidden,
      inner: need('transformer.resblocks.0.mlp.c_fc.weight')[0]!,
      layers: kept,
      positions: need('positional_embedding')[0]!,
      act: 'gelu',
      projection: shapeOf.get(`${prefix}text_projection`)?.[1] ?? hidden,
    });
  }
  if (unexpected.length > 0) {
    throw new CheckpointError(`${where}: unexpected text encoder key${unexpected.length > 1 ? 's' : ''} ${unexpected.slice(0, 10).map((k) => `"${k}"`).join(', ')}`);
  }
  // The shape each stored tensor must have, from the HF shapes the recipes make.
  const sources = new Map<string, number[]>();
  const h = config.hidden_size;
  for (const [, r] of recipes) {
    const stored = shapeOf.get(r.source);
    if (!stored) throw new CheckpointError(`${where}: missing key "${r.source}"`);
    sources.set(r.source, stored);
    if (r.rows && stored[0] !== 3 * h) {
      throw new CheckpointError(`${where}: "${r.source}" is [${stored.join(', ')}], expected [${[3 * h, ...stored.slice(1)].join(', ')}]`);
    }
  }
  return { config, withProjection: encoder.withProjection, recipes, sources };
}

/** The HF shape a recipe makes from its stored shape. */
export function recipeShape(recipe: WeightRecipe, stored: readonly number[]): number[] {
  if (recipe.rows) return [recipe.rows.count, ...stored.slice(1)];
  if (recipe.transpose) return [...stored].reverse();
  return [...stored];
}

/** Applies a recipe to the stored tensor's float32 data. */
export function applyRecipe(recipe: WeightRecipe, stored: readonly number[], data: Float32Array): Float32Array {
  if (recipe.rows) {
    const rowSize = stored.slice(1).reduce((a, b) => a * b, 1);
    return data.slice(recipe.rows.start * rowSize, (recipe.rows.start + recipe.rows.count) * rowSize);
  }
  if (recipe.transpose) {
    if (stored.length !== 2) throw new CheckpointError(`cannot transpose a tensor of shape [${stored.join(', ')}]`);
    const [r, c] = stored as [number, number];
    const out = new Float32Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = data[i * c + j]!;
    return out;
  }
  return data;
}

/**
 * The text encoder's config from what a single file's shapes tell (SD's heads are 64 wide; the
 * legacy eos_token_id 2 pools at argmax, as SD's configs do), overridden by what the caller knows.
 */
function configFromShapes(
  where: string,
  overrides: Partial<CLIPTextConfig>,
  s: { vocab: number; hidden: number; inner: number; layers: number; positions: number; act: HiddenAct; projection: number },
): CLIPTextConfig {
  return parseCLIPTextConfig(
    {
      vocab_size: s.vocab,
      hidden_size: s.hidden,
      intermediate_size: s.inner,
      num_hidden_layers: s.layers,
      num_attention_heads: Math.max(1, Math.floor(s.hidden / 64)),
      max_position_embeddings: s.positions,
      hidden_act: s.act,
      projection_dim: s.projection,
      eos_token_id: 2,
      bos_token_id: 0,
      pad_token_id: 1,
      ...overrides,
    },
    `${where} (text encoder config from its shapes)`,
  );
}
