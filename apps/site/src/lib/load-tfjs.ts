// Loads the text encoder on TensorFlow.js (in the cells' worker): the first backend of `backends`
// that starts, then the demo model from the site or SD2 from the hub (Cache Storage after the first
// time). Under isolation tfjs's wasm backend runs its threaded build on every core.
import type { BackendName, ModelChoice } from './contracts';
import { SD2_REPO, SD2_REVISION, TINY_PATH } from './contracts';
import { loadChainedOps, loadPipelinePackage, loadTextEncoderPackage, loadTfCore, loadTfWasm } from './lazy';
import { EngineStartError, type LoadContext } from './load-context';
import type { SiteEncoder, Tf } from './site-encoder';

/** tfjs-core with the chained ops (`t.slice(...)`) that the full tfjs bundle registers. */
export async function loadTf(): Promise<Tf> {
  const [tf] = await Promise.all([loadTfCore(), loadChainedOps()]);
  return tf;
}

/**
 * tfjs's wasm backend sizes its thread pool as min(asked, navigator.hardwareConcurrency / 2): it
 * assumes two hardware threads per core, so on a 2-core machine it runs one thread whatever
 * setThreadsCount asks. While the backend starts, this worker's navigator reports twice its cores,
 * so the pool gets one thread per core; the real value is back as soon as it started.
 */
async function withCoresForTfjs<T>(cores: number, start: () => Promise<T>): Promise<T> {
  Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 2 * cores });
  try {
    return await start();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency; // the prototype's getter again
  }
}

/** Starts the first backend of `order` that works; what failed goes to `skipped`. */
async function startBackend(order: readonly BackendName[], ctx: LoadContext): Promise<{ backend: BackendName; threads: number | null }> {
  const { selectBackend } = await loadTextEncoderPackage();
  for (const candidate of order) {
    try {
      if (candidate === 'wasm') {
        // Both read when the backend starts. Importing the package registers the backend, after which
        // selectBackend no longer sets the paths itself: they are set here. The binaries are this
        // site's (scripts/prepare-static.mjs); the threaded build (isolated pages) makes this many threads.
        const { setThreadsCount, setWasmPaths } = await loadTfWasm();
        setWasmPaths(ctx.siteUrl('generated/tfjs-wasm/'));
        setThreadsCount(ctx.platform.isolated ? ctx.platform.cores : 1);
      }
      const isolatedWasm = candidate === 'wasm' && ctx.platform.isolated;
      const backend = isolatedWasm ? await withCoresForTfjs(ctx.platform.cores, () => selectBackend([candidate])) : await selectBackend([candidate]);
      const threads = backend === 'wasm' ? (await loadTfWasm()).getThreadsCount() : null;
      return { backend, threads };
    } catch (error) {
      const attempts = (error as { attempts?: { reason: string }[] }).attempts;
      ctx.skip(`tfjs ${candidate}: ${attempts?.[0]?.reason ?? (error instanceof Error ? error.message : String(error))}`);
    }
  }
  throw new EngineStartError(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}

export async function loadOnTfjs(order: readonly BackendName[], model: ModelChoice, ctx: LoadContext): Promise<SiteEncoder> {
  const tf = await loadTf();
  const { backend, threads } = await startBackend(order, ctx);
  const label = `tfjs (${backend}${threads === null ? '' : `, ${threads} thread${threads === 1 ? '' : 's'}`})`;
  const inUse = { engine: 'tfjs' as const, backend, threads, model, label };
  if (model === 'tiny') {
    const { TfjsTextEncoder } = await loadTextEncoderPackage();
    // No embedding cache: a cell's time is the forward pass it ran.
    const encoder = await TfjsTextEncoder.fromPretrained(ctx.siteUrl(TINY_PATH), { subfolder: 'text_model', cache: false });
    return { inUse, encoder, textEncoder: encoder.model, tf, dispose: () => encoder.dispose() };
  }
  const { TextPipeline } = await loadPipelinePackage();
  const pipe = await TextPipeline.fromPretrained(SD2_REPO, {
    revision: SD2_REVISION,
    backend,
    engineOptions: { cache: false },
    onProgress: ctx.onProgress,
    offline: ctx.offline,
    ...(ctx.hubEndpoint ? { endpoint: ctx.hubEndpoint } : {}),
  });
  return { inUse, encoder: pipe.encoder, textEncoder: pipe.textEncoder, tf, dispose: () => pipe.dispose() };
}
