import {
  CheckpointError,
  IGNORABLE_KEYS,
  addVariant,
  expectedWeights,
  isFullCLIPConfig,
  loadSafetensorsHeader,
  parseCLIPTextConfig,
  type CLIPTextConfig,
  type KeyFilter,
  type SafetensorsHeader,
} from '@sdtext/text-encoder';

/**
 * A local checkpoint folder's files, headers read and checked, without reading a weight: for
 * graphs whose initializers point into the safetensors files themselves (ORT maps them).
 *
 * File naming and the strict key check follow @sdtext/text-encoder's checkpoint.ts, which does not
 * export them (its loader reads every tensor). Same rules, same CheckpointError messages; when
 * text-encoder exports openCheckpoint/checkCheckpoint, this file should use them instead.
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

/** Keys of a full CLIPModel checkpoint that a text model does not use (as text-encoder's loader). */
const FULL_CLIP_EXTRA_KEYS: KeyFilter = [/^vision_model\./, 'visual_projection.weight', 'logit_scale', 'text_projection.weight'];
const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;
const matches = (key: string, filters: KeyFilter): boolean => filters.some((f) => (typeof f === 'string' ? f === key : f.test(key)));

export async function openCheckpointFiles(
  dir: string,
  options: { variant?: string; withProjection?: boolean; ignoreKeys?: KeyFilter },
): Promise<CheckpointFiles> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const read = async (name: string): Promise<string | null> => {
    try {
      return await fs.promises.readFile(path.join(dir, name), 'utf8');
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return null;
      throw e;
    }
  };
  const configText = await read('config.json');
  if (configText === null) throw new Error(`${dir}: no config.json`);
  let configJson: unknown;
  try {
    configJson = JSON.parse(configText);
  } catch (e) {
    throw new Error(`${dir}/config.json: not valid JSON (${(e as Error).message})`);
  }
  const config = parseCLIPTextConfig(configJson, `${dir}/config.json`);
  const archs = (configJson as { architectures?: unknown }).architectures;
  const withProjection = options.withProjection ?? (Array.isArray(archs) && archs.includes('CLIPTextModelWithProjection'));

  const { variant } = options;
  const single = addVariant('model.safetensors', variant);
  let files: string[] | null = fs.existsSync(path.join(dir, single)) ? [single] : null;
  const indexNames = [addVariant('model.safetensors.index.json', variant), ...(variant ? [`model.${variant}.safetensors.index.json`] : [])];
  for (const indexName of files ? [] : indexNames) {
    const text = await read(indexName);
    if (text === null) continue;
    let map: unknown;
    try {
      map = (JSON.parse(text) as { weight_map?: unknown } | null)?.weight_map;
    } catch (e) {
      throw new CheckpointError(`${dir}/${indexName}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError(`${dir}/${indexName}: no weight_map object`);
    files = [...new Set(Object.values(map))] as string[];
    if (files.some((f) => typeof f !== 'string' || f.includes('..') || f.includes('/'))) throw new CheckpointError(`${dir}/${indexName}: bad shard name in weight_map`);
    for (const f of files) {
      if (!fs.existsSync(path.join(dir, f))) throw new CheckpointError(`${dir}/${indexName} lists shard ${f}, which does not exist`);
    }
    break;
  }
  if (!files) {
    throw new CheckpointError(
      `${dir}: no weights found: tried ${[single, ...indexNames].join(', ')}` +
        (variant ? '' : ' (for an fp16 checkpoint pass variant: "fp16")') +
        '; only safetensors checkpoints are supported',
    );
  }
  const shards = await Promise.all(files.map(async (file) => ({ file, path: path.join(dir, file), header: await loadSafetensorsHeader(path.join(dir, file)) })));

  // Strict: every expected key with its exact shape and a float dtype; others only if ignorable.
  const expected = expectedWeights(config, { withProjection });
  const ignore: KeyFilter = [...IGNORABLE_KEYS, ...(isFullCLIPConfig(configJson) ? FULL_CLIP_EXTRA_KEYS : []), ...(options.ignoreKeys ?? [])];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { file, header } of shards) {
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
  for (const [key, shape] of expected) if (!seen.has(key)) problems.push(`missing key "${key}" (expected shape ${shapeStr(shape)})`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 25);
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    const modelName = withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel';
    throw new CheckpointError(
      `${dir} (${files.join(', ')}): checkpoint does not match ${modelName} (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${shown.join('\n  ')}`,
    );
  }
  return { config, withProjection, shards };
}
