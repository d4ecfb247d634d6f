// The cells' runtime, inside the cells' worker (src/lib/cell-worker.ts): the text encoder on the
// engine and backend the bar asked for (or auto's choice), the demo model from the site or SD2 from
// the hub. The model lives here only: the page's widgets ask this worker for what they draw. Each
// worker loads one configuration, once; the page starts another worker for another choice.
import type { LoadReport, ModelChoice, RuntimeConfig } from './contracts';
import { ENGINE_LABELS, TINY_PATH } from './contracts';
import { modelSize, planLoad, type ModelSize, type Platform } from './engine-choice';
import { loadTextEncoderPackage } from './lazy';
import { EngineStartError, type LoadContext } from './load-context';
import { isOnline, sd2CacheStatus } from './sd2-cache';
import type { SiteEncoder } from './site-encoder';

let config: RuntimeConfig | null = null;
let report: (patch: Partial<LoadReport>) => void = () => undefined;
let encoder: Promise<SiteEncoder> | null = null;

/** Called once, with the page's choices and where to send load reports. */
export function configureRuntime(next: RuntimeConfig, onReport: (patch: Partial<LoadReport>) => void): void {
  config = next;
  report = onReport;
}

function current(): RuntimeConfig {
  if (!config) throw new Error('the cells\' worker was not configured');
  return config;
}

/** An absolute URL under the site's base. */
export function siteUrl(path: string): string {
  return new URL(current().baseUrl + path.replace(/^\//, ''), globalThis.location.href).href;
}

/** What this browser offers: isolation (wasm threads), cores, and the kind of WebGPU adapter. */
async function readPlatform(): Promise<Platform> {
  // Typed here: adapter.info (vendor, architecture, isFallbackAdapter) is newer than TypeScript's DOM types.
  type Adapter = { info?: Record<string, unknown>; isFallbackAdapter?: boolean };
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
  let webgpu: Platform['webgpu'] = 'none';
  try {
    const adapter = gpu ? await gpu.requestAdapter() : null;
    if (adapter) {
      const info = adapter.info ?? {};
      const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || /swiftshader|llvmpipe|software/i.test(Object.values(info).join(' '));
      webgpu = software ? 'software' : 'hardware';
    }
  } catch {
    webgpu = 'none';
  }
  return { isolated: globalThis.crossOriginIsolated === true, cores: Math.max(1, navigator.hardwareConcurrency || 1), webgpu };
}

/** The size of the model about to load (the demo's config is a 554-byte file). */
async function sizeOf(choice: ModelChoice): Promise<ModelSize> {
  if (choice === 'sd2') return modelSize((await loadTextEncoderPackage()).SD2_TEXT_CONFIG);
  const response = await fetch(siteUrl(`${TINY_PATH}text_model/config.json`));
  if (!response.ok) throw new Error(`demo model config: HTTP ${response.status}`);
  return modelSize((await response.json()) as { hidden_size: number; intermediate_size: number; num_hidden_layers: number });
}

async function load(): Promise<SiteEncoder> {
  const { engine, backend, model, hubEndpoint } = current();
  report({ phase: 'loading', error: null, progress: null, skipped: [], inUse: null });
  const offline = !isOnline();
  if (model === 'sd2' && offline && !(await sd2CacheStatus(hubEndpoint)).complete) {
    throw new Error('you are offline and the SD2 text encoder is not in this browser\'s cache: the demo model works offline.');
  }
  const [size, platform] = await Promise.all([sizeOf(model), readPlatform()]);
  const plan = planLoad(engine, backend, size, platform);
  const skipped = [...plan.notes];
  report({ autoReason: plan.reason, skipped });
  const ctx: LoadContext = {
    siteUrl,
    hubEndpoint,
    offline,
    platform,
    skip: (reason) => {
      skipped.push(reason);
      report({ skipped: [...skipped] });
    },
    onProgress: (progress) => report({ progress }),
  };
  const failures: string[] = [];
  for (const attempt of plan.attempts) {
    try {
      const loaded =
        attempt.engine === 'onnx'
          ? await (await import('./load-onnx')).loadOnOnnx(attempt.backends, model, ctx)
          : await (await import('./load-tfjs')).loadOnTfjs(attempt.backends, model, ctx);
      report({ phase: 'ready', progress: null, inUse: loaded.inUse });
      return loaded;
    } catch (error) {
      // The engine could not start here: try the next one (the plan has two only under auto).
      if (!(error instanceof EngineStartError) || attempt === plan.attempts[plan.attempts.length - 1]) throw error;
      failures.push(error.message);
      ctx.skip(`${ENGINE_LABELS[attempt.engine]}: ${error.message}`);
    }
  }
  throw new Error(failures.join('; '));
}

/** The text encoder, loaded on first use (a failed load is tried again on the next). */
export function loadEncoder(): Promise<SiteEncoder> {
  if (encoder) return encoder;
  const promise = load();
  encoder = promise;
  promise.catch((error: unknown) => {
    encoder = null;
    report({ phase: 'error', progress: null, error: error instanceof Error ? error.message : String(error) });
  });
  return promise;
}
