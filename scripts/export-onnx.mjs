#!/usr/bin/env node
// Exports a Hugging Face CLIP text encoder checkpoint (safetensors) as a standard-ops-only ONNX
// model (opset 17, no contrib ops), laid out as transformers.js and Optimum expect a model folder:
//   <out>/config.json  <out>/onnx/model.onnx
// No Python, no torch: the graph is written by @sdtext/onnx from the config and the weights.
//
//   pnpm --filter @sdtext/onnx... build
//   node scripts/export-onnx.mjs models/generated/sd2-random --subfolder text_encoder --variant fp16 \
//        --out models/generated/sd2-random-onnx
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'packages/onnx/dist/index.js');

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    subfolder: { type: 'string', default: '' },
    variant: { type: 'string' },
    out: { type: 'string' },
    'hidden-states': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help || positionals.length !== 1 || !args.out) {
  console.log('usage: node scripts/export-onnx.mjs <checkpoint folder> --out DIR [--subfolder text_encoder] [--variant fp16] [--hidden-states]');
  process.exit(args.help ? 0 : 1);
}
if (!fs.existsSync(dist)) {
  console.error(`${dist} is missing: run \`pnpm --filter @sdtext/onnx... build\` first`);
  process.exit(1);
}
const { exportStandardOnnx } = await import(pathToFileURL(dist).href);

const source = positionals[0];
const out = path.resolve(args.out);
const started = performance.now();
const bytes = await exportStandardOnnx(source, path.join(out, 'onnx', 'model.onnx'), {
  subfolder: args.subfolder,
  variant: args.variant,
  hiddenStates: args['hidden-states'],
});
// transformers.js reads the architecture from config.json; keep the checkpoint's own.
const config = JSON.parse(fs.readFileSync(path.join(source, args.subfolder, 'config.json'), 'utf8'));
fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ ...config, torch_dtype: 'float32' }, null, 2) + '\n');
console.log(`${path.join(out, 'onnx', 'model.onnx')}: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
