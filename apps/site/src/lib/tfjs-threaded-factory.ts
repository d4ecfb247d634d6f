// Stands in for @tensorflow/tfjs-backend-wasm's wasm-out/tfjs-backend-wasm-threaded-simd.js (the
// site's webpack config points the backend's import here). tfjs starts each pthread worker from
// `"var WasmBackendModuleThreadedSimd = " + factory.toString()`: the factory's own source text.
// Once webpack has minified it, that text names variables of the bundle around it, and every
// pthread worker dies with `ReferenceError: a is not defined`, so a cross-origin isolated page
// (where tfjs picks the threaded build) never finishes loading the backend. Here the factory is
// built from the emscripten script's original text, and toString() gives that text back.
import script from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';

type Factory = (config: object) => Promise<unknown>;

// The script declares `var WasmBackendModuleThreadedSimd`; as a function body it returns it.
const body = `${script}\nreturn WasmBackendModuleThreadedSimd;`;
// new Function: run the script's own text, as each pthread worker will.
const factory = new Function(body)() as Factory;
/** An expression the pthread worker's `var WasmBackendModuleThreadedSimd = ...` evaluates to the same factory. */
const source = `(function () {\n${body}\n})()`;

export default Object.assign(factory, { toString: () => source });
