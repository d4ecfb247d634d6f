import {
  CheckpointError,
  checkCheckpoint,
  iterateCheckpointFloat32,
  nonFiniteError,
  openCheckpoint,
  type Float32Weight,
  type KeyFilter,
  type OpenCheckpoint,
} from '../checkpoint.js';
import { parseCLIPTextConfig, type CLIPTextConfig } from './config.js';
import { checkpointIgnoreKeys } from './ignored-keys.js';
import type { LoadProgress, ModelFiles } from '../file-source.js';
import { mergeLoraInto, type LoraLayer, type LoraMerge, type TextEncoderName } from './lora.js';
import { firstNonFinite } from '../safetensors/dtypes.js';
import { iterateCheckpointStored, type StoredWeight } from '../stored-weight.js';
import { isFloatWeight, openSingleFileTensors, type SingleFileTensors } from './single-file-source.js';
import { applyRecipe, detectSingleFile, planSingleFile, recipeShape, type SingleFilePlan, type WeightRecipe } from './single-file.js';
import type { EmbeddingVectors } from './textual-inversion.js';

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
  /**
   * A single-file Stable Diffusion checkpoint (A1111 / ComfyUI) in the source instead of
   * config.json + model.safetensors: the file's name there, which of its text encoders, and config
   * fields the shapes cannot tell (num_attention_heads defaults to hidden_size / 64).
   */
  singleFile?: SingleFileOptions;
  /** LoRAs merged into the weights as they are read: W' = W + scale * (alpha / r) * up @ down. */
  lora?: readonly LoraMerge[];
  /**
   * Rows appended to the token embedding (textual inversion, HF's `resize_token_embeddings`):
   * the model's vocab_size grows by their count, and ids from the old vocab_size on pick them.
   */
  extraEmbeddings?: EmbeddingVectors;
}

export interface SingleFileOptions {
  /** The checkpoint's file name in the source (e.g. "v1-5-pruned-emaonly.safetensors"). */
  file: string;
  /** Which text encoder: 'text_encoder' (default) or SDXL's 'text_encoder_2'. */
  encoder?: TextEncoderName;
  /** Config fields to use instead of the defaults derived from the shapes. */
  config?: Partial<CLIPTextConfig>;
}

/** Whether options change the stored weights (so a loader that maps the files as they are cannot be used). */
export function modifiesWeights(options: TextModelCheckpointOptions): boolean {
  return options.singleFile !== undefined || (options.lora?.length ?? 0) > 0 || options.extraEmbeddings !== undefined;
}

/** A text model checkpoint, opened, its config read and its keys checked; no weight read yet. */
export interface CheckedTextModelCheckpoint {
  /** The model's config (vocab_size grown by extraEmbeddings). */
  config: CLIPTextConfig;
  withProjection: boolean;
  checkpoint: OpenCheckpoint;
  /** The keys the model loads, with their shapes (after extraEmbeddings). */
  expected: Map<string, number[]>;
  /**
   * Every expected weight (or those `want` selects) as float32, by HF key, in file order: a
   * single file's tensors converted, LoRAs merged, extra embedding rows appended. Checked finite.
   */
  weights(want?: (key: string) => boolean): AsyncGenerator<Float32Weight>;
  /**
   * The same weights, each kept in its stored width where the model uses it unchanged (F16 and
   * BF16 as stored, F8 as exact F16; see StoredWeight), for engines that widen natively. A single
   * file, LoRAs or extra embeddings change the weights: then every weight comes widened, as F32.
   */
  storedWeights(want?: (key: string) => boolean): AsyncGenerator<StoredWeight>;
}

/**
 * config.json, then the checkpoint's headers, checked strictly against the keys the config implies
 * (all problems in one error), before a single weight byte is read. Close `checkpoint` when done.
 * With `singleFile`, the single file's header instead (its text encoder planned, nothing else read);
 * `lora` and `extraEmbeddings` are checked against the model here too.
 */
