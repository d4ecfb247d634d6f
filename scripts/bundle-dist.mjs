#!/usr/bin/env node
// Turns a package's tsc output into one ES module per entry point, for packages whose cold start
// matters (the tokenizer: a user's first ids). Node's ESM loader pays about half a millisecond per
// file (resolve, read, compile, link); @sdtext/tokenizer and @sdtext/ftfy are ~40 small modules,
// one concept each, which cost ~25 ms of loading before any work. Run after `tsc`, in the
// package's folder:
//
//   tsc -p tsconfig.build.json && node ../../scripts/bundle-dist.mjs
//
// Each `exports` entry's `default` file (and each `bin`) under dist/ is bundled from the tsc output in place, with
// every dependency and peer left external (so one copy of each package exists) and `node:*`
// imports kept as imports (they are lazy `import()`s behind Node-only code paths). The .d.ts
// files stay as tsc wrote them; the per-module .js files no entry needs any more are removed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const external = ['node:*', ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })];
const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
const entries = [...Object.values(pkg.exports).map((e) => (typeof e === 'object' && e !== null ? e.default : null)), ...bins.map((b) => `./${path.normalize(b)}`)]
  .filter((file) => typeof file === 'string' && file.startsWith('./dist/') && file.endsWith('.js'))
  .map((file) => path.normalize(file));

// One build for all entries, with code splitting: a module two entries share (an error class, the
// safetensors reader) lands in one chunk both import, so `instanceof` holds across entry points.
const result = await build({
  entryPoints: Object.fromEntries(entries.map((file) => [path.relative('dist', file).replace(/\.js$/, ''), file])),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external,
  write: false,
  sourcemap: 'external',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).map((input) => path.normalize(input));
const outputs = new Set(result.outputFiles.map((file) => path.relative(process.cwd(), file.path)));
// The module files the bundles replace go first (an entry is both an input and an output).
for (const input of inputs) {
  if (!input.startsWith('dist') || !input.endsWith('.js') || outputs.has(input)) continue;
  fs.rmSync(input, { force: true });
  fs.rmSync(`${input}.map`, { force: true });
}
fs.rmSync('dist/chunks', { recursive: true, force: true });
for (const file of result.outputFiles) {
  fs.mkdirSync(path.dirname(file.path), { recursive: true });
  fs.writeFileSync(file.path, file.contents);
}
console.log(`bundled ${entries.join(', ')} from ${inputs.length} modules`);
