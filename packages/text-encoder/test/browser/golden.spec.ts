// The golden parity suite of golden.test.ts, in headless Debian chromium: webgl, wasm and cpu in
// one launch (default flags), webgpu in a second (--enable-unsafe-webgpu). The page (page.ts) is
// bundled once with esbuild, served with the fixtures from a local server, loads the models by URL
// and reports max abs errors per backend/model/case/output. Run by vitest.browser.config.ts.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../../src/index.js';
import { CASES, FIXTURES, MODELS } from '../helpers.js';
import type { ParityOptions, ParityResult } from './page.js';
import {
  bundleTestPage,
  launchChromium,
  serveStatic,
  testPageHtml,
  type LaunchedChromium,
  type StaticServer,
} from '@sdtext/browser-testing';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const PAGE_ENTRY = here('./page.ts');
// The wasm backend's .wasm files, served to the page (setWasmPaths).
const WASM_DIST = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');

/**
 * One chromium launch and the backends run in it, each with the tolerance it earns: about 3x the
 * worst error it reached over every model, case and output. All float32 (webgl is checked to
 * render float32 below); webgl and webgpu run on chromium's SwiftShader, the GPU CI has.
 */
const LAUNCHES: { title: string; webgpu: boolean; backends: { name: BackendName; tolerance: number }[] }[] = [
  {
    title: 'chromium (default flags)',
    webgpu: false,
    backends: [
      { name: 'webgl', tolerance: 1.5e-5 }, // measured 4.8e-6
      { name: 'wasm', tolerance: 2e-5 }, // measured 6.4e-6
      { name: 'cpu', tolerance: 1.2e-5 }, // measured 3.8e-6
    ],
  },
  { title: 'chromium --enable-unsafe-webgpu', webgpu: true, backends: [{ name: 'webgpu', tolerance: 1.8e-5 }] }, // measured 5.7e-6
];

const report: string[] = [];
let server: StaticServer;

beforeAll(async () => {
  const page = await bundleTestPage(PAGE_ENTRY);
  server = await serveStatic({ '/models/': FIXTURES, '/wasm/': WASM_DIST }, testPageHtml('/app/page.js'), { '/app/page.js': page.code });
});

afterAll(async () => {
  await server?.close();
  console.log(`max abs error vs Hugging Face (transformers 4.36, float32), in chromium:\n${report.join('\n')}`);
});

for (const launch of LAUNCHES) {
  describe(launch.title, () => {
    let browser: LaunchedChromium;

    beforeAll(async () => {
      browser = await launchChromium({ webgpu: launch.webgpu });
    });
    afterAll(async () => {
      await browser?.close();
    });

    for (const { name: backend, tolerance } of launch.backends) {
      describe(`golden parity [${backend}]`, () => {
        let result: ParityResult;
        const errors: string[] = [];

        beforeAll(async () => {
          const page: Page = await browser.context.newPage();
          page.on('console', (msg) => {
            if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
          });
          page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
          try {
            await page.goto(server.origin);
            await page.waitForFunction(() => typeof window.sdtextParity === 'function', undefined, { timeout: 30_000 });
            const options: ParityOptions = { backend, origin: server.origin, models: MODELS, cases: CASES };
            result = await page.evaluate((o) => window.sdtextParity(o), options);
          } catch (e) {
            const failed = server.failures.length > 0 ? `\nserver answered: ${server.failures.join(', ')}` : '';
            const logged = errors.length > 0 ? `\npage errors:\n${errors.join('\n')}` : '';
            throw new Error(`${backend} parity page failed: ${(e as Error).message}${failed}${logged}`);
          } finally {
            await page.close();
          }
          report.push(`[${backend}] ${result.backend} in ${(result.ms / 1000).toFixed(1)} s; ${JSON.stringify(result.environment)}`);
          for (const r of result.rows) {
            report.push(`${`${r.model} ${r.case} ${r.output} ${backend}`.padEnd(70)} ${r.maxAbs.toExponential(2)}`);
          }
        });

        it('runs on the backend asked for, and logs no errors', () => {
          expect(result.backend).toBe(backend);
          expect(errors).toEqual([]);
          if (backend === 'webgl') {
            // float32 textures: the tolerance is for float32, not for f16 fallbacks.
            expect(result.environment.WEBGL_RENDER_FLOAT32_ENABLED).toBe(true);
            expect(result.environment.WEBGL_FORCE_F16_TEXTURES).toBe(false);
          }
        });

        for (const model of MODELS) {
          for (const caseName of CASES) {
            it(`${model} ${caseName}: every output within ${tolerance}`, () => {
              const rows = result.rows.filter((r) => r.model === model && r.case === caseName);
              expect(rows.map((r) => r.output)).toEqual([
                'last_hidden_state',
                'pooler_output',
                'pooler_output_legacy_argmax',
                'hidden_states',
                'text_embeds',
                'projection last_hidden_state',
                'pooler_output_first_eos',
              ]);
              for (const r of rows) {
                expect.soft(r.shape, `${r.output} shape`).toEqual(r.expectedShape);
                expect.soft(r.maxAbs, `${r.output} max abs error`).toBeLessThanOrEqual(tolerance);
              }
              expect(result.leaks.find((l) => l.model === model && l.case === caseName)?.leaked, 'tensors left').toBe(0);
            });
          }
        }
      });
    }
  });
}
