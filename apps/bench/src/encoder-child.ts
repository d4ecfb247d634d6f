/**
 * Child process, fresh each time: `node dist/encoder-child.js load <dir> [backend]` loads the
 * fp16 checkpoint, runs one forward pass at batch 2 x 77, and prints one JSON line with the load
 * time and the resident memory (VmRSS, VmHWM) at each step. `node dist/encoder-child.js cpu <dir>
 * <batch> <seqLen>` times forward passes on the tfjs cpu backend instead.
 */
import { residentMemory } from './encoder-bench.js';

export interface LoadSample {
  backend: string;
  /** Memory after node started and imported tfjs + the backend (before any weight). */
  baseline: { rss: number; peak: number };
  loadMs: number;
  afterLoad: { rss: number; peak: number };
  firstForwardMs: number;
  afterForward: { rss: number; peak: number };
}

export interface CpuSample {
  backend: 'cpu';
  batch: number;
  seqLen: number;
  loadMs: number;
  forwardMs: number[];
}

const [mode, dir, ...rest] = process.argv.slice(2);
if ((mode !== 'load' && mode !== 'cpu') || !dir) throw new Error('usage: encoder-child.js load <dir> [backend] | cpu <dir> <batch> <seqLen>');

const tf = await import('@tensorflow/tfjs-core');
const { CLIPTextModel, selectBackend } = await import('@sdtext/text-encoder');
const backend = mode === 'cpu' ? 'cpu' : rest[0] === 'cpu' ? 'cpu' : 'wasm';
await selectBackend(backend);
tf.tensor([1, 2, 3]).dispose(); // the backend's first allocation, so baseline includes its heap

const idsOf = (batch: number, seqLen: number) =>
  Array.from({ length: batch }, (_, b) => Array.from({ length: seqLen }, (_, s) => (s === 0 ? 49406 : s === seqLen - 1 ? 49407 : 320 + b + s)));

if (mode === 'load') {
  const baseline = residentMemory();
  let start = performance.now();
  const model = await CLIPTextModel.fromPretrained(dir, { subfolder: 'text_encoder', variant: 'fp16' });
  const loadMs = performance.now() - start;
  const afterLoad = residentMemory();
  start = performance.now();
  const out = model.forward({ inputIds: idsOf(2, 77) });
  await out.lastHiddenState.data();
  const firstForwardMs = performance.now() - start;
  const afterForward = residentMemory();
  const sample: LoadSample = { backend, baseline, loadMs, afterLoad, firstForwardMs, afterForward };
  process.stdout.write(JSON.stringify(sample) + '\n');
} else {
  const batch = Number(rest[0] ?? 1);
  const seqLen = Number(rest[1] ?? 8);
  let start = performance.now();
  const model = await CLIPTextModel.fromPretrained(dir, { subfolder: 'text_encoder', variant: 'fp16' });
  const loadMs = performance.now() - start;
  const forwardMs: number[] = [];
  for (let i = 0; i < 2; i++) {
    start = performance.now();
    const out = model.forward({ inputIds: idsOf(batch, seqLen) });
    await out.lastHiddenState.data();
    forwardMs.push(performance.now() - start);
    out.lastHiddenState.dispose();
    out.poolerOutput.dispose();
  }
  const sample: CpuSample = { backend: 'cpu', batch, seqLen, loadMs, forwardMs };
  process.stdout.write(JSON.stringify(sample) + '\n');
}
