import { modifiesWeights, type CLIPTextConfig, type ModelSource } from '@sdtext/core';
import { GRAPH_VERSION, compiledEntryDir, publishCompiledEntry, readCompiledEntry } from './compiled-cache.js';
import { openCheckpointFiles } from './checkpoint-files.js';
import { buildClipTextGraph } from './graph/clip-text-graph.js';
import { checkQ8Dtype } from './graph/quantize-q8.js';
import { LinkUnavailableError, linkCheckpointFolder } from './linked-folder.js';
import { mappedWeights } from './mapped-weights.js';
import { concatChunks } from './onnx/proto-writer.js';
import { collectGarbage, writeModelFolder, writeTempModelFolder } from './model-folder.js';
import type { OnnxModelOptions } from './onnx-clip-text-model.js';
import { defaultRuntime, hasWebGpu } from './runtime.js';
import { createSession, type OrtSession } from './session.js';
import { warmUpRuntime } from './warm-up.js';
import { loadCheckpointWeights, memoryWeights, storedMemoryWeights, type LoadWeightsOptions } from './weights.js';

export interface OnnxFromPretrainedOptions extends LoadWeightsOptions, OnnxModelOptions {
  /**
   * How onnxruntime-node gets the weights (onnxruntime-web always takes them from memory):
   * - 'link' (default, local folders): the graph's initializers point into the safetensors files,
   *   hard-linked into a temporary folder; ORT maps them and folds float16 to float32 itself.
   *   Nothing is read or widened in JavaScript. Falls back to 'temp-folder' where linking fails.
   * - 'temp-folder': the tfjs engine's loader reads the weights, which are written as float32
   *   to a temporary folder ORT maps (any source: URLs, FileSources).
   * - 'memory': in-memory external data, each weight in its stored width (core's storedWeights;
   *   ORT widens them natively); what onnxruntime-web always gets.
   * A single file, LoRAs or extra embeddings (changed weights) turn 'link' into 'temp-folder'.
   */
  weightTransfer?: WeightTransfer;
  /** Where temporary folders go (default: os.tmpdir()); for 'link', on the checkpoint's filesystem. */
  tempDir?: string;
  /**
   * A folder to keep built models in (Node, local folder sources), e.g. ~/.cache/sdtext/onnx:
   * the first load writes the graph and float32 weights there (1.4 GB for SD2); later loads of
   * the same checkpoint only make the session.
   */
  compiledCacheDir?: string;
  /**
   * 'fp32' (default): the exact model. 'q8': opt in to speed over exactness (see the README): every
   * encoder layer's Linear weights become int8 per output channel at load, activations are
   * quantized per call (ONNX Runtime's DynamicQuantizeMatMul, integer GEMM kernels). Weights are
   * then read in JavaScript (no 'link', no compiled cache); outputs differ from the model's.
   */
  dtype?: 'fp32' | 'q8';
}

export type WeightTransfer = 'link' | 'temp-folder' | 'memory';

/** Where a session's graph came from. */
export type LoadedFrom = 'checkpoint' | 'compiled-cache' | 'onnx-file';

const joinPath = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

/**
 * A session for a safetensors checkpoint, the fused graph built around its weights. In Node, for
 * a local folder: a compiled-cache entry if asked for, else the checkpoint files themselves
 * (hard-linked; see weightTransfer). Otherwise @sdtext/core reads (and checks) the weights, handed
 * to ORT in memory as stored (browsers, 'memory'; float32 where q8 needs them) or widened through a
 * temporary folder it maps (Node).
 */
