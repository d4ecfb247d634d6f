import { folderFiles, openTextModelCheckpoint, type CLIPTextConfig, type KeyFilter, type SafetensorsHeader } from '@sdtext/core';

/**
 * A local checkpoint folder's files, headers read and checked, without reading a weight: for
 * graphs whose initializers point into the safetensors files themselves (ORT maps them). File
 * naming and the strict key check are @sdtext/core's (its CheckpointError messages).
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
  const { config, withProjection, checkpoint } = await openTextModelCheckpoint(folderFiles(dir), options);
  await checkpoint.close(); // ORT reads the files itself
  const shards = checkpoint.shards.map(({ file, header }) => ({ file, path: path.join(dir, file), header }));
  return { config, withProjection, shards };
}
