import type * as ort from 'onnxruntime-common';
import type { ExternalFile } from './onnx/graph-builder.js';
import { defaultThreads, hasWebGpu, loadRuntime, RuntimeError, type OrtRuntime, type RuntimeName, type WebExecutionProvider } from './runtime.js';

export interface OnnxSessionOptions {
  /** 'node' (onnxruntime-node, default in Node) or 'web' (onnxruntime-web: wasm, WebGPU where present). */
  runtime?: RuntimeName;
  /** onnxruntime-web's providers in order of preference. Default: webgpu (when navigator.gpu exists), then wasm. */
  executionProviders?: readonly WebExecutionProvider[];
  /** Intra-op threads (native) or wasm threads. Default: the machine's cores. */
  threads?: number;
  /**
   * onnxruntime-node: let idle worker threads spin-wait for work (ORT's default). Off by default:
   * on a machine whose cores are shared (CI, a laptop running other work) spinning threads burn
   * the time slices the busy ones need; measured here at 1.6x faster forward passes with it off
   * under load. Turn it on for a dedicated machine.
   */
  spinWait?: boolean;
  /**
   * Let ORT repack the Linear weights into its GEMM layout when the session is made. Default: true
   * in Node, false in browsers. In Node an SD2-sized session is made in about 0.07 s without it
   * instead of 1.15 s, and each pass is about 10-20% slower (apps/bench/onnx-load-breakdown.mjs).
   * In a browser (onnxruntime-web, one thread packing) it took 1.9 s of a 6.2 s SD2 load while
   * passes stayed within the runs' noise (apps/bench/browser-bench.mjs): a page that encodes a few
   * prompts is ready sooner without it; pass true for many. Outputs are not bit-identical between the two
   * (another GEMM path; 4.5e-6 apart on SD2-shaped weights).
   */
  prepackWeights?: boolean;
  /** onnxruntime-web: where its .wasm files are served from (ort.env.wasm.wasmPaths). */
  wasmPaths?: string;
}

export interface OrtSession {
  runtime: OrtRuntime;
  session: ort.InferenceSession;
  /** e.g. "onnxruntime-node (cpu, 2 threads)". */
  backend: string;
}

/**
 * One session per model, made once and reused: intra-op threads = cores, one inter-op thread,
 * weight prepacking unless asked otherwise, and graph optimization level `optimization`:
 * - 'all' (default): ORT's fusions, for graphs made elsewhere (an exported model.onnx);
 * - 'basic': constant folding (the weights' Casts) and eliminations only, for the graphs built
 *   here, which are already fused: ORT's level 2 and 3 find nothing in them (graph-level.test.ts
 *   holds the outputs bit-identical) and took 0.3 s of session creation in a browser.
 */
export async function createSession(
  model: Uint8Array | string,
  externalFiles: readonly ExternalFile[],
  options: OnnxSessionOptions = {},
  optimization: 'basic' | 'all' = 'all',
): Promise<OrtSession> {
  const runtime = await loadRuntime(options.runtime);
  const threads = options.threads ?? (await defaultThreads());
  const common: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: optimization,
    logSeverityLevel: 3, // errors only: ORT's warnings (node placement notes) are not the caller's to act on
    ...(externalFiles.length > 0 ? { externalData: externalFiles.map((f) => ({ path: f.path, data: f.data })) } : {}),
  };
  if (runtime.name === 'node') {
    const nodeOptions: ort.InferenceSession.SessionOptions = {
      ...common,
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      extra: { session: sessionConfig(options) },
    };
    let session: ort.InferenceSession;
    try {
      session =
        typeof model === 'string'
          ? await runtime.ort.InferenceSession.create(model, nodeOptions)
          : await runtime.ort.InferenceSession.create(model, nodeOptions);
    } catch (e) {
      throw new RuntimeError(`onnxruntime-node could not create a session: ${(e as Error).message}`);
    }
    const notes = `${options.spinWait ? ', spinning' : ''}${options.prepackWeights === false ? ', weights not prepacked' : ''}`;
    return { runtime, session, backend: `onnxruntime-node (cpu, ${threads} threads${notes})` };
  }

  const { env } = runtime.ort;
  env.wasm.numThreads = threads; // read when the wasm module first starts
  if (options.wasmPaths !== undefined) env.wasm.wasmPaths = options.wasmPaths;
  const wanted = options.executionProviders ?? (hasWebGpu() ? ['webgpu', 'wasm'] : ['wasm']);
  const prepack = options.prepackWeights ?? false; // see OnnxSessionOptions.prepackWeights: a browser page wants the load
  const tried: string[] = [];
  for (const ep of wanted) {
    try {
      const webOptions = { ...common, executionProviders: [ep], ...(prepack ? {} : { extra: { session: { disable_prepacking: '1' } } }) };
      const session =
        typeof model === 'string'
          ? await runtime.ort.InferenceSession.create(model, webOptions)
          : await runtime.ort.InferenceSession.create(model, webOptions);
      return { runtime, session, backend: `onnxruntime-web (${ep}${ep === 'wasm' ? `, ${threads} threads` : ''}${prepack ? ', weights prepacked' : ''})` };
    } catch (e) {
      tried.push(`${ep}: ${(e as Error).message}`);
    }
  }
  throw new RuntimeError(`onnxruntime-web could not create a session; tried ${tried.join('; ')}`);
}

/** onnxruntime-node's session config entries for `spinWait` and `prepackWeights`. */
export function sessionConfig(options: Pick<OnnxSessionOptions, 'spinWait' | 'prepackWeights'>): Record<string, string> {
  return {
    ...(options.spinWait ? {} : { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' }),
    ...(options.prepackWeights === false ? { disable_prepacking: '1' } : {}),
  };
}
