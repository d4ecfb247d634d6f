#!/usr/bin/env node
// Writes full-size CLIP text encoders with random weights, for benchmarks (the real ones cannot be
// downloaded here). Deterministic: the same seed gives the same bytes. Written tensor by tensor
// (peak memory about one token embedding, ~300 MB), atomically, into models/generated/ (gitignored).
//
//   pnpm --filter @sdtext/core build      # the script uses the core's safetensors writer and key list
//   node scripts/make-random-checkpoint.mjs                  # both: sd2-random (fp16), sd1-random (fp32)
//   node scripts/make-random-checkpoint.mjs --model sd2 --dtype fp32 --seed 7 --projection
//
// Layout (a Stable Diffusion repo's text_encoder folder):
//   models/generated/sd2-random/text_encoder/config.json + model.fp16.safetensors  (variant "fp16")
//   models/generated/sd1-random/text_encoder/config.json + model.safetensors
// Load with CLIPTextModel.fromPretrained('models/generated/sd2-random', { subfolder: 'text_encoder', variant: 'fp16' }).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'packages/core/dist');

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'all' }, // sd2 | sd1 | all
    dtype: { type: 'string' }, // fp16 | fp32 (default: sd2 fp16, sd1 fp32)
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: path.join(root, 'models/generated') },
    projection: { type: 'boolean', default: false }, // also text_projection (CLIPTextModelWithProjection)
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('usage: node scripts/make-random-checkpoint.mjs [--model sd2|sd1|all] [--dtype fp16|fp32] [--seed N] [--out DIR] [--projection]');
  process.exit(0);
}
if (!fs.existsSync(path.join(dist, 'index.js'))) {
  console.error(`${dist} is missing: run \`pnpm --filter @sdtext/core build\` first`);
  process.exit(1);
}
// @sdtext/core: the writer, the configs and the key list; no tfjs.
const { writeSafetensorsFile, SD1_TEXT_CONFIG, SD2_TEXT_CONFIG, clipTextWeightShapes: expectedWeights } = await import(
  pathToFileURL(path.join(dist, 'index.js')).href
);

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a key: each tensor gets its own stream, so values do not depend on write order. */
function hash(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Values in the spirit of HF's init: weights with std 0.02, LayerNorm around 1, small biases. */
function randomTensor(key, shape, seed) {
  const n = shape.reduce((a, b) => a * b, 1);
  const rand = mulberry32(hash(key) ^ seed);
  const out = new Float32Array(n);
  const isNorm = /layer_norm/.test(key);
  const isBias = key.endsWith('.bias');
  const std = key.includes('position_embedding') ? 0.01 : isBias ? 0.01 : isNorm ? 0.05 : 0.02;
  const half = std * Math.sqrt(3); // uniform in [-half, half] has this std
  const base = isNorm && !isBias ? 1 : 0;
  for (let i = 0; i < n; i++) out[i] = base + (rand() * 2 - 1) * half;
  return out;
}

function hfConfig(config, withProjection, dtype) {
  return {
    architectures: [withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'],
    attention_dropout: 0.0,
    dropout: 0.0,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    model_type: 'clip_text_model',
    torch_dtype: dtype === 'fp16' ? 'float16' : 'float32',
    ...config,
    _note: 'random weights from scripts/make-random-checkpoint.mjs, for benchmarks only',
  };
}

async function make(name, config, dtype, seed, withProjection) {
  const dir = path.join(args.out, `${name}-random`, 'text_encoder');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, dtype === 'fp16' ? 'model.fp16.safetensors' : 'model.safetensors');
  const shapes = expectedWeights(config, { withProjection });
  const entries = [];
  if (name === 'sd2') {
    // As in the real SD2 checkpoint: the position_ids buffer, which loaders skip.
    const ids = new BigInt64Array(config.max_position_embeddings).map((_, i) => BigInt(i));
    entries.push(['text_model.embeddings.position_ids', { dtype: 'I64', shape: [1, config.max_position_embeddings], data: ids }]);
  }
  for (const [key, shape] of shapes) {
    entries.push([key, { dtype: dtype === 'fp16' ? 'F16' : 'F32', shape, data: () => randomTensor(key, shape, seed) }]);
  }
  const started = Date.now();
  await writeSafetensorsFile(file, entries, { format: 'pt', generator: 'sdtext make-random-checkpoint', seed: String(seed) });
  const tmpConfig = path.join(dir, `config.json.tmp-${process.pid}`);
  fs.writeFileSync(tmpConfig, `${JSON.stringify(hfConfig(config, withProjection, dtype), null, 2)}\n`);
  fs.renameSync(tmpConfig, path.join(dir, 'config.json'));
  const mb = (fs.statSync(file).size / 2 ** 20).toFixed(0);
  console.log(`${path.relative(root, file)}: ${shapes.size} tensors, ${mb} MiB, ${dtype}, seed ${seed} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const seed = Number(args.seed);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${args.seed}`);
const models = args.model === 'all' ? ['sd2', 'sd1'] : [args.model];
for (const m of models) {
  if (m !== 'sd2' && m !== 'sd1') throw new Error(`--model must be sd2, sd1 or all, got ${m}`);
  const dtype = args.dtype ?? (m === 'sd2' ? 'fp16' : 'fp32');
  if (dtype !== 'fp16' && dtype !== 'fp32') throw new Error(`--dtype must be fp16 or fp32, got ${dtype}`);
  await make(m, m === 'sd2' ? SD2_TEXT_CONFIG : SD1_TEXT_CONFIG, dtype, seed, args.projection);
}
