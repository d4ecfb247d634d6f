import { build } from 'esbuild';

export interface TestPage {
  /** The bundled page script (ESM). */
  code: string;
  /** `node:` modules the bundle imports statically: a browser bundle must have none. */
  staticNodeImports: string[];
}

/**
 * Bundles a test page for chromium: ESM for the browser, workspace packages from their sources
 * (the `@sdtext/source` condition), `node:` modules left out (they are only imported lazily on
 * Node paths the page never takes). In memory: nothing is written.
 */
export async function bundleTestPage(entry: string): Promise<TestPage> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    outdir: 'out',
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    conditions: ['@sdtext/source'],
    external: ['node:*'],
    metafile: true,
    logLevel: 'error',
  });
  const staticNodeImports = Object.values(result.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.path.startsWith('node:') && i.kind !== 'dynamic-import').map((i) => i.path),
  );
  return { code: result.outputFiles[0]!.text, staticNodeImports };
}

/** The HTML that runs a bundled page script (and asks for no favicon). */
export function testPageHtml(scriptUrl: string): string {
  return `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="${scriptUrl}"></script>`;
}
