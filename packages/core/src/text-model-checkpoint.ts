import {
  checkCheckpoint,
  checkpointIgnoreKeys,
  iterateCheckpointFloat32,
  openCheckpoint,
  type Float32Weight,
  type KeyFilter,
  type OpenCheckpoint,
} from './checkpoint.js';
import { parseCLIPTextConfig, type CLIPTextConfig } from './config.js';
import type { LoadProgress, ModelFiles } from './file-source.js';

/**
 * Every key of a CLIPTextModel (or CLIPTextModelWithProjection) checkpoint with its shape, in
 * module order, from the config alone: what strict loading checks a checkpoint against. The tfjs
 * model's own module tree asks for exactly these keys (a text-encoder test holds them equal).
 */
export function clipTextWeightShapes(config: CLIPTextConfig, options: { withProjection?: boolean } = {}): Map<string, number[]> {
  const { vocab_size: vocab, hidden_size: h, intermediate_size: inner, max_position_embeddings: positions } = config;
  const shapes = new Map<string, number[]>();
  const add = (key: string, shape: number[]): void => void shapes.set(key, shape);
  const layerNorm = (prefix: string): void => {
    add(`${prefix}.weight`, [h]);
    add(`${prefix}.bias`, [h]);
  };
  const linear = (prefix: string, out: number, input: number): void => {
    add(`${prefix}.weight`, [out, input]);
    add(`${prefix}.bias`, [out]);
  };
  add('text_model.embeddings.token_embedding.weight', [vocab, h]);
  add('text_model.embeddings.position_embedding.weight', [positions, h]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const layer = `text_model.encoder.layers.${i}`;
    for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) linear(`${layer}.self_attn.${proj}`, h, h);
    layerNorm(`${layer}.layer_norm1`);
    linear(`${layer}.mlp.fc1`, inner, h);
    linear(`${layer}.mlp.fc2`, h, inner);
    layerNorm(`${layer}.layer_norm2`);
  }
  layerNorm('text_model.final_layer_norm');
  if (options.withProjection) add('text_projection.weight', [config.projection_dim, h]);
  return shapes;
}

/** Whether a parsed config.json's `architectures` names CLIPTextModelWithProjection. */
export function namesProjection(configJson: unknown): boolean {
  const archs = (configJson as { architectures?: unknown } | null)?.architectures;
  return Array.isArray(archs) && archs.includes('CLIPTextModelWithProjection');
}

/** A model folder's config.json: the checked config, and the JSON as read (for its other fields). */
export async function readModelConfig(files: ModelFiles): Promise<{ config: CLIPTextConfig; json: unknown }> {
  const text = await files.readText('config.json');
  if (text === null) throw new Error(`${files.name}: no config.json`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${files.name}/config.json: not valid JSON (${(e as Error).message})`);
  }
  return { config: parseCLIPTextConfig(json, `${files.name}/config.json`), json };
}

export interface TextModelCheckpointOptions {
  /** Weights variant: "fp16" reads `model.fp16.safetensors` (or its sharded index). */
  variant?: string;
  /** Load as CLIPTextModelWithProjection. Default: from config.json's `architectures`. */
  withProjection?: boolean;
  /** More checkpoint keys to skip (exact names or patterns). */
  ignoreKeys?: KeyFilter;
  /** Called as bytes arrive, per file. */
  onProgress?: (p: LoadProgress) => void;
}

/** A text model checkpoint, opened, its config read and its keys checked; no weight read yet. */
export interface CheckedTextModelCheckpoint {
  config: CLIPTextConfig;
  withProjection: boolean;
  checkpoint: OpenCheckpoint;
  /** The keys the model loads, with their shapes. */
  expected: Map<string, number[]>;
}

/**
 * config.json, then the checkpoint's headers, checked strictly against the keys the config implies
 * (all problems in one error), before a single weight byte is read. Close `checkpoint` when done.
 */
export async function openTextModelCheckpoint(files: ModelFiles, options: TextModelCheckpointOptions = {}): Promise<CheckedTextModelCheckpoint> {
  const { config, json } = await readModelConfig(files);
  const withProjection = options.withProjection ?? namesProjection(json);
  const expected = clipTextWeightShapes(config, { withProjection });
  const checkpoint = await openCheckpoint(files, { variant: options.variant, onProgress: options.onProgress });
  try {
    checkCheckpoint(
      checkpoint,
      expected,
      checkpointIgnoreKeys(json, options.ignoreKeys),
      `${files.name} (${checkpoint.files.join(', ')})`,
      withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel',
    );
  } catch (e) {
    await checkpoint.close();
    throw e;
  }
  return { config, withProjection, checkpoint, expected };
}

/** A text model's weights as float32 arrays, by Hugging Face key, checked (keys, shapes, finite values). */
export interface TextModelWeights {
  config: CLIPTextConfig;
  withProjection: boolean;
  tensors: Map<string, Float32Weight>;
}

/**
 * Reads a whole text model checkpoint into float32 arrays, no tfjs involved: for engines that
 * take plain arrays (ONNX Runtime's initializers).
 */
export async function readTextModelWeights(files: ModelFiles, options: TextModelCheckpointOptions = {}): Promise<TextModelWeights> {
  const { config, withProjection, checkpoint, expected } = await openTextModelCheckpoint(files, options);
  const tensors = new Map<string, Float32Weight>();
  try {
    for await (const weight of iterateCheckpointFloat32(checkpoint, expected)) tensors.set(weight.name, weight);
  } finally {
    await checkpoint.close();
  }
  return { config, withProjection, tensors };
}
