import * as tf from '@tensorflow/tfjs-core';
import {
  checkCheckpoint,
  checkpointIgnoreKeys,
  iterateCheckpointFloat32,
  openCheckpoint,
  readModelConfig,
  resolveModelFiles,
  type CLIPTextConfig,
  type KeyFilter,
  type LoadProgress,
  type ModelSource,
} from '@sdtext/core';
import { hasRegisteredBackend, selectBackend, type BackendName } from './backends.js';
import type { Module } from './modules/module.js';
import { WeightScope } from './weight-scope.js';

export type { ModelSource };

export interface FromPretrainedOptions {
  /** Folder inside the source, e.g. "text_encoder" in a Stable Diffusion repo. */
  subfolder?: string;
  /** Weights variant: "fp16" loads `model.fp16.safetensors` (or its sharded index). */
  variant?: string;
  /** Backend(s) to select first (see selectBackend). Default: keep the active one, or pick the default order if none is registered. */
  backend?: BackendName | readonly BackendName[];
  /** Called as bytes arrive, per file. */
  onProgress?: (p: LoadProgress) => void;
  /** More checkpoint keys to skip (exact names or patterns), e.g. a full CLIP checkpoint's vision tower. */
  ignoreKeys?: KeyFilter;
  /** fetch for URL sources (defaults to globalThis.fetch). */
  fetch?: typeof fetch;
}

/**
 * Shared by the model classes' fromPretrained: read config.json, build the model on meta tensors
 * to learn the expected keys and shapes, check the checkpoint against them (all problems in one
 * error), read the tensors, then build the real model over them.
 */
export async function loadPretrained<M extends Module>(
  source: ModelSource,
  options: FromPretrainedOptions,
  build: (vs: WeightScope, config: CLIPTextConfig) => M,
): Promise<M> {
  const files = resolveModelFiles(source, options.subfolder ?? '', options.fetch);
  const { config, json: configJson } = await readModelConfig(files);

  if (options.backend !== undefined) await selectBackend(options.backend);
  else if (!hasRegisteredBackend()) await selectBackend();

  const meta = WeightScope.meta();
  const modelName = build(meta.vs, config).typeName;
  const ignore = checkpointIgnoreKeys(configJson, options.ignoreKeys);

  const checkpoint = await openCheckpoint(files, { variant: options.variant, onProgress: options.onProgress });
  try {
    checkCheckpoint(checkpoint, meta.expected, ignore, `${files.name} (${checkpoint.files.join(', ')})`, modelName);
    // Each weight becomes a tensor as it arrives (widened, checked finite): one tensor's bytes at a time.
    const tensors = new Map<string, tf.Tensor>();
    try {
      for await (const w of iterateCheckpointFloat32(checkpoint, meta.expected)) tensors.set(w.name, tf.tensor(w.data, w.shape, 'float32'));
      return build(WeightScope.fromTensors(tensors), config);
    } catch (e) {
      for (const t of tensors.values()) t.dispose();
      throw e;
    }
  } finally {
    await checkpoint.close();
  }
}
