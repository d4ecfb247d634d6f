import { addVariant } from '@sdtext/text-encoder';

/** Puts one repo file in the disk cache; null when the repo has none and it is not `required`. */
export type FetchRepoFile = (path: string, required: boolean) => Promise<{ localPath: string } | null>;

/**
 * Downloads a text encoder folder's files, the ones its loaders read: config.json, then
 * `model[.variant].safetensors`, else the sharded index (both of HF's names for a variant) and
 * every shard it lists. Returns config.json's cache entry.
 */
export async function fetchEncoderFiles(
  repoName: string,
  folder: string,
  variant: string | undefined,
  fetchFile: FetchRepoFile,
): Promise<{ localPath: string }> {
  const at = (file: string): string => (folder === '' ? file : `${folder}/${file}`);
  const config = (await fetchFile(at('config.json'), true))!;
  const single = addVariant('model.safetensors', variant);
  if ((await fetchFile(at(single), false)) !== null) return config;
  const indexNames = [addVariant('model.safetensors.index.json', variant)];
  if (variant) indexNames.push(`model.${variant}.safetensors.index.json`);
  for (const name of indexNames) {
    const indexFile = await fetchFile(at(name), false);
    if (indexFile === null) continue;
    const { readFile } = await import('node:fs/promises');
    const map = (JSON.parse(await readFile(indexFile.localPath, 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
    for (const shard of new Set(Object.values(map))) await fetchFile(at(shard), true);
    return config;
  }
  throw new Error(`${repoName}/${folder || '.'}: no weights found: tried ${[single, ...indexNames].join(', ')}`);
}
