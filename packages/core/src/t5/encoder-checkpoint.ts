import { CheckpointError, openCheckpoint, type Float32Weight, type KeyFilter, type OpenCheckpoint } from '../checkpoint.js';
import type { LoadProgress, ModelFiles } from '../file-source.js';
import { F8_DTYPES, FLOAT_DTYPES, floatBytesToFloat32, type SafetensorsDtype } from '../safetensors/dtypes.js';
import { readHeader, type SafetensorsTensorInfo } from '../safetensors/reader.js';
import { parseT5Config, type T5Config } from './config.js';
import { isScalarShape, parseScaledFp8Marker, scaleKeyLayer, SCALED_FP8_MARKER, type ScaledFp8 } from './scaled-fp8.js';
import { t5ConfigFromShapes } from './config-from-shapes.js';
import { toFloat32Weight, toStoredWeight, type StoredWeight } from '../stored-weight.js';
import { T5_EMBED_TOKENS_KEY, T5_ENCODER_IGNORED_KEYS, T5_SHARED_KEY, t5BlockLinears, t5EncoderWeightShapes } from './weight-shapes.js';

export interface T5CheckpointOptions {
  /** Weights variant: "fp16" reads `model.fp16.safetensors` (or its sharded index). */
  variant?: string;
  /**
   * One safetensors file in the source instead of `model[.variant].safetensors` (ComfyUI's
   * `t5xxl_fp8_e4m3fn_scaled.safetensors`, `t5xxl_fp16.safetensors`). Its config is the source's
   * config.json if there is one, else read off the tensor shapes (see t5ConfigFromShapes).
   */
  file?: string;
  /** Config fields for a `file` without config.json that the shapes cannot tell (relative_attention_max_distance, ...). */
  config?: Partial<T5Config>;
  /** More checkpoint keys to skip (exact names or patterns). */
  ignoreKeys?: KeyFilter;
  /** Called as bytes arrive, per file. */
  onProgress?: (p: LoadProgress) => void;
}

/** Where one weight of the model is in the checkpoint. */
export interface T5WeightSource {
  /** The model's key (`shared.weight` for the embedding whichever tied key stores it). */
  key: string;
  shape: number[];
  /** Index into `checkpoint.shards`. */
  shard: number;
  /** The stored tensor (its own name, dtype and offsets). */
  info: SafetensorsTensorInfo;
  /** ComfyUI's scale_weight for this Linear (scaled fp8 files), else null. */
  scale: number | null;
}

/** A T5 encoder checkpoint, opened, its config read and its keys checked; no weight read yet. */
export interface CheckedT5Checkpoint {
  config: T5Config;
  checkpoint: OpenCheckpoint;
  /** The source and files, for messages. */
  where: string;
  /** The keys the model loads, with their shapes. */
  expected: Map<string, number[]>;
  /** Each expected key's stored tensor. */
  sources: Map<string, T5WeightSource>;
  /** The ComfyUI scaled fp8 marker's meaning, when the file has one. */
  scaledFp8: ScaledFp8 | null;
  /** Every expected weight (or those `want` selects) widened to float32 and scaled, in file order, checked finite. */
  weights(want?: (key: string) => boolean): AsyncGenerator<Float32Weight>;
  /** Every expected weight kept in 16 bits where stored in 16 or 8 (see StoredWeight), in file order, checked finite. */
  storedWeights(want?: (key: string) => boolean): AsyncGenerator<StoredWeight>;
}

/** The dtypes a T5 weight may have: F32, F16, BF16, F64 and the F8 formats (widened exactly). */
export const T5_WEIGHT_DTYPES: readonly SafetensorsDtype[] = [...FLOAT_DTYPES, ...F8_DTYPES];

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const matches = (key: string, filters: KeyFilter): boolean => filters.some((f) => (typeof f === 'string' ? f === key : f.test(key)));

