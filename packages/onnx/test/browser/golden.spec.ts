// golden.test.ts's parity checks in headless Debian chromium, on onnxruntime-web: wasm (threads:
// the page is cross-origin isolated) in one launch, WebGPU in another (--enable-unsafe-webgpu,
// SwiftShader here). The page (page.ts) is bundled with esbuild and loads the checkpoints by URL.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebExecutionProvider } from '../../src/index.js';
import { CASES, FIXTURES, MODELS } from '../helpers.js';
import type { PageOptions, PageResult } from './page.js';
import {
  bundleTestPage,
  launchChromium,
  serveStatic,
  testPageHtml,
  type LaunchedChromium,
  type StaticServer,
} from '@sdtext/browser-testing';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
// onnxruntime-web's .wasm and .mjs files, served to the page (ort.env.wasm.wasmPaths); its exports map hides package.json.
const ORT_DIST = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));

/**
 * Each provider's tolerance: about 3x the worst error it reached over every model, case and output
 * (float32 on both; WebGPU here is chromium's SwiftShader adapter, the one CI has).
 */
const LAUNCHES: { ep: WebExecutionProvider; webgpu: boolean; tolerance: number }[] = [
  { ep: 'wasm', webgpu: false, tolerance: 1.8e-5 }, // measured 5.9e-6
  { ep: 'webgpu', webgpu: true, tolerance: 1.5e-5 }, // measured 4.7e-6
];

const report: string[] = [];
let server: StaticServer;

beforeAll(async () => {
  const page = await bundleTestPage(here('./page.ts'));
  server = await serveStatic({ '/models/': FIXTURES, '/ort/': ORT_DIST }, testPageHtml('/app/page.js'), { '/app/page.js': page.code });
});

afterAll(async () => {
  await server?.close();
  console.log(`onnxruntime-web in chromium, max abs error vs Hugging Face:\n${report.join('\n')}`);
});

for (const launch of LAUNCHES) {
  describe(`chromium, onnxruntime-web [${launch.ep}]`, () => {
    let browser: LaunchedChromium;
    let result: PageResult;
    const errors: string[] = [];

    beforeAll(async () => {
      browser = await launchChromium({ webgpu: launch.webgpu });
      const page: Page = await browser.context.newPage();
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      try {
        await page.goto(server.origin);
        await page.waitForFunction(() => typeof window.sdtextOnnxParity === 'function', undefined, { timeout: 30_000 });
        const options: PageOptions = { executionProvider: launch.ep, origin: server.origin, models: MODELS, cases: CASES };
        result = await page.evaluate((o) => window.sdtextOnnxParity(o), options);
      } catch (e) {
        const failed = server.failures.length > 0 ? `\nserver answered: ${server.failures.join(', ')}` : '';
        throw new Error(`${launch.ep} page failed: ${(e as Error).message}${failed}\n${errors.join('\n')}`);
      } finally {
        await page.close();
      }
      report.push(`[${launch.ep}] ${result.backend} in ${(result.ms / 1000).toFixed(1)} s`);
      for (const r of result.rows) report.push(`  ${`${r.model} ${r.case} ${r.output}`.padEnd(50)} ${r.maxAbs.toExponential(2)}`);
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('runs on the execution provider asked for, and logs no errors', () => {
      expect(result.backend).toMatch(new RegExp(`^onnxruntime-web \\(${launch.ep}`));
      expect(errors).toEqual([]);
    });

    for (const model of MODELS) {
      it(`${model}: every case and output within ${launch.tolerance}`, () => {
        const rows = result.rows.filter((r) => r.model === model);
        expect(rows).toHaveLength(CASES.length * 4);
        for (const r of rows) expect.soft(r.maxAbs, `${r.case} ${r.output}`).toBeLessThanOrEqual(launch.tolerance);
      });
    }
  });
}
