import type { CLIPTextConfig, ModelSource } from '@sdtext/text-encoder';
import { GRAPH_VERSION, compiledEntryDir, publishCompiledEntry, readCompiledEntry } from './compiled-cache.js';
import { buildClipTextGraph } from './graph/clip-text-graph.js';
import { collectGarbage, writeModelFolder, writeTempModelFolder } from './model-folder.js';
import type { OnnxModelOptions } from './onnx-clip-text-model.js';
import { defaultRuntime } from './runtime.js';
import { createSession, type OrtSession } from './session.js';
import { loadCheckpointWeights, type LoadWeightsOptions } from './weights.js';

export interface OnnxFromPretrainedOptions extends LoadWeightsOptions, OnnxModelOptions {
  /**
   * How onnxruntime-node gets the weights: 'temp-folder' (default in Node) writes the graph and
   * weights to a temporary folder that ORT memory-maps (lowest peak memory; removed once the
   * session exists); 'memory' hands them over as in-memory external data (ORT copies them).
   * onnxruntime-web always uses 'memory'.
   */
  weightTransfer?: 'temp-folder' | 'memory';
  /** Where the temporary folder goes (default: os.tmpdir()). It needs room for the float32 weights. */
  tempDir?: string;
  /**
   * A folder to keep built models in (Node, local folder sources), e.g. ~/.cache/sdtext/onnx:
   * the first load writes the graph and float32 weights there (1.4 GB for SD2) instead of a
   * temporary folder; later loads of the same checkpoint only make the session.
   */
  compiledCacheDir?: string;
}

/** Where a session's graph came from. */
export type LoadedFrom = 'checkpoint' | 'compiled-cache' | 'onnx-file';

const joinPath = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

/**
 * A session for a safetensors checkpoint: its weights read (and checked) by the tfjs engine's
 * loader, the fused graph built around them, then handed to ORT: in Node through a folder ORT
 * memory-maps (temporary, or a compiled-cache entry reused by later loads), in browsers as
 * in-memory external data.
 */
export async function checkpointSession(
  source: ModelSource,
  options: OnnxFromPretrainedOptions,
): Promise<{ session: OrtSession; config: CLIPTextConfig; loadedFrom: LoadedFrom }> {
  const runtime = options.runtime ?? defaultRuntime();
  const byPath = runtime === 'node' && (options.weightTransfer ?? 'temp-folder') === 'temp-folder';
  const entry =
    byPath && options.compiledCacheDir && typeof source === 'string' && !/^https?:\/\//i.test(source)
      ? await compiledEntryDir(options.compiledCacheDir, joinPath(source, options.subfolder ?? ''), {
          variant: options.variant ?? null,
          withProjection: options.withProjection ?? null,
          ignoreKeys: (options.ignoreKeys ?? []).map(String),
        })
      : null;
  if (entry) {
    const meta = await readCompiledEntry(entry);
    if (meta) {
      const session = await createSession(`${entry}/model.onnx`, [], { ...options, runtime });
      return { session, config: meta.config, loadedFrom: 'compiled-cache' };
    }
  }

  const weights = await loadCheckpointWeights(source, options);
  const graph = buildClipTextGraph(weights, { style: 'fused', weights: 'external', hiddenStates: true, transposeWeights: runtime === 'web' });
  if (!byPath) {
    const session = await createSession(concat(graph.chunks, graph.byteLength), graph.externalFiles, { ...options, runtime });
    return { session, config: weights.config, loadedFrom: 'checkpoint' };
  }
  if (entry) {
    const tmp = `${entry}.tmp-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    await writeModelFolder(tmp, graph.chunks, graph.externalFiles);
    const meta = { graphVersion: GRAPH_VERSION, config: weights.config, withProjection: weights.withProjection };
    const modelPath = await publishCompiledEntry(tmp, entry, meta);
    await collectGarbage(); // free the JS copies before ORT maps its own
    const session = await createSession(modelPath, [], { ...options, runtime });
    return { session, config: weights.config, loadedFrom: 'checkpoint' };
  }
  const folder = await writeTempModelFolder(graph.chunks, graph.externalFiles, options.tempDir);
  try {
    await collectGarbage(); // free the JS copies before ORT maps its own
    const session = await createSession(folder.modelPath, [], { ...options, runtime });
    return { session, config: weights.config, loadedFrom: 'checkpoint' };
  } finally {
    await folder.remove(); // ORT has read (or mapped) everything by now
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
