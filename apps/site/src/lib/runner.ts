// Runs a cell's code (in the cells' worker, src/lib/cell-worker.ts): an async function over a scope holding the tokenizer, the text
// encoder, tfjs and Python-like print helpers. print() takes tfjs tensors too: their data is read
// at the call (so a later dispose is safe) and the output keeps the cell's print order.
import { PyTensor, PyTuple, pformat, repr, str, tensor } from './pyrepr';
import { readSafetensors } from './safetensors';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { BackendName, EngineName, ModelChoice } from './contracts';
import { TINY_PATH } from './contracts';
import { loadEncoder, siteUrl } from './runtime';
import { loadTokenizer } from './tokenizer';
import { loadPromptPipe, loadTextEncoderPackage } from './lazy';
import type { Tf } from './site-encoder';

export interface CellResult {
  output: string;
  value: unknown;
  error: string | null;
  /** What the cell ran on: only once the encoder loaded (a failed load names none). */
  engine: EngineName | null;
  backend: BackendName | null;
  model: ModelChoice | null;
  ms: number;
  /** tf.memory().numTensors before and after the cell's code ran (null when it did not use tfjs). */
  tensors: { before: number; after: number } | null;
}


type AsyncFn = (...args: unknown[]) => Promise<unknown>;
// Read at run time: a build that transpiles `async` must not hand back plain Function.
const AsyncFunction = new Function('return (async function () {}).constructor')() as new (...args: string[]) => AsyncFn;

function isTfTensor(v: unknown): v is Tensor {
  return (
    typeof v === 'object' && v !== null && Array.isArray((v as Tensor).shape) &&
    typeof (v as Tensor).dtype === 'string' && typeof (v as Tensor).data === 'function' && typeof (v as Tensor).dispose === 'function'
  );
}

/** Replaces tfjs tensors inside v with PyTensors, reading their data now. */
function snapshot(v: unknown): Promise<unknown> {
  if (isTfTensor(v)) {
    const shape = [...v.shape];
    const dtype = v.dtype === 'float32' ? 'float32' : 'int64';
    return v.data().then((data) => new PyTensor(Array.from(data as ArrayLike<number>), shape, dtype));
  }
  if (Array.isArray(v)) return Promise.all(v.map(snapshot));
  if (v instanceof PyTuple) return Promise.all(v.items.map(snapshot)).then((items) => new PyTuple(items));
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    const entries = Object.entries(v as Record<string, unknown>);
    return Promise.all(entries.map(([, x]) => snapshot(x))).then((values) =>
      Object.fromEntries(entries.map(([k], i) => [k, values[i]])),
    );
  }
  return Promise.resolve(v);
}

async function toArray(v: unknown): Promise<number[]> {
  if (isTfTensor(v)) return Array.from((await v.data()) as ArrayLike<number>);
  if (v instanceof PyTensor) return Array.from(v.data);
  if (Array.isArray(v)) return (v.flat(Infinity) as unknown[]).map(Number);
  throw new Error('expected a tensor or an array');
}

function shapeOf(v: unknown): number[] {
  if (isTfTensor(v)) return [...v.shape];
  if (v instanceof PyTensor) return [...v.shape];
  return tensor(v).shape.slice();
}

/** torch-like helpers that work on tfjs tensors, PyTensors and nested arrays. */
const torch = {
  tensor,
  async equal(a: unknown, b: unknown): Promise<boolean> {
    if (shapeOf(a).join() !== shapeOf(b).join()) return false;
    const [x, y] = await Promise.all([toArray(a), toArray(b)]);
    return x.every((v, i) => v === y[i]);
  },
  async maxAbsDiff(a: unknown, b: unknown): Promise<number> {
    const [x, y] = await Promise.all([toArray(a), toArray(b)]);
    if (x.length !== y.length) throw new Error(`maxAbsDiff: ${x.length} vs ${y.length} values`);
    return x.reduce((m, v, i) => Math.max(m, Math.abs(v - (y[i] ?? NaN))), 0);
  },
  async allclose(a: unknown, b: unknown, atol = 1e-5, rtol = 1e-4): Promise<boolean> {
    if (shapeOf(a).join() !== shapeOf(b).join()) return false;
    const [x, y] = await Promise.all([toArray(a), toArray(b)]);
    return x.every((v, i) => Math.abs(v - (y[i] ?? NaN)) <= atol + rtol * Math.abs(y[i] ?? 0));
  },
};

/** The demo model's PyTorch reference outputs for one manifest case (texts and tensors). */
async function reference(caseName: string): Promise<{ texts: string[] } & Record<string, PyTensor | string[]>> {
  const manifest = (await (await fetch(siteUrl(`${TINY_PATH}manifest.json`))).json()) as {
    cases: Record<string, { texts?: string[] }>;
  };
  const response = await fetch(siteUrl(`${TINY_PATH}outputs/${caseName}.safetensors`));
  if (!response.ok) throw new Error(`no reference outputs for case ${caseName}`);
  const tensors = readSafetensors(new Uint8Array(await response.arrayBuffer()));
  const out: { texts: string[] } & Record<string, PyTensor | string[]> = { texts: manifest.cases[caseName]?.texts ?? [] };
  for (const [name, t] of tensors) {
    out[name] = new PyTensor(t.data, t.shape, t.dtype === 'I64' ? 'int64' : 'float32');
  }
  return out;
}

