#!/usr/bin/env node
// Turns a package's tsc output into one ES module per entry point, for packages whose cold start
// matters (the tokenizer: a user's first ids). Node's ESM loader pays about half a millisecond per
// file (resolve, read, compile, link); @sdtext/tokenizer and @sdtext/ftfy are ~40 small modules,
// one concept each, which cost ~25 ms of loading before any work. Run after `tsc`, in the
// package's folder:
//
//   tsc -p tsconfig.build.json && node ../../scripts/bundle-dist.mjs
//
// Each `exports` entry's `default` file under dist/ is bundled from the tsc output in place, with
// every dependency and peer left external (so one copy of each package exists) and `node:*`
// imports kept as imports (they are lazy `import()`s behind Node-only code paths). The .d.ts
// files stay as tsc wrote them; the per-module .js files no entry needs any more are removed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const external = ['node:*', ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })];
const entries = Object.values(pkg.exports)
  .map((e) => (typeof e === 'object' && e !== null ? e.default : null))
  .filter((file) => typeof file === 'string' && file.startsWith('./dist/') && file.endsWith('.js'))
  .map((file) => path.normalize(file));

const bundled = new Map();
for (const entry of entries) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external,
    write: false,
    sourcemap: 'external',
    outfile: entry,
    metafile: true,
    logLevel: 'warning',
  });
  for (const input of Object.keys(result.metafile.inputs)) bundled.set(path.normalize(input), true);
  for (const file of result.outputFiles) bundled.set(file.path, file);
}

// Write the bundles over their entries, then drop the module files only they needed.
for (const [file, output] of bundled) if (output !== true) fs.writeFileSync(file, output.contents);
const outputs = new Set([...bundled].filter(([, o]) => o !== true).map(([file]) => path.relative(process.cwd(), file)));
for (const input of bundled.keys()) {
  const rel = path.relative(process.cwd(), input);
  if (!rel.startsWith('dist') || outputs.has(rel) || outputs.has(rel.replace(/\.map$/, ''))) continue;
  if (rel.endsWith('.js')) {
    fs.rmSync(rel, { force: true });
    fs.rmSync(`${rel}.map`, { force: true });
  }
}
console.log(`bundled ${entries.join(', ')} (${[...bundled.values()].filter((o) => o === true).length} modules)`);
