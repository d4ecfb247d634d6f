import { loadSafetensorsHeader, parseCLIPTextConfig, planLoneClipFile, sd3TextEncodersIn, SD3_TEXT_ENCODER_PREFIXES, clipTextWeightShapes, type CLIPTextConfig } from '@sdtext/core';
import { parseT5Config, t5ConfigFromShapes, t5EncoderWeightShapes, type T5Config } from '@sdtext/core/t5';
import { WeightScope, describeCLIPTextModel } from '@sdtext/text-encoder';
import { T5EncoderModel } from '@sdtext/text-encoder/t5';

const count = (shapes: Map<string, number[]>): number => [...shapes.values()].reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);
const parameters = (n: number): string => `  parameters: ${n.toLocaleString('en-US')} (${(n / 1e6).toFixed(1)} M)`;

/** A T5 encoder's summary and module tree (built on meta tensors: no weights read), as inspect prints CLIP's. */
export function describeT5(config: T5Config, where: string, weights: string): string {
  return [
    `T5EncoderModel in ${where}`,
    `  d_model=${config.d_model} num_layers=${config.num_layers} num_heads=${config.num_heads} d_kv=${config.d_kv} d_ff=${config.d_ff}`,
    `  feed_forward_proj=${config.is_gated_act ? 'gated-' : ''}${config.dense_act_fn} vocab_size=${config.vocab_size} ` +
      `relative_attention_num_buckets=${config.relative_attention_num_buckets} relative_attention_max_distance=${config.relative_attention_max_distance} ` +
      `layer_norm_epsilon=${config.layer_norm_epsilon}`,
    parameters(count(t5EncoderWeightShapes(config))),
    `  weights: ${weights}`,
    '',
    String(new T5EncoderModel(WeightScope.meta().vs, config, false)),
  ].join('\n');
}

function describeClip(config: CLIPTextConfig, withProjection: boolean, where: string, weights: string): string {
  return [
    `${withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'} in ${where}`,
    `  hidden_size=${config.hidden_size} num_hidden_layers=${config.num_hidden_layers} num_attention_heads=${config.num_attention_heads} intermediate_size=${config.intermediate_size}`,
    `  hidden_act=${config.hidden_act} vocab_size=${config.vocab_size} max_position_embeddings=${config.max_position_embeddings}` +
      (withProjection ? ` projection_dim=${config.projection_dim}` : ''),
    parameters(count(clipTextWeightShapes(config, { withProjection }))),
    `  weights: ${weights}`,
    '',
    describeCLIPTextModel(config, { withProjection }),
  ].join('\n');
}

/** Dtypes of a header's tensors, counted: "F16 (98 tensors)". */
function dtypes(tensors: readonly { dtype: string }[]): string {
  const counts = new Map<string, number>();
  for (const t of tensors) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
  return [...counts].map(([d, n]) => `${d} (${n} tensor${n === 1 ? '' : 's'})`).join(', ');
}

/** The dtypes of a folder's safetensors files, from their headers. */
async function folderDtypes(folder: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const files = (await readdir(folder)).filter((f) => f.endsWith('.safetensors')).sort();
  const parts: string[] = [];
  for (const file of files) {
    try {
      parts.push(`${file}: ${dtypes((await loadSafetensorsHeader(join(folder, file))).tensors)}`);
    } catch (error) {
      parts.push(`${file}: unreadable (${(error as Error).message})`);
    }
  }
  return parts.length ? parts.join('; ') : 'no .safetensors files';
}

/** A T5 encoder folder (config.json of model_type "t5"). */
export async function describeT5Folder(folder: string, configJson: unknown, configPath: string): Promise<string> {
  return describeT5(parseT5Config(configJson, configPath), folder, await folderDtypes(folder));
}

/** Whether a config.json is a T5's. */
export function isT5Config(json: unknown): boolean {
  const j = json as { model_type?: unknown; architectures?: unknown } | null;
  return j?.model_type === 't5' || (Array.isArray(j?.architectures) && j.architectures.some((a) => typeof a === 'string' && a.startsWith('T5')));
}

/** A CLIP folder of an SD3 / Flux repo, as the CLIP inspect prints it. */
export async function describeClipFolder(folder: string, configJson: { architectures?: unknown }, configPath: string): Promise<string> {
  const withProjection = Array.isArray(configJson.architectures) && configJson.architectures.includes('CLIPTextModelWithProjection');
  return describeClip(parseCLIPTextConfig(configJson, configPath), withProjection, folder, await folderDtypes(folder));
}

/**
 * A safetensors file: ComfyUI's lone T5 (t5xxl_*.safetensors, config off its shapes) or an SD3
 * single file (each text encoder under text_encoders.*), from the header alone. Null for others.
 */
export async function describeTextEncoderFile(file: string): Promise<string | null> {
  const header = await loadSafetensorsHeader(file).catch(() => null);
  if (header === null) return null;
  const encoders = sd3TextEncodersIn(header.tensors.map((t) => t.name));
  if (encoders.length > 0) {
    const parts: string[] = [];
    for (const encoder of encoders) {
      const prefix = SD3_TEXT_ENCODER_PREFIXES[encoder];
      const own = header.tensors.filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: t.name.slice(prefix.length) }));
      const where = `${file} (${prefix}*)`;
      if (encoder === 't5xxl') parts.push(describeT5(t5ConfigFromShapes(new Map(own.map((t) => [t.name, t.shape])), where), where, dtypes(own)));
      else {
        const plan = planLoneClipFile(own, encoder, where);
        parts.push(describeClip(plan.config, plan.withProjection, where, dtypes(own)));
      }
    }
    return parts.join('\n\n');
  }
  if (header.tensors.some((t) => t.name === 'shared.weight' || t.name === 'encoder.embed_tokens.weight')) {
    return describeT5(t5ConfigFromShapes(new Map(header.tensors.map((t) => [t.name, t.shape])), file), `${file} (config read off its shapes)`, dtypes(header.tensors));
  }
  return null;
}
