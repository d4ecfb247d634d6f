// Which engine and backend a load tries, in order, and why: the bar's choices resolved against the
// model's size and what this browser offers (isolation for wasm threads, a WebGPU adapter). Pure
// functions, so the reasons the bar shows are tested (test/engine-choice.test.ts).
import { BACKENDS, ENGINE_LABELS, ONNX_BACKENDS, type BackendChoice, type BackendName, type EngineChoice, type EngineName } from './contracts';

/**
 * Below this many matrix weights per layer stack, a model is small: a forward pass multiplies each
 * token by every layer's weights (4 h² for attention, 2 h·i for the MLP), and when that is small
 * the fixed costs dominate: a GPU backend's shader compiles and dispatches, ONNX Runtime Web's
 * 28 MB wasm binary to fetch and start. The demo model has 25 k, SD2 290 M.
 */
export const SMALL_MODEL_WEIGHTS = 10_000_000;

export interface ModelSize {
  /** Weights a token meets in the layers: num_hidden_layers × (4 h² + 2 h i). */
  layerWeights: number;
}

export function modelSize(config: { hidden_size: number; intermediate_size: number; num_hidden_layers: number }): ModelSize {
  const h = config.hidden_size;
  return { layerWeights: config.num_hidden_layers * (4 * h * h + 2 * h * config.intermediate_size) };
}

/** What the browser offers, read when a load starts (never at import). */
export interface Platform {
  /** crossOriginIsolated: SharedArrayBuffer, so wasm threads. */
  isolated: boolean;
  /** navigator.hardwareConcurrency. */
  cores: number;
  /** A WebGPU adapter: a real GPU, a software one (SwiftShader: a CPU emulation), or none. */
  webgpu: 'hardware' | 'software' | 'none';
}

/** One engine with its backends in the order to try them. */
export interface Attempt {
  engine: EngineName;
  backends: BackendName[];
}

export interface Plan {
  /** The engine first, then the other one if it cannot start. */
  attempts: Attempt[];
  /** With an `auto` choice: what auto chose and why (the bar shows it). */
  reason: string | null;
  /** Choices that cannot apply (webgl asked of ONNX Runtime Web), said in the bar's "Fell back" line. */
  notes: string[];
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(0)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} k` : String(n);
}

function threadsPhrase(p: Platform): string {
  return p.isolated
    ? `${p.cores} thread${p.cores === 1 ? '' : 's'} (the page is cross-origin isolated)`
    : 'one thread (the page is not cross-origin isolated, so no wasm threads)';
}

/** tfjs's backends for auto: wasm first for a small model, the GPUs first for a large one. */
function tfjsAuto(size: ModelSize, p: Platform): { backends: BackendName[]; why: string } {
  if (size.layerWeights < SMALL_MODEL_WEIGHTS) {
    return {
      backends: ['wasm', 'webgpu', 'webgl', 'cpu'],
      why: `wasm, ${threadsPhrase(p)}: a GPU backend would spend more time compiling shaders and dispatching small operations than computing`,
    };
  }
  return { backends: [...BACKENDS], why: 'the GPU first: its layer weights keep a GPU busy' };
}

/** ONNX Runtime Web's execution providers for auto: WebGPU only where the adapter is a real GPU and the model is large. */
function onnxAuto(size: ModelSize, p: Platform): { backends: BackendName[]; why: string } {
  const wasm = `wasm with ${threadsPhrase(p)}`;
  if (size.layerWeights < SMALL_MODEL_WEIGHTS) return { backends: ['wasm', 'webgpu'], why: `${wasm}: WebGPU's fixed cost per operation outweighs this model's arithmetic` };
  if (p.webgpu === 'hardware') return { backends: ['webgpu', 'wasm'], why: 'WebGPU: this browser has a GPU adapter' };
  if (p.webgpu === 'software') return { backends: ['wasm', 'webgpu'], why: `${wasm}: WebGPU's adapter here is a software one (SwiftShader, a CPU emulation), slower than wasm` };
  return { backends: ['wasm'], why: `${wasm}: no WebGPU adapter` };
}

function backendsFor(engine: EngineName, asked: BackendChoice, size: ModelSize, p: Platform, notes: string[]): { backends: BackendName[]; why: string | null } {
  const offered = engine === 'onnx' ? ONNX_BACKENDS : BACKENDS;
  if (asked !== 'auto' && offered.includes(asked)) return { backends: [asked, ...offered.filter((b) => b !== asked)], why: null };
  if (asked !== 'auto') notes.push(`${asked}: not a backend of ${ENGINE_LABELS[engine]} (it has ${offered.join(', ')}), so auto`);
  return engine === 'onnx' ? onnxAuto(size, p) : tfjsAuto(size, p);
}

/** The attempts for the bar's engine and backend choices, for a model of this size on this platform. */
export function planLoad(engine: EngineChoice, backend: BackendChoice, size: ModelSize, p: Platform): Plan {
  const notes: string[] = [];
  const weights = `${formatCount(size.layerWeights)} layer weights`;
  if (engine !== 'auto') {
    const chosen = backendsFor(engine, backend, size, p, notes);
    return { attempts: [{ engine, backends: chosen.backends }], reason: chosen.why && `auto backend for ${ENGINE_LABELS[engine]}: ${chosen.why}`, notes };
  }
  // auto engine: a backend only tfjs has (webgl, cpu) decides it; else the model's size does.
  const small = size.layerWeights < SMALL_MODEL_WEIGHTS;
  const first: EngineName = backend === 'webgl' || backend === 'cpu' ? 'tfjs' : small ? 'tfjs' : 'onnx';
  const second: EngineName = first === 'onnx' ? 'tfjs' : 'onnx';
  const a = backendsFor(first, backend, size, p, notes);
  const b = backendsFor(second, 'auto', size, p, []);
  const why =
    backend === 'webgl' || backend === 'cpu'
      ? `${backend} is a TensorFlow.js backend`
      : small
        ? `this model is small (${weights}, under ${formatCount(SMALL_MODEL_WEIGHTS)}): TensorFlow.js starts at once, where ONNX Runtime Web would first fetch its 28 MB wasm binary`
        : `this model is large (${weights}): ONNX Runtime Web's forward pass measured 1.4x as fast as TensorFlow.js's wasm backend on SD2's size (docs/benchmarks.md)`;
  return {
    attempts: [
      { engine: first, backends: a.backends },
      { engine: second, backends: b.backends },
    ],
    reason: `auto chose ${ENGINE_LABELS[first]} because ${why}; ${a.why ? `backend ${a.why}` : `backend ${backend}, as asked`}`,
    notes,
  };
}
