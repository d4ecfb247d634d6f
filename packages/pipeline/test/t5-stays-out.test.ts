import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * "A user of SD 1.x / 2.x pays nothing for T5": @sdtext/pipeline's entry, bundled as an app's
 * bundler would (esbuild, code splitting, the other packages external), statically reaches no T5
 * module of its own and imports no `@sdtext/*\/t5` entry; the SD3 / Flux code sits in chunks only
 * import() reaches (loaded when such a model is).
 */
describe('the CLIP entry of @sdtext/pipeline', () => {
  it('holds and imports no T5 code; SD3 / Flux code is only behind import()', async () => {
    const result = await build({
      entryPoints: { index: `${SRC}index.ts` },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'neutral',
      write: false,
      outdir: '/sdtext-bundle',
      metafile: true,
      external: ['@sdtext/*', '@tensorflow/*', 'onnxruntime-*', 'proper-lockfile', 'node:*'],
      logLevel: 'silent',
    });
    const outputs = result.metafile.outputs as Metafile['outputs'];
    const entry = Object.entries(outputs).find(([, o]) => o.entryPoint?.endsWith('src/index.ts'))!;
    // Everything the entry loads before any import(): its own inputs and its static imports' chunks.
    const staticOutputs = new Set<string>([entry[0]]);
    const queue = [entry[0]];
    while (queue.length > 0) {
      for (const imp of outputs[queue.pop()!]!.imports) {
        if (imp.kind === 'import-statement' && !imp.external && !staticOutputs.has(imp.path)) {
          staticOutputs.add(imp.path);
          queue.push(imp.path);
        }
      }
    }
    const staticInputs = [...staticOutputs].flatMap((o) => Object.keys(outputs[o]!.inputs));
    const staticPackages = [...staticOutputs].flatMap((o) => outputs[o]!.imports.filter((i) => i.external && i.kind === 'import-statement').map((i) => i.path));
    expect(staticInputs.some((i) => i.includes('src/index.ts'))).toBe(true);
    expect(staticInputs.filter((i) => i.includes('/t5/'))).toEqual([]);
    expect(staticPackages.filter((p) => p.endsWith('/t5'))).toEqual([]);
    expect(staticPackages).toContain('@sdtext/text-encoder');
    // The T5 stack is there, reached by import() only.
    const lazyInputs = Object.entries(outputs)
      .filter(([name]) => !staticOutputs.has(name))
      .flatMap(([, o]) => Object.keys(o.inputs));
    expect(lazyInputs.some((i) => i.endsWith('t5/load-stack.ts'))).toBe(true);
    expect(lazyInputs.some((i) => i.endsWith('t5/encode.ts'))).toBe(true);
  });
});
