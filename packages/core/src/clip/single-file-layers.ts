import { CheckpointError } from '../checkpoint.js';
import { CLIP_TEXT_CONFIG_LIMITS, ConfigError } from './config.js';

/**
 * Whether a single file's text encoder holds every layer it must. Its depth is not stored, only its
 * tensors, so a file that lost its last layers would otherwise load as a shallower model. The
 * depth comes from the caller's `num_hidden_layers`, else the real encoder of that layout and width
 * (below); any other width must be given its depth. Every layer below it must have all of its
 * tensors; the first missing one is named.
 */

export interface EncoderFamily {
  model: string;
  layout: 'transformers' | 'open_clip';
  hidden: number;
  /** Layers (OpenCLIP resblocks) as stored in the single file. */
  layers: number;
}

/** The text encoders of Stable Diffusion, known by layout and hidden size. */
export const ENCODER_FAMILIES: readonly EncoderFamily[] = [
  { model: 'CLIP ViT-L/14 (SD 1.x, SDXL)', layout: 'transformers', hidden: 768, layers: 12 },
  { model: 'OpenCLIP ViT-H/14 (SD 2.x)', layout: 'open_clip', hidden: 1024, layers: 24 },
  { model: 'OpenCLIP ViT-bigG/14 (SDXL)', layout: 'open_clip', hidden: 1280, layers: 32 },
];

/** The tensors of one layer, under `encoder.layers.N.` (transformers) or `transformer.resblocks.N.` (OpenCLIP). */
export const LAYER_PARTS: Readonly<Record<EncoderFamily['layout'], readonly string[]>> = {
  transformers: ['q_proj', 'k_proj', 'v_proj', 'out_proj']
    .flatMap((p) => [`self_attn.${p}.weight`, `self_attn.${p}.bias`])
    .concat(['layer_norm1.weight', 'layer_norm1.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias', 'layer_norm2.weight', 'layer_norm2.bias']),
  open_clip: [
    'attn.in_proj_weight',
    'attn.in_proj_bias',
    'attn.out_proj.weight',
    'attn.out_proj.bias',
    'ln_1.weight',
    'ln_1.bias',
    'mlp.c_fc.weight',
    'mlp.c_fc.bias',
    'mlp.c_proj.weight',
    'mlp.c_proj.bias',
    'ln_2.weight',
    'ln_2.bias',
  ],
};

export interface EncoderDepth {
  /** Layers of the Hugging Face model (SD 2.x: without the dropped block). */
  layers: number;
  /** Why, for the message when one is missing. */
  reason: string;
}

/**
 * How many layers the model gets. `indices` are the layer numbers present in the file; `dropLast`
 * is SD 2.x's rule (the UNet was trained on the penultimate layer: diffusers keeps all but the last).
 */
export function encoderDepth(
  layout: EncoderFamily['layout'],
  hidden: number,
  indices: readonly number[],
  dropLast: boolean,
  where: string,
  override?: number,
): EncoderDepth {
  const highest = indices.reduce((a, b) => Math.max(a, b), -1);
  const limit = CLIP_TEXT_CONFIG_LIMITS.num_hidden_layers!;
  if (highest > limit) throw new CheckpointError(`${where}: text encoder layer ${highest}: more than the ${limit} layers a CLIP text model may have`);
  if (override !== undefined && !(Number.isInteger(override) && override >= 0 && override <= limit)) {
    throw new ConfigError(`${where}: num_hidden_layers must be an integer from 0 to ${limit}, got ${JSON.stringify(override)}`);
  }
  if (override !== undefined) return { layers: override, reason: `num_hidden_layers is ${override} (the config given)` };
  const dropped = dropLast ? 1 : 0;
  const family = ENCODER_FAMILIES.find((f) => f.layout === layout && f.hidden === hidden);
  if (family) {
    const kept = family.layers - dropped;
    return { layers: kept, reason: `the ${family.model} text encoder (hidden size ${hidden}) has ${family.layers} layers${dropped ? `, of which the model keeps ${kept}` : ''}` };
  }
  // Any other width is no Stable Diffusion encoder (test models, experiments): the file cannot say
  // how deep it is, and a lost top layer would load as a shallower model. The caller must say.
  const known = ENCODER_FAMILIES.map((f) => `${f.model}: ${f.hidden}`).join('; ');
  throw new ConfigError(
    `${where}: a ${hidden}-wide text encoder is none of Stable Diffusion's (${known}), so the file cannot tell how many layers it must have ` +
      `(layer ${highest} is the highest present): give num_hidden_layers in the text encoder config (textEncoderConfig, or sdtext --text-encoder-config)`,
  );
}

/** Throws, naming the first missing key, unless layers 0 to `depth.layers - 1` have every part. */
export function checkLayersComplete(
  has: (name: string) => boolean,
  keyOf: (layer: number, part: string) => string,
  layout: EncoderFamily['layout'],
  depth: EncoderDepth,
  where: string,
): void {
  const missing: string[] = [];
  for (let layer = 0; layer < depth.layers; layer++) {
    for (const part of LAYER_PARTS[layout]) if (!has(keyOf(layer, part))) missing.push(keyOf(layer, part));
  }
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` and ${missing.length - 1} more` : '';
    throw new CheckpointError(`${where}: missing key "${missing[0]}"${more}: ${depth.reason}`);
  }
}

/** The layer numbers present among `names` (as `pattern`'s first group). */
export function layerIndices(names: readonly string[], pattern: RegExp): number[] {
  const found = new Set<number>();
  for (const name of names) {
    const m = pattern.exec(name);
    if (m) found.add(Number(m[1]));
  }
  return [...found];
}
