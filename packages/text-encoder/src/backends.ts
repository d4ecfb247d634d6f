import * as tf from '@tensorflow/tfjs-core';
import type * as tfWasm from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Each backend package registers itself with tfjs-core when imported. The specifiers are literal
 * so bundlers can split them; nothing is imported until a backend is asked for.
 */
const LOADERS: Record<BackendName, () => Promise<unknown>> = {
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
};

export interface BackendAttempt {
  backend: string;
  reason: string;
}

export class BackendSelectionError extends Error {
  override name = 'BackendSelectionError';
  constructor(readonly attempts: BackendAttempt[]) {
    super(
      `no tfjs backend could be started; tried:\n${attempts.map((a) => `  ${a.backend}: ${a.reason}`).join('\n')}\n` +
        `valid backends: ${BACKEND_NAMES.join(', ')}`,
    );
  }
}

export interface SelectBackendOptions {
  /** Where the wasm backend's .wasm files are served from (browsers; Node finds them itself). */
  wasmPaths?: string | Record<string, string>;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** The default order: the fastest first. WebGPU/WebGL need a browser, so Node gets wasm, cpu. */
export function defaultBackendOrder(): BackendName[] {
  return isNode() ? ['wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu'];
}

async function loadBackend(name: BackendName, options: SelectBackendOptions): Promise<void> {
  if (tf.findBackendFactory(name) !== null) return;
  const mod = await LOADERS[name]();
  if (name === 'wasm' && options.wasmPaths !== undefined) {
    const { setWasmPaths } = mod as typeof tfWasm;
    setWasmPaths(options.wasmPaths);
  }
  if (tf.findBackendFactory(name) === null) throw new Error(`importing its package did not register it`);
}

/**
 * Makes the first backend of `preference` that starts the active tfjs backend and returns its
 * name; throws a BackendSelectionError listing each backend tried and why it failed.
 */
export async function selectBackend(
  preference: BackendName | readonly BackendName[] = defaultBackendOrder(),
  options: SelectBackendOptions = {},
): Promise<BackendName> {
  const order = typeof preference === 'string' ? [preference] : preference;
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      attempts.push({ backend: String(name), reason: 'unknown backend' });
      continue;
    }
    try {
      await loadBackend(name, options);
      if (!(await tf.setBackend(name))) throw new Error('initialization failed (tf.setBackend returned false)');
      await tf.ready();
      checkPrecision(name);
      return name;
    } catch (e) {
      attempts.push({ backend: name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new BackendSelectionError(attempts);
}

/**
 * WebGL on a device without float32 render targets computes in float16: token ids above 2048 gather
 * the wrong embedding rows and the -3.4e38 attention mask becomes NaN. Refuse it, so the search
 * moves on to a backend that gives the right numbers.
 */
function checkPrecision(name: BackendName): void {
  if (name === 'webgl' && !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) {
    throw new Error('this device renders only float16 textures (WEBGL_RENDER_FLOAT32_ENABLED is false): CLIP would compute wrong embeddings; use webgpu or wasm');
  }
}

/** Whether any of our backends is registered with tfjs-core (so tfjs has something to run on). */
export function hasRegisteredBackend(): boolean {
  return BACKEND_NAMES.some((n) => tf.findBackendFactory(n) !== null);
}
