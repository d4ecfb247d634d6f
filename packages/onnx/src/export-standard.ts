import type { ModelSource } from '@sdtext/core';
import { buildClipTextGraph } from './graph/clip-text-graph.js';
import { loadCheckpointWeights, memoryWeights, type LoadWeightsOptions } from './weights.js';

export interface ExportOptions extends LoadWeightsOptions {
  /** Also output hidden_states.0 .. hidden_states.<layers>. Default false (as Optimum exports). */
  hiddenStates?: boolean;
}

/** protobuf messages cannot exceed 2 GiB; bigger models need ONNX external data (not written here). */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/**
 * The checkpoint as a self-contained, standard-ops-only ONNX model (opset 17, no contrib ops),
 * shaped as torch.onnx / Optimum export HF's CLIPTextModel: inputs input_ids and attention_mask
 * (int64 [batch, sequence]), outputs last_hidden_state, pooler_output [, text_embeds]. Returns
 * the encoded model as chunks (write them in order).
 */
export async function buildStandardOnnx(
  source: ModelSource,
  options: ExportOptions = {},
): Promise<{ chunks: Uint8Array[]; byteLength: number }> {
  const weights = memoryWeights(await loadCheckpointWeights(source, options));
  const graph = buildClipTextGraph(weights, { style: 'standard', weights: 'inline', hiddenStates: options.hiddenStates ?? false });
  if (graph.byteLength > PROTOBUF_LIMIT) {
    throw new Error(`the model is ${graph.byteLength} bytes, over protobuf's 2 GiB limit for one file`);
  }
  return { chunks: graph.chunks, byteLength: graph.byteLength };
}

/** Writes buildStandardOnnx's model to `outFile` (Node). Returns the file's size in bytes. */
export async function exportStandardOnnx(source: ModelSource, outFile: string, options: ExportOptions = {}): Promise<number> {
  const { chunks, byteLength } = await buildStandardOnnx(source, options);
  const fs = await import('node:fs');
  const path = await import('node:path');
  await fs.promises.mkdir(path.dirname(outFile), { recursive: true });
  // Written beside the target and renamed at the end: an interrupted export leaves no half model.
  const partial = `${outFile}.partial-${process.pid}`;
  const handle = await fs.promises.open(partial, 'w');
  try {
    for (const chunk of chunks) await handle.write(chunk);
    await handle.close();
    await fs.promises.rename(partial, outFile);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(partial, { force: true });
    throw e;
  }
  return byteLength;
}
