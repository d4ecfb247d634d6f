// The hub client and TextPipeline in headless Debian chromium: the package's src/index.ts bundled
// for the browser with esbuild (node: modules left out: they are imported lazily and never reached),
// served by the fake hub, loading through Cache Storage, then again offline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { bundleTestPage, launchChromium, testPageHtml, type LaunchedChromium } from '@sdtext/browser-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TextPipeline, disposeEmbeddings } from '../../src/index.js';
import { FakeHub, sha256 } from '../helpers/fake-hub.js';
import { maxAbsDiff } from '../helpers/golden.js';
import { fixtureRepo } from '../helpers/fixture-repos.js';
import type { BrowserHubReport, offline as offlineFn } from './page.js';


const REPO = 'sdtext-test/sd2';
let hub: FakeHub;
let browser: LaunchedChromium;
let page: Page;
/** Scratch space: the disk cache of the Node-side comparison. */
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sdtext-pipeline-browser-'));
  const bundle = await bundleTestPage(fileURLToPath(new URL('./page.ts', import.meta.url)));
  // node: modules may only appear as lazy dynamic imports, never as static ones.
  expect(bundle.staticNodeImports).toEqual([]);

  hub = new FakeHub();
  hub.addRepo(REPO, await fixtureRepo('sd2'));
  hub.addRepo('sdtext-test/private', { 'model_index.json': '{}' }, { token: 'hf_secret' });
  hub.pages.set('/', { type: 'text/html', body: testPageHtml('/page.js') });
  hub.pages.set('/page.js', { type: 'text/javascript', body: bundle.code });
  await hub.start();
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(`${hub.url}/`);
  await page.waitForFunction(() => 'hubTest' in window);
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

it('fetches through Cache Storage, encodes, then works offline from the cache', async () => {
  const weights = await fixtureRepo('sd2');
  const report = (await page.evaluate(
    ([endpoint, repo]) => window.hubTest.online(endpoint!, repo!, 'text_encoder/model.safetensors'),
    [hub.url, REPO],
  )) as BrowserHubReport;
  expect(report.weightsSha256).toBe(sha256(weights['text_encoder/model.safetensors'] as Uint8Array));
  expect(report.missingIsNull).toBe(true);
  expect(report.cachedKeys).toContain(`/${REPO}/resolve/main/text_encoder/model.safetensors`);
  expect(report.privateError).toMatch(/^RepositoryNotFoundError: .*HF_TOKEN/);
  expect(report.embedsShape).toEqual([1, 77, 32]);
  expect(report.progressFiles).toContain('text_encoder/model.safetensors');
  // The weights were fetched once: TextPipeline found them in Cache Storage.
  expect(hub.seen('text_encoder/model.safetensors', 'GET').filter((r) => r.path.startsWith('/cdn/'))).toHaveLength(1);

  hub.requests.length = 0;
  const offline = (await page.evaluate(([endpoint, repo]) => window.hubTest.offline(endpoint!, repo!), [hub.url, REPO])) as Awaited<
    ReturnType<typeof offlineFn>
  >;
  expect(hub.requests).toEqual([]);
  expect(JSON.parse(offline.offlineText!)).toMatchObject({ hidden_size: 32 });
  expect(offline.offlineMissingError).toMatch(/^LocalEntryNotFoundError: .*unet\/config\.json.*offline/);
  expect(offline.embeds).toEqual(report.embeds);

  // The same prompt in Node, from a disk cache, gives the same numbers (equal here, 0; 1e-6 is a few float32 ulps).
  const cacheDir = join(workDir, 'hf-cache');
  const pipe = await TextPipeline.fromPretrained(REPO, { endpoint: hub.url, cacheDir, backend: 'cpu' });
  const out = await pipe.encodePrompt({ prompt: 'a photo of a cat', guidance: false });
  expect(maxAbsDiff(out.promptEmbeds.dataSync(), report.embeds)).toBeLessThan(1e-6);
  disposeEmbeddings(out);
  await pipe.dispose();
});
