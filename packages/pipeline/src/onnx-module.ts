// @sdtext/onnx handed to the pipeline by the app. The pipeline imports it lazily by a specifier
// hidden from bundlers (it is an optional peer: a tfjs-only install must still bundle), so in a
// browser bundle that import cannot resolve and 'auto' falls back to tfjs. Written in the app,
// `() => import('@sdtext/onnx')` is an import the bundler sees: it puts @sdtext/onnx and ONNX
// Runtime Web in a chunk of their own, fetched only when the onnx engine is tried.
import type * as OnnxPackage from '@sdtext/onnx';

/** What the onnx engine uses of @sdtext/onnx. */
export type OnnxEngineModule = Pick<typeof OnnxPackage, 'OnnxCLIPTextModel' | 'RuntimeError'>;

/** The `onnx` option: @sdtext/onnx itself, or a function that imports it (`() => import('@sdtext/onnx')`). */
export type OnnxModuleSource = OnnxEngineModule | (() => Promise<OnnxEngineModule>);

/** Calls the loader (a chunk that cannot be fetched, offline say, rejects here). */
export async function loadOnnxModule(source: OnnxModuleSource): Promise<unknown> {
  return typeof source === 'function' ? await source() : source;
}

/** The module, checked: what was passed in must be @sdtext/onnx (a wrong value is a mistake, never a reason to fall back). */
export function checkOnnxModule(value: unknown): OnnxEngineModule {
  const candidate = value as Partial<OnnxEngineModule> | null;
  if (typeof candidate?.OnnxCLIPTextModel?.fromPretrained !== 'function' || typeof candidate.RuntimeError !== 'function') {
    throw new TypeError(
      "options.onnx must be @sdtext/onnx or a function that imports it: { onnx: () => import('@sdtext/onnx') } " +
        `(got ${typeof value === 'object' && value !== null ? `an object with ${Object.keys(value).slice(0, 5).join(', ') || 'no keys'}` : typeof value})`,
    );
  }
  return candidate as OnnxEngineModule;
}
