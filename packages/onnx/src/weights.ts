import * as tf from '@tensorflow/tfjs-core';
import type { GraphWeights, WeightTensor } from './graph/graph-context.js';
import {
  CLIPTextModel,
  CLIPTextModelWithProjection,
  WeightScope,
  loadPretrained,
  resolveModelFiles,
  type CLIPTextConfig,
  type FromPretrainedOptions,
  type ModelSource,
} from '@sdtext/text-encoder';

export type { WeightTensor };

export interface CheckpointWeights {
  config: CLIPTextConfig;
  /** Whether the checkpoint is a CLIPTextModelWithProjection (has text_projection.weight). */
  withProjection: boolean;
  /** Every weight the model uses, by Hugging Face key. */
  tensors: Map<string, WeightTensor>;
}

export interface LoadWeightsOptions extends Omit<FromPretrainedOptions, 'backend'> {
  /** Load as CLIPTextModelWithProjection. Default: from config.json's `architectures`. */
  withProjection?: boolean;
}

/** Whether a parsed config.json's `architectures` names CLIPTextModelWithProjection. */
export function namesProjection(configJson: unknown): boolean {
  const archs = (configJson as { architectures?: unknown } | null)?.architectures;
  return Array.isArray(archs) && archs.includes('CLIPTextModelWithProjection');
}

/** Whether a config.json names CLIPTextModelWithProjection. */
export async function configHasProjection(source: ModelSource, options: LoadWeightsOptions): Promise<boolean> {
  const text = await resolveModelFiles(source, options.subfolder ?? '', options.fetch).readText('config.json');
  if (text === null) return false; // loadPretrained reports the missing file
  try {
    return namesProjection(JSON.parse(text));
  } catch {
    return false; // loadPretrained reports the bad JSON
  }
}

/**
 * Reads a Hugging Face checkpoint through the tfjs engine's own loader (config validation,
 * variants, shards, strict key and shape checks, F16/BF16 widening), on tfjs's `cpu` backend,
 * whose tensors are plain Float32Arrays: the arrays are taken as they are, with no copy.
 * The previously active tfjs backend is restored afterwards.
 */
export async function loadCheckpointWeights(source: ModelSource, options: LoadWeightsOptions = {}): Promise<CheckpointWeights> {
  const withProjection = options.withProjection ?? (await configHasProjection(source, options));
  const previous: string | undefined = tf.engine().backendName;
  const captured = new Map<string, tf.Tensor>();
  let config: CLIPTextConfig | undefined;
  const model = await loadPretrained(source, { ...options, backend: 'cpu' }, (vs, cfg) => {
    captured.clear();
    config = cfg;
    // Pass-through scope: the model asks for each key by its full path; remember what it got.
    const root = WeightScope.over({
      take(key, shape) {
        const t = vs.get(key, shape);
        captured.set(key, t);
        return t;
      },
    });
    return withProjection ? new CLIPTextModelWithProjection(root, cfg) : new CLIPTextModel(root, cfg);
  });
  try {
    const tensors = new Map<string, WeightTensor>();
    for (const [key, t] of captured) tensors.set(key, { data: t.dataSync() as Float32Array, shape: t.shape });
    return { config: config!, withProjection, tensors };
  } finally {
    model.dispose(); // the arrays live on in `tensors`; tfjs forgets them
    if (previous && previous !== 'cpu') await tf.setBackend(previous);
  }
}

/**
 * The loaded arrays as a graph's weight source: each becomes an initializer (inline or in-memory
 * external data, as the builder says) and leaves `tensors`, so the graph holds the only reference.
 */
export function memoryWeights(weights: CheckpointWeights): GraphWeights {
  const take = (key: string): WeightTensor => {
    const t = weights.tensors.get(key);
    if (!t) throw new Error(`weight "${key}" missing or already used`);
    weights.tensors.delete(key);
    return t;
  };
  return {
    config: weights.config,
    withProjection: weights.withProjection,
    take,
    initializer(g, key) {
      const { data, shape } = take(key);
      return g.weight(key, data, shape);
    },
    embedding(g, key, ids) {
      return g.op('Gather', [this.initializer(g, key), ids]);
    },
  };
}
