import type * as ort from 'onnxruntime-common';
import type { ExternalFile } from '../onnx/graph-builder.js';
import { defaultThreads, hasWebGpu, loadRuntime, RuntimeError } from '../runtime.js';
import { sessionConfig, type OnnxSessionOptions, type OrtSession } from '../session.js';

/**
 * A session for a T5 graph whose weights stay in their stored 16 bits. Graph optimizations run
 * ("all": ORT's fusions), except constant folding, which would evaluate every weight's
 * Cast(bf16 -> float32) once at load and keep float32 copies (19 GB for T5-XXL instead of the
 * 9.5 GB file): the Casts run per forward pass instead, one weight at a time. Otherwise as
 * createSession: intra-op threads = cores, one inter-op thread, no spinning unless asked.
 * `weightsInMemory: 'float32'` lets the folding happen (see OnnxT5Options).
 */
export async function createT5Session(
  model: Uint8Array | string,
  externalFiles: readonly ExternalFile[],
  options: OnnxSessionOptions & { weightsInMemory?: 'stored' | 'float32' } = {},
): Promise<OrtSession> {
  const runtime = await loadRuntime(options.runtime);
  const threads = options.threads ?? (await defaultThreads());
  const common: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(externalFiles.length > 0 ? { externalData: externalFiles.map((f) => ({ path: f.path, data: f.data })) } : {}),
  };
  // 'float32' lets ORT fold the Casts at load (float32 weights, prepacked): faster passes, twice the memory of a 16-bit file.
  const noFolding = options.weightsInMemory === 'float32' ? {} : { optimization: { disable_specified_optimizers: 'ConstantFolding' } };
  const create = (opts: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> =>
    typeof model === 'string' ? runtime.ort.InferenceSession.create(model, opts) : runtime.ort.InferenceSession.create(model, opts);

  if (runtime.name === 'node') {
    try {
      const session = await create({ ...common, executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', extra: { session: sessionConfig(options), ...noFolding } });
      const notes = `${options.spinWait ? ', spinning' : ''}${options.prepackWeights === false ? ', weights not prepacked' : ''}`;
      return { runtime, session, backend: `onnxruntime-node (cpu, ${threads} threads${notes})` };
    } catch (e) {
      throw new RuntimeError(`onnxruntime-node could not create a session: ${(e as Error).message}`);
    }
  }

  const { env } = runtime.ort;
  env.wasm.numThreads = threads;
  if (options.wasmPaths !== undefined) env.wasm.wasmPaths = options.wasmPaths;
  const wanted = options.executionProviders ?? (hasWebGpu() ? ['webgpu', 'wasm'] : ['wasm']);
  const tried: string[] = [];
  for (const ep of wanted) {
    try {
      const session = await create({ ...common, executionProviders: [ep], extra: noFolding });
      return { runtime, session, backend: `onnxruntime-web (${ep}${ep === 'wasm' ? `, ${threads} threads` : ''})` };
    } catch (e) {
      tried.push(`${ep}: ${(e as Error).message}`);
    }
  }
  throw new RuntimeError(`onnxruntime-web could not create a session; tried ${tried.join('; ')}`);
}