export async function openTextModelCheckpoint(files: ModelFiles, options: TextModelCheckpointOptions = {}): Promise<CheckedTextModelCheckpoint> {
  if (options.singleFile) return openSingleFile(files, options, options.singleFile);
  const { config, json } = await readModelConfig(files);
  const withProjection = options.withProjection ?? namesProjection(json);
  const stored = clipTextWeightShapes(config, { withProjection });
  const checkpoint = await openCheckpoint(files, { variant: options.variant, onProgress: options.onProgress });
  try {
    checkCheckpoint(
      checkpoint,
      stored,
      checkpointIgnoreKeys(json, options.ignoreKeys),
      `${files.name} (${checkpoint.files.join(', ')})`,
      withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel',
    );
    const wanted = (want?: (key: string) => boolean): ReadonlyMap<string, readonly number[]> => (want ? new Map([...stored].filter(([k]) => want(k))) : stored);
    return modified(
      config,
      withProjection,
      checkpoint,
      stored,
      options,
      files.name,
      (want) => iterateCheckpointFloat32(checkpoint, wanted(want)),
      (want) => iterateCheckpointStored(checkpoint, wanted(want)),
    );
  } catch (e) {
    await checkpoint.close();
    throw e;
  }
}

async function openSingleFile(files: ModelFiles, options: TextModelCheckpointOptions, single: SingleFileOptions): Promise<CheckedTextModelCheckpoint> {
  const reader = await files.openBytes(single.file, options.onProgress);
  if (!reader) throw new CheckpointError(`${files.name}: no ${single.file}`);
  const where = reader.name;
  // safetensors or a torch .ckpt, told by its first bytes.
  const source = await openSingleFileTensors(reader);
  const close = (): Promise<void> => source.close();
  try {
    const checkpoint: OpenCheckpoint = { files: [single.file], shards: source.header ? [{ file: single.file, reader, header: source.header }] : [], close };
    const { encoders } = detectSingleFile(
      source.tensors.map((t) => t.name),
      source.format === 'safetensors' ? where : `${where} (a ${source.format} file)`,
    );
    const name = single.encoder ?? 'text_encoder';
    const encoder = encoders.find((e) => e.name === name);
    if (!encoder) throw new CheckpointError(`${where}: has no ${name} (it holds ${encoders.map((e) => e.name).join(', ')})`);
    const plan = planSingleFile(source.tensors, encoder, where, single.config);
    if (options.withProjection !== undefined && options.withProjection !== plan.withProjection) {
      throw new CheckpointError(`${where}: ${name} is a ${plan.withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'}`);
    }
    const stored = clipTextWeightShapes(plan.config, { withProjection: plan.withProjection });
    const problems: string[] = [];
    const infoOf = new Map(source.tensors.map((t) => [t.name, t]));
    for (const [key, shape] of stored) {
      const recipe = plan.recipes.get(key);
      if (!recipe) {
        problems.push(`missing key for "${key}" (expected shape [${shape.join(', ')}])`);
        continue;
      }
      const info = infoOf.get(recipe.source)!;
      const made = recipeShape(recipe, info.shape);
      if (made.length !== shape.length || made.some((d, i) => d !== shape[i])) {
        problems.push(`wrong shape for "${recipe.source}" [${info.shape.join(', ')}]: makes "${key}" [${made.join(', ')}], expected [${shape.join(', ')}]`);
      } else if (!isFloatWeight(info.dtype)) {
        problems.push(`"${recipe.source}" has dtype ${info.dtype}; weights must be F32, F16, BF16 or F64`);
      }
    }
    for (const key of plan.recipes.keys()) if (!stored.has(key)) problems.push(`unexpected key "${plan.recipes.get(key)!.source}"`);
    if (problems.length > 0) {
      throw new CheckpointError(`${where}: ${name} does not match a CLIP text model (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.slice(0, 25).join('\n  ')}`);
    }
    return modified(plan.config, plan.withProjection, checkpoint, stored, options, where, (want) => iteratePlan(source, where, plan, want));
  } catch (e) {
    await close();
    throw e;
  }
}

