import type { LoadProgress, ModelFiles } from './file-source.js';
import { checkRepoPath, checkVariant } from './names.js';
import type { ByteReader } from './safetensors/byte-reader.js';
import { FLOAT_DTYPES, firstNonFinite, floatBytesToFloat32 } from './safetensors/dtypes.js';
import { iterateTensorBytes, readHeader, type SafetensorsHeader, type SafetensorsTensorInfo } from './safetensors/reader.js';

/** Checkpoint keys to skip: exact names or patterns. */
export type KeyFilter = readonly (string | RegExp)[];

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** HF's `_add_variant`: "model.safetensors" + "fp16" -> "model.fp16.safetensors". The variant is checked (names.ts). */
export function addVariant(fileName: string, variant?: string): string {
  if (!variant) return fileName;
  checkVariant(variant, 'variant option');
  const parts = fileName.split('.');
  return [...parts.slice(0, -1), variant, parts[parts.length - 1]].join('.');
}

/**
 * The names a checkpoint may have, in the order transformers tries them: `model[.variant].safetensors`,
 * else a sharded index, `model.safetensors.index[.variant].json` (and, for a variant, the
 * `model.<variant>.safetensors.index.json` spelling some repos use). The one place that knows them:
 * the loaders and the hub downloader all ask here.
 */
export function checkpointFileNames(variant?: string): { single: string; indexNames: string[] } {
  const single = addVariant('model.safetensors', variant);
  const indexNames = [addVariant('model.safetensors.index.json', variant)];
  if (variant) indexNames.push(`model.${variant}.safetensors.index.json`);
  return { single, indexNames };
}

/** "no weights found" for a folder that has none of `checkpointFileNames(variant)`. */
export function noWeightsError(where: string, variant?: string): CheckpointError {
  const { single, indexNames } = checkpointFileNames(variant);
  return new CheckpointError(
    `${where}: no weights found: tried ${[single, ...indexNames].join(', ')}` +
      (variant ? '' : ' (for an fp16 checkpoint pass variant: "fp16")') +
      '; only safetensors checkpoints are supported',
  );
}

/** A checkpoint's files, `model[.variant].safetensors` or the shards of its index, by header. */
export interface CheckpointHeaders {
  files: string[];
  shards: { file: string; header: SafetensorsHeader }[];
}

interface OpenShard {
  file: string;
  reader: ByteReader;
  header: SafetensorsHeader;
}

/** An opened checkpoint: one file or the shards of `model.safetensors.index.json`, headers read. */
export interface OpenCheckpoint extends CheckpointHeaders {
  shards: OpenShard[];
  close(): Promise<void>;
}

/**
 * Finds and opens the weights: `model[.variant].safetensors`, else the sharded index
 * `model.safetensors.index[.variant].json` (also accepted: `model[.variant].safetensors.index.json`).
 */
