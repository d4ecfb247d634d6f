import {
  checkCheckpoint,
  checkpointIgnoreKeys,
  expectedWeights,
  folderFiles,
  readCheckpointHeaders,
  readModelConfig,
  type CLIPTextConfig,
  type KeyFilter,
  type SafetensorsHeader,
} from '@sdtext/text-encoder';
import { namesProjection } from './weights.js';

/**
 * A local checkpoint folder's files, headers read and checked, without reading a weight: for
 * graphs whose initializers point into the safetensors files themselves (ORT maps them). File
 * naming and the strict key check are @sdtext/text-encoder's (its CheckpointError messages).
 */

export interface CheckpointShard {
  /** File name in the folder, e.g. "model.fp16.safetensors". */
  file: string;
  path: string;
  header: SafetensorsHeader;
}

export interface CheckpointFiles {
  config: CLIPTextConfig;
  withProjection: boolean;
  shards: CheckpointShard[];
}

export async function openCheckpointFiles(
  dir: string,
  options: { variant?: string; withProjection?: boolean; ignoreKeys?: KeyFilter },
): Promise<CheckpointFiles> {
  const path = await import('node:path');
  const files = folderFiles(dir);
  const { config, json } = await readModelConfig(files);
  const withProjection = options.withProjection ?? namesProjection(json);
  const checkpoint = await readCheckpointHeaders(files, { variant: options.variant });
  checkCheckpoint(
    checkpoint,
    expectedWeights(config, { withProjection }),
    checkpointIgnoreKeys(json, options.ignoreKeys),
    `${files.name} (${checkpoint.files.join(', ')})`,
    withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel',
  );
  const shards = checkpoint.shards.map(({ file, header }) => ({ file, path: path.join(dir, file), header }));
  return { config, withProjection, shards };
}