/** A single file's planned weights, reading each needed stored tensor once, in file order. */
async function* iteratePlan(source: SingleFileTensors, where: string, plan: SingleFilePlan, want?: (key: string) => boolean): AsyncGenerator<Float32Weight> {
  const bySource = new Map<string, [string, WeightRecipe][]>();
  for (const [key, recipe] of plan.recipes) {
    if (want && !want(key)) continue;
    const list = bySource.get(recipe.source) ?? [];
    list.push([key, recipe]);
    bySource.set(recipe.source, list);
  }
  for (const info of source.tensors) {
    const made = bySource.get(info.name);
    if (!made) continue;
    const data = await source.read(info.name);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw nonFiniteError(info.name, where, info.shape, bad, data[bad]!);
    for (const [key, recipe] of made) yield { name: key, shape: recipeShape(recipe, info.shape), data: applyRecipe(recipe, info.shape, data) };
  }
  await source.close();
}

/** The checked checkpoint with LoRA merges and extra embedding rows applied to its weight stream. */
function modified(
  stored: CLIPTextConfig,
  withProjection: boolean,
  checkpoint: OpenCheckpoint,
  storedShapes: Map<string, number[]>,
  options: TextModelCheckpointOptions,
  where: string,
  read: (want?: (key: string) => boolean) => AsyncGenerator<Float32Weight>,
  readStored?: (want?: (key: string) => boolean) => AsyncGenerator<StoredWeight>,
): CheckedTextModelCheckpoint {
  const lora = options.lora ?? [];
  const extra = options.extraEmbeddings;
  const merges = new Map<string, { layer: LoraLayer; scale: number; file: string }[]>();
  for (const m of lora) {
    for (const [module, layer] of m.layers) {
      const key = `${module}.weight`;
      const shape = storedShapes.get(key);
      if (!shape) throw new CheckpointError(`${m.file}: LoRA for ${module}, which ${where} does not have (${stored.num_hidden_layers} layers)`);
      if (shape[0] !== layer.outFeatures || shape[1] !== layer.inFeatures) {
        throw new CheckpointError(`${m.file}: the LoRA of ${module} is [${layer.outFeatures}, ${layer.inFeatures}], the weight [${shape.join(', ')}]: a LoRA for another model`);
      }
      const list = merges.get(key) ?? [];
      list.push({ layer, scale: m.scale, file: m.file });
      merges.set(key, list);
    }
  }
  const TOKENS = 'text_model.embeddings.token_embedding.weight';
  if (extra && extra.dim !== stored.hidden_size) {
    throw new CheckpointError(`textual inversion embeddings are ${extra.dim} wide, the text encoder (${where}) ${stored.hidden_size}: made for another model`);
  }
  const grown = extra ? parseCLIPTextConfig({ ...stored, vocab_size: stored.vocab_size + extra.count }, `${where} (vocab_size with the added tokens)`) : stored;
  const expected = new Map(storedShapes);
  if (extra) expected.set(TOKENS, [grown.vocab_size, stored.hidden_size]);
  async function* weights(want?: (key: string) => boolean): AsyncGenerator<Float32Weight> {
    for await (const w of read(want)) {
      const m = merges.get(w.name);
      if (m) mergeLoraInto(w.data, w.shape, w.name, m);
      if (extra && w.name === TOKENS) {
        const data = new Float32Array(w.data.length + extra.data.length);
        data.set(w.data);
        data.set(extra.data, w.data.length);
        yield { name: w.name, shape: [grown.vocab_size, stored.hidden_size], data };
      } else {
        yield w;
      }
    }
  }
  const asStored = readStored && lora.length === 0 && !extra ? readStored : null;
  async function* storedWeights(want?: (key: string) => boolean): AsyncGenerator<StoredWeight> {
    if (asStored) yield* asStored(want);
    else for await (const w of weights(want)) yield { ...w, dtype: 'F32', scale: null };
  }
  return { config: grown, withProjection, checkpoint, expected, weights, storedWeights };
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
  const { config, withProjection, checkpoint, weights } = await openTextModelCheckpoint(files, options);
  const tensors = new Map<string, Float32Weight>();
  try {
    for await (const weight of weights()) tensors.set(weight.name, weight);
  } finally {
    await checkpoint.close();
  }
  return { config, withProjection, tensors };
}
