import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
import { fixtureRepo, type RepoFiles } from './fixture-repos.js';
import { fixturesDir, tinyModelDir } from './paths.js';

/** models/fixtures/sd3 and /flux: references.json (made by scripts/sd3/make-sd3-flux-references.py). */
export interface DiffusersCase {
  name: string;
  options: Record<string, unknown>;
  t5?: boolean;
  clipL?: string;
  warnings: string[];
  promptEmbeds: string;
  pooledPromptEmbeds: string;
  negativePromptEmbeds?: string;
  negativePooledPromptEmbeds?: string;
  textIds?: string;
}

export interface ComfyCase {
  name: string;
  text: string;
  t5?: boolean;
  cond: string;
  pooled: string;
}

export interface StackReferences {
  diffusers: DiffusersCase[];
  comfy: ComfyCase[];
  tensors: Map<string, { data: Float32Array; shape: number[] }>;
}

export async function stackReferences(stack: 'sd3' | 'flux'): Promise<StackReferences> {
  const json = JSON.parse(await readFile(join(fixturesDir, stack, 'references.json'), 'utf8')) as { diffusers: DiffusersCase[]; comfy: ComfyCase[] };
  const file = await loadSafetensors(join(fixturesDir, stack, 'references.safetensors'));
  const tensors = new Map([...file.tensors].map(([name, t]) => [name, { data: Float32Array.from(toFloat32(t.dtype, t.data)), shape: [...t.shape] }]));
  return { ...json, tensors };
}

const T5_TOKENIZER_CONFIG = JSON.stringify({
  add_prefix_space: true,
  clean_up_tokenization_spaces: true,
  eos_token: '</s>',
  extra_ids: 100,
  legacy: true,
  model_max_length: 512,
  pad_token: '<pad>',
  tokenizer_class: 'T5Tokenizer',
  unk_token: '<unk>',
});

async function t5Folder(prefix: string, weights: string): Promise<RepoFiles> {
  return {
    [`${prefix.replace('text_encoder', 'tokenizer')}tokenizer.json`]: await readFile(join(fixturesDir, 't5-tokenizer', 't5-nobf', 'tokenizer.json'), 'utf8'),
    [`${prefix.replace('text_encoder', 'tokenizer')}tokenizer_config.json`]: T5_TOKENIZER_CONFIG,
    [`${prefix}config.json`]: await readFile(join(weights, 'config.json'), 'utf8'),
    [`${prefix}model.safetensors`]: new Uint8Array(await readFile(join(weights, 'model.safetensors'))),
  };
}

const modelIndex = (className: string, components: Record<string, [string, string] | [null, null]>): string =>
  JSON.stringify({ _class_name: className, _diffusers_version: '0.30.0', scheduler: ['diffusers', 'FlowMatchEulerDiscreteScheduler'], vae: ['diffusers', 'AutoencoderKL'], ...components }, null, 2);

/**
 * The tiny SD3 stack as a diffusers repo: CLIP-L = sd1-tiny with projection, CLIP-G = sd2-tiny with
 * projection ("!" padding), T5 = models/fixtures/sd3/text_encoder_3 with the t5-nobf tokenizer,
 * transformer/config.json's joint_attention_dim 80 (the T5's width). `t5: false` saves it as diffusers
 * saves a pipeline made with text_encoder_3=None.
 */
export async function sd3Repo(options: { t5?: boolean } = {}): Promise<RepoFiles> {
  const xl = await fixtureRepo('sdxl');
  const files: RepoFiles = {};
  for (const [path, content] of Object.entries(xl)) if (!path.startsWith('text_encoder/') && path !== 'model_index.json') files[path] = content;
  const withProjection = join(tinyModelDir('sd1-tiny'), 'text_model_with_projection');
  files['text_encoder/config.json'] = await readFile(join(withProjection, 'config.json'), 'utf8');
  files['text_encoder/model.safetensors'] = new Uint8Array(await readFile(join(withProjection, 'model.safetensors')));
  const t5 = options.t5 ?? true;
  if (t5) Object.assign(files, await t5Folder('text_encoder_3/', join(fixturesDir, 'sd3', 'text_encoder_3')));
  files['transformer/config.json'] = JSON.stringify({ _class_name: 'SD3Transformer2DModel', joint_attention_dim: 80, pooled_projection_dim: 40 });
  files['model_index.json'] = modelIndex('StableDiffusion3Pipeline', {
    text_encoder: ['transformers', 'CLIPTextModelWithProjection'],
    text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
    text_encoder_3: t5 ? ['transformers', 'T5EncoderModel'] : [null, null],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    tokenizer_2: ['transformers', 'CLIPTokenizer'],
    tokenizer_3: t5 ? ['transformers', 'T5TokenizerFast'] : [null, null],
    transformer: ['diffusers', 'SD3Transformer2DModel'],
  });
  return files;
}

/** The tiny Flux stack as a diffusers repo: CLIP-L = sd1-tiny (CLIPTextModel), T5 = models/fixtures/flux/text_encoder_2 (BF16). */
export async function fluxRepo(): Promise<RepoFiles> {
  const xl = await fixtureRepo('sdxl');
  const files: RepoFiles = {};
  for (const [path, content] of Object.entries(xl)) if (path.startsWith('tokenizer/') || path.startsWith('text_encoder/')) files[path] = content;
  Object.assign(files, await t5Folder('text_encoder_2/', join(fixturesDir, 'flux', 'text_encoder_2')));
  files['model_index.json'] = modelIndex('FluxPipeline', {
    text_encoder: ['transformers', 'CLIPTextModel'],
    text_encoder_2: ['transformers', 'T5EncoderModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    tokenizer_2: ['transformers', 'T5TokenizerFast'],
    transformer: ['diffusers', 'FluxTransformer2DModel'],
  });
  return files;
}

/** A safetensors file of raw tensors (any dtype, bytes as given), in the order given. */
export function rawSafetensors(tensors: readonly { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

/** A stored safetensors file's tensors, bytes as stored. */
export async function storedTensors(path: string): Promise<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }[]> {
  const bytes = new Uint8Array(await readFile(path));
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  return Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, bytes: bytes.slice(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]) }));
}