async function readConfigJson(files: ModelFiles): Promise<unknown | null> {
  const text = await files.readText('config.json');
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${files.name}/config.json: not valid JSON (${(e as Error).message})`);
  }
}

/** Opens `options.file` alone, as a one-shard checkpoint. */
async function openSingleFile(files: ModelFiles, file: string, onProgress?: (p: LoadProgress) => void): Promise<OpenCheckpoint> {
  const reader = await files.openBytes(file, onProgress);
  if (!reader) throw new CheckpointError(`${files.name}: no ${file}`);
  try {
    const header = await readHeader(reader);
    return { files: [file], shards: [{ file, reader, header }], close: () => reader.close() };
  } catch (e) {
    await reader.close();
    throw e;
  }
}

/**
 * config.json (or, for a lone `file`, the tensor shapes), then the checkpoint's headers, checked
 * strictly against the keys the config implies before a weight byte is read: every key present
 * with its exact shape and a float dtype, nothing else unless ignored (a full T5's decoder and LM
 * head), all problems in one CheckpointError. The embedding may be stored as `shared.weight`,
 * `encoder.embed_tokens.weight` (its tied copy) or both (same shape; `shared.weight` is read).
 * ComfyUI's scaled fp8 files are dequantized exactly (see scaled-fp8.ts). Close `checkpoint` when done.
 */
export async function openT5EncoderCheckpoint(files: ModelFiles, options: T5CheckpointOptions = {}): Promise<CheckedT5Checkpoint> {
  const json = await readConfigJson(files);
  if (json === null && options.file === undefined) throw new CheckpointError(`${files.name}: no config.json`);
  const checkpoint = options.file !== undefined ? await openSingleFile(files, options.file, options.onProgress) : await openCheckpoint(files, options);
  try {
    const where = `${files.name} (${checkpoint.files.join(', ')})`;
    const stored = new Map<string, { shard: number; info: SafetensorsTensorInfo }>();
    const problems: string[] = [];
    checkpoint.shards.forEach(({ file, header }, shard) => {
      for (const info of header.tensors) {
        const other = stored.get(info.name);
        if (other) problems.push(`duplicate key "${info.name}" in ${checkpoint.shards[other.shard]!.file} and ${file}`);
        stored.set(info.name, { shard, info });
      }
    });
    const config =
      json !== null
        ? parseT5Config(typeof json === 'object' && !Array.isArray(json) ? { ...json, ...options.config } : json, `${files.name}/config.json`)
        : t5ConfigFromShapes(new Map([...stored].map(([name, { info }]) => [name, info.shape])), where, options.config);
    const expected = t5EncoderWeightShapes(config);
    const fileOf = (shard: number): string => checkpoint.shards[shard]!.file;

    // ComfyUI's scaled fp8: the marker, and the scale tensors of Linear layers.
    const marker = stored.get(SCALED_FP8_MARKER);
    let scaledFp8: ScaledFp8 | null = null;
    if (marker) {
      const parsed = parseScaledFp8Marker(marker.info);
      if (typeof parsed === 'string') problems.push(parsed);
      else scaledFp8 = parsed;
    }
    const linears = new Set<string>();
    for (let i = 0; i < config.num_layers; i++) for (const [layer] of t5BlockLinears(config, i)) linears.add(layer);

    const sources = new Map<string, T5WeightSource>();
    const used = new Set<string>();
    for (const [key, shape] of expected) {
      let found = stored.get(key);
      let name = key;
      if (key === T5_SHARED_KEY) {
        const tied = stored.get(T5_EMBED_TOKENS_KEY);
        if (tied) {
          used.add(T5_EMBED_TOKENS_KEY);
          if (!sameShape(tied.info.shape, shape)) problems.push(`wrong shape for "${T5_EMBED_TOKENS_KEY}" (tied to shared.weight): expected ${shapeStr(shape)}, found ${shapeStr(tied.info.shape)} (${fileOf(tied.shard)})`);
          if (!found) {
            found = tied;
            name = T5_EMBED_TOKENS_KEY;
          }
        }
      }
      if (!found) {
        problems.push(`missing key "${key}" (expected shape ${shapeStr(shape)})${key === T5_SHARED_KEY ? ` (or its tied copy "${T5_EMBED_TOKENS_KEY}")` : ''}`);
        continue;
      }
      used.add(name);
      const { info, shard } = found;
      if (!sameShape(info.shape, shape)) {
        problems.push(`wrong shape for "${name}": expected ${shapeStr(shape)}, found ${shapeStr(info.shape)} (${fileOf(shard)})`);
      } else if (!T5_WEIGHT_DTYPES.includes(info.dtype)) {
        problems.push(`"${name}" has dtype ${info.dtype}; weights must be ${T5_WEIGHT_DTYPES.join(', ')} (${fileOf(shard)})`);
      }
      sources.set(key, { key, shape, shard, info, scale: null });
    }

    // Scales: only with the marker, only on Linear layers, one number each; the weights they scale in the marker's dtype.
    const scaleInfos: [T5WeightSource, { shard: number; info: SafetensorsTensorInfo }][] = [];
    for (const [name, at] of stored) {
      const scale = scaleKeyLayer(name);
      if (!scale) continue;
      used.add(name);
      const where = `"${name}" ${shapeStr(at.info.shape)} (${fileOf(at.shard)})`;
      if (!marker) {
        problems.push(`${where}: a ComfyUI scale tensor in a file without the "${SCALED_FP8_MARKER}" marker; ComfyUI would not apply it either, so the weights would be wrong`);
      } else if (!linears.has(scale.layer)) {
        problems.push(`${where}: a scale for "${scale.layer}", which is not a Linear layer of this model`);
      } else if (!isScalarShape(at.info.shape) || !(['F32', 'F16', 'BF16'] as SafetensorsDtype[]).includes(at.info.dtype)) {
        problems.push(`${where}: a ${at.info.dtype} scale must be one float (shape [] or [1], F32, F16 or BF16)`);
      } else if (scale.kind === 'weight') {
        const source = sources.get(`${scale.layer}.weight`);
        if (source) scaleInfos.push([source, at]);
      }
    }
    if (scaledFp8) {
      used.add(SCALED_FP8_MARKER);
      for (const layer of linears) {
        const source = sources.get(`${layer}.weight`);
        if (source && source.info.dtype !== scaledFp8.weightDtype) {
          problems.push(
            `"${source.info.name}" is ${source.info.dtype}, but the "${SCALED_FP8_MARKER}" marker makes every Linear weight ${scaledFp8.weightDtype} ` +
              '(ComfyUI would round it to that): not a consistent scaled fp8 file',
          );
        }
      }
    }

    const ignore = [...T5_ENCODER_IGNORED_KEYS, ...(options.ignoreKeys ?? [])];
    for (const [name, { info, shard }] of stored) {
      if (!used.has(name) && !expected.has(name) && !matches(name, ignore)) problems.push(`unexpected key "${name}" ${shapeStr(info.shape)} (${fileOf(shard)})`);
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, 25);
      if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
      throw new CheckpointError(`${where}: checkpoint does not match T5EncoderModel (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${shown.join('\n  ')}`);
    }

    // The scales are a few bytes each: read now, so both weight streams apply them.
    for (const [source, { shard, info }] of scaleInfos) {
      const { reader, header } = checkpoint.shards[shard]!;
      const [begin, end] = info.dataOffsets;
      const value = floatBytesToFloat32(info.dtype, await reader.read(header.dataStart + begin, end - begin))[0]!;
      if (!Number.isFinite(value)) throw new CheckpointError(`${reader.name}: "${info.name}" is ${value}: the checkpoint is corrupt`);
      source.scale = value;
    }

    const byStoredName = new Map([...sources.values()].map((s) => [s.info.name, s]));
    async function* read(want?: (key: string) => boolean): AsyncGenerator<{ source: T5WeightSource; bytes: Uint8Array; file: string }> {
      for (const [index, { reader, header }] of checkpoint.shards.entries()) {
        for (const info of header.tensors) {
          const source = byStoredName.get(info.name);
          if (!source || source.shard !== index || (want && !want(source.key))) continue;
          const [begin, end] = info.dataOffsets;
          yield { source, bytes: await reader.read(header.dataStart + begin, end - begin), file: reader.name };
        }
      }
    }
    return {
      config,
      checkpoint,
      where,
      expected,
      sources,
      scaledFp8,
      async *weights(want) {
        for await (const { source, bytes, file } of read(want)) {
          const { key, shape, info, scale } = source;
          yield { name: key, shape, data: toFloat32Weight(info.name, file, info.dtype, shape, bytes, scale) };
        }
      },
      async *storedWeights(want) {
        for await (const { source, bytes, file } of read(want)) {
          const { key, shape, info, scale } = source;
          yield { ...toStoredWeight(info.name, file, info.dtype, shape, bytes, scale), name: key };
        }
      },
    };
  } catch (e) {
    await checkpoint.close();
    throw e;
  }
}

/** A T5 encoder's weights as float32 arrays by key (scaled fp8 dequantized), checked: for engines that take plain arrays. */
export async function readT5EncoderWeights(files: ModelFiles, options: T5CheckpointOptions = {}): Promise<{ config: T5Config; tensors: Map<string, Float32Weight> }> {
  const opened = await openT5EncoderCheckpoint(files, options);
  const tensors = new Map<string, Float32Weight>();
  try {
    for await (const weight of opened.weights()) tensors.set(weight.name, weight);
  } finally {
    await opened.checkpoint.close();
  }
  return { config: opened.config, tensors };
}