export async function openCheckpoint(
  files: ModelFiles,
  options: { variant?: string; onProgress?: (p: LoadProgress) => void } = {},
): Promise<OpenCheckpoint> {
  const { variant, onProgress } = options;
  const { single, indexNames } = checkpointFileNames(variant);
  const shards: OpenShard[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(shards.map((s) => s.reader.close()));
  };
  const open = async (file: string, reader: ByteReader): Promise<void> => {
    try {
      shards.push({ file, reader, header: await readHeader(reader) });
    } catch (e) {
      await reader.close();
      throw e;
    }
  };
  try {
    const reader = await files.openBytes(single, onProgress);
    if (reader) {
      await open(single, reader);
      return { files: [single], shards, close };
    }
    for (const indexName of indexNames) {
      const text = await files.readText(indexName);
      if (text === null) continue;
      const shardFiles = parseCheckpointIndex(text, `${files.name}/${indexName}`).shards;
      for (const file of shardFiles) {
        const r = await files.openBytes(file, onProgress);
        if (!r) throw new CheckpointError(`${files.name}/${indexName} lists shard ${file}, which does not exist`);
        await open(file, r);
      }
      return { files: shardFiles, shards, close };
    }
    throw noWeightsError(files.name, variant);
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The checkpoint's headers and nothing more (for files: each one's first 8 + N bytes), the files
 * closed again: for loaders that hand the files to another reader (ONNX Runtime maps them).
 */
export async function readCheckpointHeaders(files: ModelFiles, options: { variant?: string } = {}): Promise<CheckpointHeaders> {
  const checkpoint = await openCheckpoint(files, options);
  await checkpoint.close();
  return { files: checkpoint.files, shards: checkpoint.shards.map(({ file, header }) => ({ file, header })) };
}

/**
 * A sharded checkpoint's index: each key's shard, and the shard files in first-seen order. Shard
 * names come from the repo, so each is checked as a repo path (no '..', no absolute path).
 */
export function parseCheckpointIndex(text: string, where: string): { shards: string[]; weightMap: Map<string, string> } {
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new CheckpointError(`${where}: no weight_map object`);
  }
  const weightMap = new Map<string, string>();
  for (const [key, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string') throw new CheckpointError(`${where}: weight_map["${key}"] is not a file name`);
    weightMap.set(key, checkRepoPath(shard, where, 'shard file name'));
  }
  return { shards: [...new Set(weightMap.values())], weightMap };
}

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

function matches(key: string, filters: KeyFilter): boolean {
  return filters.some((f) => (typeof f === 'string' ? f === key : f.test(key)));
}

/**
 * Strict loading, all problems at once: every expected key present with its exact shape and a
 * float dtype; any other key is an error unless `ignore` lists it. Throws naming each key.
 */
export function checkCheckpoint(
  checkpoint: CheckpointHeaders,
  expected: ReadonlyMap<string, readonly number[]>,
  ignore: KeyFilter,
  where: string,
  modelName: string,
): void {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { file, header } of checkpoint.shards) {
    for (const t of header.tensors) {
      const other = seen.get(t.name);
      if (other !== undefined) problems.push(`duplicate key "${t.name}" in ${other} and ${file}`);
      seen.set(t.name, file);
      const want = expected.get(t.name);
      if (want) {
        if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
          problems.push(`wrong shape for "${t.name}": expected ${shapeStr(want)}, found ${shapeStr(t.shape)} (${file})`);
        } else if (!FLOAT_DTYPES.includes(t.dtype)) {
          problems.push(`"${t.name}" has dtype ${t.dtype}; weights must be F32, F16, BF16 or F64 (${file})`);
        }
      } else if (!matches(t.name, ignore)) {
        problems.push(`unexpected key "${t.name}" ${shapeStr(t.shape)} (${file})`);
      }
    }
  }
  for (const [key, shape] of expected) {
    if (!seen.has(key)) problems.push(`missing key "${key}" (expected shape ${shapeStr(shape)})`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 25);
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    throw new CheckpointError(
      `${where}: checkpoint does not match ${modelName} (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${shown.join('\n  ')}`,
    );
  }
}

/** One weight as float32, by its Hugging Face key. */
export interface Float32Weight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Yields the expected tensors shard by shard in file order, each widened to float32 as it
 * arrives, so only one tensor's source bytes are alive at a time (for folders and URLs). A NaN
 * or infinite value is an error naming the tensor: it would otherwise turn every embedding into
 * NaN without a word. Each shard is closed once read.
 */
export function iterateCheckpointFloat32(checkpoint: OpenCheckpoint, expected: ReadonlyMap<string, readonly number[]>): AsyncGenerator<Float32Weight> {
  return iterateCheckpoint(checkpoint, expected, (info, bytes, file) => {
    const data = floatBytesToFloat32(info.dtype, bytes);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw nonFiniteError(info.name, file, info.shape, bad, data[bad]!);
    return { name: info.name, shape: info.shape, data };
  });
}

/**
 * The expected tensors' stored bytes, shard by shard in file order, each made into a `T` by
 * `convert` as it arrives (one tensor's bytes alive at a time); each shard closed once read.
 */
export async function* iterateCheckpoint<T>(
  checkpoint: OpenCheckpoint,
  expected: ReadonlyMap<string, readonly number[]>,
  convert: (info: SafetensorsTensorInfo, bytes: Uint8Array, file: string) => T,
): AsyncGenerator<T> {
  for (const { reader, header } of checkpoint.shards) {
    for await (const { info, bytes } of iterateTensorBytes(reader, header, (t) => expected.has(t.name))) yield convert(info, bytes, reader.name);
    await reader.close();
  }
}

/** The error for a weight holding NaN or ±Infinity at flat index `index`. */
export function nonFiniteError(name: string, file: string, shape: readonly number[], index: number, value: number): CheckpointError {
  const at: number[] = [];
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return new CheckpointError(
    `${file}: weight "${name}" holds ${value} at [${at.join(', ')}]: the checkpoint is corrupt (a broken fp16 conversion or ` +
      'a bad download); the model would output NaN. Re-download or re-convert it.',
  );
}
