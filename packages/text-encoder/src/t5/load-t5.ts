import * as tf from '@tensorflow/tfjs-core';
import { resolveModelFiles, type ModelSource } from '@sdtext/core';
import { openT5EncoderCheckpoint, type T5CheckpointOptions, type T5Config } from '@sdtext/core/t5';
import { hasRegisteredBackend, selectBackend, type BackendName } from '../backends.js';
import type { Module } from '../modules/module.js';
import { WeightScope } from '../weight-scope.js';

export interface T5FromPretrainedOptions extends T5CheckpointOptions {
  /** Folder inside the source, e.g. "text_encoder_3" in an SD3 repo, "text_encoder_2" in Flux's. */
  subfolder?: string;
  /** Backend(s) to select first (see selectBackend). Default: keep the active one, or the default order if none is registered. */
  backend?: BackendName | readonly BackendName[];
  /** fetch for URL sources (defaults to globalThis.fetch). */
  fetch?: typeof fetch;
}

/**
 * @sdtext/core opens the checkpoint (config.json, or a lone file's shapes) and checks it strictly
 * before a weight byte is read; the module tree built on meta tensors must ask for exactly the
 * keys core expects; then each weight streams in widened to float32 (F16, BF16, F8, ComfyUI's
 * scaled fp8 dequantized) and becomes a tensor as it arrives.
 */
export async function loadT5Pretrained<M extends Module>(source: ModelSource, options: T5FromPretrainedOptions, build: (vs: WeightScope, config: T5Config) => M): Promise<M> {
  const files = resolveModelFiles(source, options.subfolder ?? '', options.fetch);
  if (options.backend !== undefined) await selectBackend(options.backend);
  else if (!hasRegisteredBackend()) await selectBackend();

  const opened = await openT5EncoderCheckpoint(files, options);
  try {
    const meta = WeightScope.meta();
    const modelName = build(meta.vs, opened.config).typeName;
    const differs = [...meta.expected].filter(([k, s]) => opened.expected.get(k)?.join() !== s.join());
    if (differs.length > 0 || meta.expected.size !== opened.expected.size) {
      throw new Error(`${modelName} asks for keys @sdtext/core does not expect: ${differs.map(([k]) => k).join(', ') || 'different key counts'}`);
    }
    const tensors = new Map<string, tf.Tensor>();
    try {
      for await (const w of opened.weights()) tensors.set(w.name, tf.tensor(w.data, w.shape, 'float32'));
      return build(WeightScope.fromTensors(tensors), opened.config);
    } catch (e) {
      for (const t of tensors.values()) t.dispose();
      throw e;
    }
  } finally {
    await opened.checkpoint.close();
  }
}