/**
 * The TypeScript source of one of @sdtext/text-encoder's module classes, as IPython's `Class??`
 * shows a Python class's: `source("CLIPTextTransformer")` reads modules/clip-text-transformer.ts.
 */
async function source(className: string): Promise<string> {
  if (!/^[A-Z][A-Za-z]+$/.test(className)) throw new Error(`source(): ${JSON.stringify(className)} is not a class name`);
  const file = className
    .replace(/^CLIP/, 'Clip')
    .replace(/MLP/, 'Mlp')
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase();
  const response = await fetch(siteUrl(`generated/source/text-encoder/modules/${file}.ts`));
  if (!response.ok) throw new Error(`source(): no module file for ${className} (modules/${file}.ts)`);
  return (await response.text()).replace(/\n$/, '');
}

/** Whether the code uses the encoder (so the cell waits for the engine and the model). */
export function needsEncoder(code: string): boolean {
  return /\b(textEncoder|tf|pipe|backend|engine|threads)\b/.test(code) || needsT5(code);
}

/** Whether the code uses the "Beyond CLIP" page's T5 names (loaded after the encoder: tfjs and the engine come from it). */
function needsT5(code: string): boolean {
  return /\b(t5|t5Tokenizer|sd3|relativePositionBucket|t5Reference)\b/.test(code);
}

/** Whether the code uses the text-encoder package's config-only helpers (no backend, no model). */
function needsEncoderPackage(code: string): boolean {
  return /\b(SD2_CONFIG|SD1_CONFIG|describeCLIPTextTransformer|describeCLIPTextModel)\b/.test(code);
}

/**
 * Runs a cell's code here (in the cells' worker; on the page where there is no Worker). Every
 * tensor the cell creates is disposed when it ends (a tfjs scope around the run: the outputs are
 * read first), so runs do not leak GPU memory.
 */
export async function runNow(code: string, onOutput?: (text: string) => void, onStart?: () => void): Promise<CellResult> {
  const started = performance.now();
  const pending: Promise<string>[] = [];
  let output = '';
  const emit = (text: Promise<string>): void => {
    pending.push(text);
  };
  const print = (...args: unknown[]): void => emit(Promise.all(args.map(snapshot)).then((xs) => xs.map(str).join(' ')));
  const scope: Record<string, unknown> = {
    print,
    /** IPython's display of a cell's value: pretty-printed at width 79, dict keys sorted. */
    display: (v: unknown) => emit(snapshot(v).then((x) => pformat(x, 79))),
    pprint: (v: unknown) => emit(snapshot(v).then((x) => pformat(x, 80))),
    repr,
    tensor,
    tuple: (...items: unknown[]) => new PyTuple(items),
    torch,
    reference,
    source,
  };
  let value: unknown;
  let error: string | null = null;
  let engine: ReturnType<Tf['engine']> | null = null;
  let tensorsBefore = 0;
  let loaded: { engine: EngineName; backend: BackendName; model: ModelChoice } | null = null;
  try {
    const tokenizer = await loadTokenizer();
    scope.tokenizer = tokenizer;
    if (needsEncoderPackage(code)) {
      const te = await loadTextEncoderPackage();
      Object.assign(scope, {
        SD2_CONFIG: te.SD2_TEXT_CONFIG,
        SD1_CONFIG: te.SD1_TEXT_CONFIG,
        describeCLIPTextTransformer: te.describeCLIPTextTransformer,
        describeCLIPTextModel: te.describeCLIPTextModel,
      });
    }
    if (needsEncoder(code)) {
      const encoder = await loadEncoder();
      loaded = encoder.inUse;
      scope.tf = encoder.tf;
      scope.textEncoder = encoder.textEncoder;
      scope.engine = encoder.inUse.engine;
      scope.backend = encoder.inUse.backend;
      scope.threads = encoder.inUse.threads;
      // diffusers' `pipe`: tokenizer, text_encoder, and encode_prompt (dialects included).
      const { sitePipe } = await loadPromptPipe();
      scope.pipe = await sitePipe(tokenizer, encoder);
      // Before the tfjs scope starts: the T5 weights (tfjs engine) outlive the cell.
      if (needsT5(code)) Object.assign(scope, await (await import('./t5-demo')).loadT5Scope(encoder));
      engine = encoder.tf.engine();
      tensorsBefore = encoder.tf.memory().numTensors;
      engine.startScope();
    }
    onStart?.();
    const names = Object.keys(scope);
    const fn = new AsyncFunction(...names, `"use strict";\n${code}`);
    // A returned tensor is read now: the scope disposes it below.
    value = await snapshot(await fn(...names.map((n) => scope[n])));
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  for (const text of pending) {
    try {
      output += (output ? '\n' : '') + (await text);
    } catch (e) {
      error ??= e instanceof Error ? e.message : String(e);
    }
    onOutput?.(output);
  }
  let tensors: CellResult['tensors'] = null;
  if (engine) {
    engine.endScope();
    tensors = { before: tensorsBefore, after: engine.memory().numTensors };
  }
  return {
    output,
    value,
    error,
    engine: loaded?.engine ?? null,
    backend: loaded?.backend ?? null,
    model: loaded?.model ?? null,
    ms: performance.now() - started,
    tensors,
  };
}
