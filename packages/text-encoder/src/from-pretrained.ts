import * as tf from '@tensorflow/tfjs-core';
import {
  openTextModelCheckpoint,
  resolveModelFiles,
  type CLIPTextConfig,
  type KeyFilter,
  type LoadProgress,
  type ModelSource,
  type TextModelCheckpointOptions,
} from '@sdtext/core';
import { hasRegisteredBackend, selectBackend, type BackendName } from './backends.js';
import type { Module } from './modules/module.js';
import { WeightScope } from './weight-scope.js';

export type { ModelSource };

export interface FromPretrainedOptions extends Pick<TextModelCheckpointOptions, 'singleFile' | 'lora' | 'extraEmbeddings'> {
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
 * Shared by the model classes' fromPretrained: @sdtext/core opens the checkpoint (config.json, or a
 * single file's header) and checks it strictly (all problems in one error) before a weight byte is
 * read; the model built on meta tensors must ask for exactly the keys core expects. The weights
 * then stream in through core (converted, LoRAs merged, extra embedding rows appended: the same
 * stream the ONNX engine reads), each becoming a tensor as it arrives.
 */
export async function loadPretrained<M extends Module>(
  source: ModelSource,
  options: FromPretrainedOptions,
  withProjection: boolean | undefined,
  build: (vs: WeightScope, config: CLIPTextConfig, withProjection: boolean) => M,
): Promise<M> {
  const files = resolveModelFiles(source, options.subfolder ?? '', options.fetch);
  if (options.backend !== undefined) await selectBackend(options.backend);
  else if (!hasRegisteredBackend()) await selectBackend();

  const opened = await openTextModelCheckpoint(files, { ...options, ...(withProjection !== undefined ? { withProjection } : {}) });
  try {
    const meta = WeightScope.meta();
    const modelName = build(meta.vs, opened.config, opened.withProjection).typeName;
    const differs = [...meta.expected].filter(([k, s]) => opened.expected.get(k)?.join() !== s.join());
    if (differs.length > 0 || meta.expected.size !== opened.expected.size) {
      throw new Error(`${modelName} asks for keys @sdtext/core does not expect: ${differs.map(([k]) => k).join(', ') || 'different key counts'}`);
    }
    // Each weight becomes a tensor as it arrives (widened, checked finite): one tensor's bytes at a time.
    const tensors = new Map<string, tf.Tensor>();
    try {
      for await (const w of opened.weights()) tensors.set(w.name, tf.tensor(w.data, w.shape, 'float32'));
      return build(WeightScope.fromTensors(tensors), opened.config, opened.withProjection);
    } catch (e) {
      for (const t of tensors.values()) t.dispose();
      throw e;
    }
  } finally {
    await opened.checkpoint.close();
  }
}
