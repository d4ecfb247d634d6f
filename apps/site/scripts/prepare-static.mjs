// Copies what the site serves but does not own into static/generated/ (gitignored):
//  - the tiny random SD2-shaped demo encoder and its PyTorch reference outputs (models/fixtures),
//  - the demo T5 of the "Beyond CLIP" page (models/fixtures/t5-demo, made by scripts/sd3/make-demo-t5.py),
//  - tfjs-backend-wasm's .wasm binaries, which the wasm backend fetches at run time (setWasmPaths),
//  - onnxruntime-web's glue script and binary (WebGPU + wasm threads build), which ONNX Runtime Web
//    loads from `wasmPaths` and its pthread workers start from,
//  - the TypeScript sources of @sdtext/text-encoder's modules, which `source("CLIPTextTransformer")`
//    prints (the seed's last step, `CLIPTextTransformer??`, reads the class's source).
import { copyFileSync, mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const siteDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(siteDir, '../..');
const outDir = join(siteDir, 'static/generated');

const tiny = join(repoDir, 'models/fixtures/models/sd2-tiny');
const copies = [
  [join(tiny, 'text_model/config.json'), 'models/sd2-tiny/text_model/config.json'],
  [join(tiny, 'text_model/model.safetensors'), 'models/sd2-tiny/text_model/model.safetensors'],
  [join(tiny, 'manifest.json'), 'models/sd2-tiny/manifest.json'],
  [join(tiny, 'outputs/longest.safetensors'), 'models/sd2-tiny/outputs/longest.safetensors'],
];

const t5Demo = join(repoDir, 'models/fixtures/t5-demo');
for (const file of ['config.json', 'model.safetensors', 'spiece.model', 'tokenizer_config.json', 'manifest.json', 'outputs/demo.safetensors']) {
  copies.push([join(t5Demo, file), `models/t5-demo/${file}`]);
}

const require = createRequire(join(siteDir, 'package.json'));
const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
for (const file of readdirSync(wasmDist).filter((f) => f.endsWith('.wasm'))) {
  copies.push([join(wasmDist, file), `tfjs-wasm/${file}`]);
}

// onnxruntime-web as @sdtext/onnx resolves it (the site reaches @sdtext/onnx in the workspace).
const ortRequire = createRequire(join(repoDir, 'packages/onnx/package.json'));
for (const file of ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm']) {
  copies.push([ortRequire.resolve(`onnxruntime-web/${file}`), `ort/${file}`]);
}

const modules = join(repoDir, 'packages/text-encoder/src/modules');
for (const file of readdirSync(modules).filter((f) => f.endsWith('.ts'))) {
  copies.push([join(modules, file), `source/text-encoder/modules/${file}`]);
}

rmSync(outDir, { recursive: true, force: true });
for (const [from, to] of copies) {
  if (!existsSync(from)) throw new Error(`prepare-static: missing ${from}`);
  const dest = join(outDir, to);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(from, dest);
}
console.log(`prepare-static: copied ${copies.length} files into ${outDir}`);
