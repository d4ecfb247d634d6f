#!/usr/bin/env node
// Load and forward time of a T5 encoder checkpoint on onnxruntime-node (OnnxT5EncoderModel), for
// docs/benchmarks.md. Run under /usr/bin/time -v for the peak RSS:
//
//   pnpm --filter @sdtext/core build && pnpm --filter @sdtext/onnx build
//   /usr/bin/python3 scripts/t5/make-random-t5.py /tmp/t5-xxl --preset xxl      # 9.5 GB bf16
//   /usr/bin/time -v node scripts/t5/measure-t5.mjs /tmp/t5-xxl --tokens 256 [--weights stored|float32] [--runs 2]
//
// Prints one JSON line: load and forward seconds, the output's shape and a checksum.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { OnnxT5EncoderModel } = await import(pathToFileURL(path.join(root, 'packages/onnx/dist/t5/index.js')).href);

const args = process.argv.slice(2);
const folder = args.find((a) => !a.startsWith('--'));
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
if (!folder) {
  console.error('usage: node scripts/t5/measure-t5.mjs <folder> [--tokens 256] [--batch 1] [--weights stored|float32] [--runs 2] [--threads N]');
  process.exit(2);
}
const tokens = Number(flag('tokens', '256'));
const batch = Number(flag('batch', '1'));
const runs = Number(flag('runs', '2'));
const weightsInMemory = flag('weights', 'stored');
const threads = flag('threads', undefined);

const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
let t = performance.now();
const encoder = await OnnxT5EncoderModel.fromPretrained(folder, { weightsInMemory, cache: false, ...(threads ? { threads: Number(threads) } : {}) });
const loadS = (performance.now() - t) / 1000;
const rssAfterLoad = rss();

let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const inputIds = Array.from({ length: batch }, () => Array.from({ length: tokens }, () => Math.floor(random() * encoder.config.vocab_size)));
const forwardS = [];
let out;
for (let r = 0; r < runs; r++) {
  t = performance.now();
  out = await encoder.encode({ inputIds });
  forwardS.push((performance.now() - t) / 1000);
}
let sum = 0;
for (const v of out.lastHiddenState.data) sum += Math.abs(v);
console.log(
  JSON.stringify({
    folder,
    backend: encoder.backend,
    weightTransfer: encoder.weightTransfer,
    weightsInMemory,
    tokens,
    batch,
    load_s: Number(loadS.toFixed(2)),
    forward_s: forwardS.map((s) => Number(s.toFixed(2))),
    rss_mb_after_load: rssAfterLoad,
    rss_mb_end: rss(),
    dims: out.lastHiddenState.dims,
    mean_abs: sum / out.lastHiddenState.data.length,
  }),
);
await encoder.dispose();
