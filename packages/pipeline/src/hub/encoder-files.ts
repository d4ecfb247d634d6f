import { checkpointFileNames, noWeightsError, parseCheckpointIndex } from '@sdtext/core';

/** Puts one repo file in the disk cache; null when the repo has none and it is not `required`. */
export type FetchRepoFile = (path: string, required: boolean) => Promise<{ localPath: string } | null>;

/**
 * Downloads a text encoder folder's files, the ones its loaders read: config.json, then the
 * checkpoint under the names @sdtext/core's loader tries (`model[.variant].safetensors`, else a
 * sharded index and every shard it lists, each shard name checked as a repo path by the index
 * parser). Returns config.json's cache entry.
 */
export async function fetchEncoderFiles(
  repoName: string,
  folder: string,
  variant: string | undefined,
  fetchFile: FetchRepoFile,
): Promise<{ localPath: string }> {
  const at = (file: string): string => (folder === '' ? file : `${folder}/${file}`);
  const config = (await fetchFile(at('config.json'), true))!;
  const { single, indexNames } = checkpointFileNames(variant);
  if ((await fetchFile(at(single), false)) !== null) return config;
  for (const name of indexNames) {
    const indexFile = await fetchFile(at(name), false);
    if (indexFile === null) continue;
    const { readFile } = await import('node:fs/promises');
    const { shards } = parseCheckpointIndex(await readFile(indexFile.localPath, 'utf8'), `${repoName}/${at(name)}`);
    for (const shard of shards) await fetchFile(at(shard), true);
    return config;
  }
  throw noWeightsError(`${repoName}/${folder || '.'}`, variant);
}
