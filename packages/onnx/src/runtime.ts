import type * as ort from 'onnxruntime-common';

/** The ONNX Runtime API surface this package uses (onnxruntime-node and -web both provide it). */
export type Ort = Pick<typeof ort, 'InferenceSession' | 'Tensor' | 'env'>;

/** 'node': onnxruntime-node (native, Node only). 'web': onnxruntime-web (wasm, WebGPU in browsers). */
export type RuntimeName = 'node' | 'web';

/** Execution providers of onnxruntime-web, best first. */
export type WebExecutionProvider = 'webgpu' | 'wasm';

export interface OrtRuntime {
  name: RuntimeName;
  ort: Ort;
}

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Which runtime to try by default, decided when called (never at import): Node gets the native one. */
export function defaultRuntime(): RuntimeName {
  return isNode() ? 'node' : 'web';
}

/** Worker threads for intra-op parallelism: the machine's cores (navigator.hardwareConcurrency in browsers). */
export async function defaultThreads(): Promise<number> {
  if (isNode()) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
}

/** Imports the runtime lazily (its native binary or wasm loads only now). */
export async function loadRuntime(name: RuntimeName = defaultRuntime()): Promise<OrtRuntime> {
  try {
    const mod = (name === 'node' ? await import('onnxruntime-node') : await import('onnxruntime-web')) as unknown as Ort & { default?: Ort };
    // CommonJS interop: some bundlers put the namespace under `default`.
    const api = typeof mod.InferenceSession === 'function' ? mod : mod.default;
    if (!api || typeof api.InferenceSession !== 'function') throw new Error('the module has no InferenceSession');
    return { name, ort: api };
  } catch (e) {
    // Both runtimes are optional peers: the user installs the one for their platform.
    throw new RuntimeError(`could not load onnxruntime-${name} (npm install onnxruntime-${name}@1.30.0): ${(e as Error).message}`);
  }
}

/** Whether this browser exposes WebGPU (checked when a session is made, not at import). */
export function hasWebGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && (navigator as { gpu?: unknown }).gpu != null;
}