export async function checkpointSession(
  source: ModelSource,
  options: OnnxFromPretrainedOptions,
): Promise<{ session: OrtSession; config: CLIPTextConfig; loadedFrom: LoadedFrom; weightTransfer?: WeightTransfer }> {
  const runtime = options.runtime ?? defaultRuntime();
  // A single file, a LoRA or added embeddings change the weights: they must be read in JavaScript
  // (core's weight stream), never mapped from the files as stored, nor cached as the plain checkpoint.
  const quantize = checkQ8Dtype(options.dtype) === 'q8' ? 'q8' : null;
  // Quantized weights are made from the float ones in JavaScript, like modified ones.
  const modified = modifiesWeights(options) || quantize !== null;
  const transfer = runtime === 'web' ? 'memory' : modified && (options.weightTransfer ?? 'link') === 'link' ? 'temp-folder' : (options.weightTransfer ?? 'link');
  const folder = typeof source === 'string' && !/^https?:\/\//i.test(source) ? joinPath(source, options.subfolder ?? '') : null;
  const sessionOptions = { ...options, runtime };

  if (runtime === 'node' && folder && options.compiledCacheDir && !modified) {
    const entry = await compiledEntryDir(options.compiledCacheDir, folder, {
      variant: options.variant ?? null,
      withProjection: options.withProjection ?? null,
      ignoreKeys: (options.ignoreKeys ?? []).map(String),
    });
    const meta = entry ? await readCompiledEntry(entry) : null;
    if (entry && meta) {
      return { session: await createSession(`${entry}/model.onnx`, [], sessionOptions, 'basic'), config: meta.config, loadedFrom: 'compiled-cache' };
    }
    if (entry) {
      const weights = await loadCheckpointWeights(source, options);
      const { config, withProjection } = weights;
      const graph = buildClipTextGraph(memoryWeights(weights), { style: 'fused', weights: 'external', hiddenStates: true, attentions: true, inputsEmbeds: true });
      const tmp = `${entry}.tmp-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      await writeModelFolder(tmp, graph.chunks, graph.externalFiles);
      const modelPath = await publishCompiledEntry(tmp, entry, { graphVersion: GRAPH_VERSION, config, withProjection });
      await collectGarbage(); // free the JS copies before ORT maps its own
      return { session: await createSession(modelPath, [], sessionOptions, 'basic'), config, loadedFrom: 'checkpoint', weightTransfer: 'temp-folder' };
    }
  }

  if (transfer === 'link' && folder) {
    const files = await openCheckpointFiles(folder, options);
    let linked: Awaited<ReturnType<typeof linkCheckpointFolder>> | null = null;
    try {
      linked = await linkCheckpointFolder(files, options.tempDir);
    } catch (e) {
      if (!(e instanceof LinkUnavailableError)) throw e; // then read the weights ourselves, below
    }
    if (linked) {
      try {
        const graph = buildClipTextGraph(mappedWeights(files, linked.locations), { style: 'fused', weights: 'external', hiddenStates: true, attentions: true, inputsEmbeds: true });
        const modelPath = await writeModelFolder(linked.dir, graph.chunks, []);
        const session = await createSession(modelPath, [], sessionOptions, 'basic');
        for (const shard of files.shards) {
          const size = shard.header.dataStart + (shard.header.tensors.at(-1)?.dataOffsets[1] ?? 0);
          options.onProgress?.({ file: shard.path, loaded: size, total: size }); // ORT read them
        }
        return { session, config: files.config, loadedFrom: 'checkpoint', weightTransfer: 'link' };
      } finally {
        await linked.remove(); // ORT has mapped what it keeps
      }
    }
  }

  // onnxruntime-web starts (wasm compiled, threads up) while the weights stream in.
  const warm = runtime === 'web' ? warmUpRuntime(sessionOptions) : Promise.resolve();
  // Only WebGPU's FusedMatMul ignores transB: there the graph multiplies by transposed weights
  // (Transpose nodes ORT folds at load). If WebGPU is asked first and then fails, wasm runs the
  // transposed graph (plain MatMul) just as well.
  const transposeWeights = runtime === 'web' && (options.executionProviders ?? (hasWebGpu() ? ['webgpu', 'wasm'] : ['wasm']))[0] === 'webgpu';
  if (transfer === 'memory' && quantize === null) {
    // The weights go to ORT in their stored width (16 bits for a float16 checkpoint): it widens
    // (and for WebGPU transposes) them natively when it makes the session.
    const { weights, files } = await storedMemoryWeights(source, options, { gatherAsStored: !transposeWeights });
    await warm;
    const graph = buildClipTextGraph(weights, { style: 'fused', weights: 'external', hiddenStates: true, attentions: true, inputsEmbeds: true, transposeWeights });
    const session = await createSession(concatChunks(graph.chunks, graph.byteLength), [...graph.externalFiles, ...files], sessionOptions, 'basic');
    return { session, config: weights.config, loadedFrom: 'checkpoint', weightTransfer: 'memory' };
  }
  const weights = await loadCheckpointWeights(source, options);
  const { config } = weights;
  const graph = buildClipTextGraph(memoryWeights(weights), {
    style: 'fused',
    weights: 'external',
    hiddenStates: true,
    attentions: true,
    inputsEmbeds: true,
    transposeWeights,
    quantize,
  });
  if (transfer === 'memory') {
    await warm;
    const session = await createSession(concatChunks(graph.chunks, graph.byteLength), graph.externalFiles, sessionOptions, 'basic');
    return { session, config, loadedFrom: 'checkpoint', weightTransfer: 'memory' };
  }
  const temp = await writeTempModelFolder(graph.chunks, graph.externalFiles, options.tempDir);
  try {
    await collectGarbage(); // free the JS copies before ORT maps its own
    return { session: await createSession(temp.modelPath, [], sessionOptions, 'basic'), config, loadedFrom: 'checkpoint', weightTransfer: 'temp-folder' };
  } finally {
    await temp.remove(); // ORT has read (or mapped) everything by now
  }
}
