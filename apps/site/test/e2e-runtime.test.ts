// End to end, in Debian chromium, on the cross-origin isolated site: the cells' worker (Stop, the
// timeout, a worker that cannot start or dies), the engine bar (auto's choice and its reason), and
// "Load the real SD2 text encoder" against a local fake hub (download, Cache Storage, cancel,
// offline, an unreachable hub).
import { createServer as createHttpServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, type LaunchedChromium } from '@sdtext/browser-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer, bundledClipVocabulary } from '@sdtext/tokenizer';
import * as seed from '../src/seed/outputs';
import { ARTIFACTS, freePort, openPage, REPO, runCell, serveSite, TINY, watchConsole, type SiteServer } from './e2e/harness';

const measured: Record<string, number> = {};
let site: SiteServer;

beforeAll(async () => {
  site = await serveSite(true);
});

afterAll(() => {
  site?.close();
  if (Object.keys(measured).length) writeFileSync(join(ARTIFACTS, 'runtime.json'), `${JSON.stringify(measured, null, 2)}\n`);
});

describe('cells run in a Web Worker: Stop, the timeout, and a worker that fails', () => {
  it('an endless loop is stopped by Stop and by the timeout; the page stays responsive and other cells run', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors = watchConsole(page);
      await openPage(page, site.base, 'tokenizer', 'backend=wasm&cell_timeout=3');
      const loop = page.locator('[data-cell="tok-tokenize"]');
      await page.evaluate(() => window.__sdtextCells?.['tok-tokenize']?.setCode('while (true) {}'));
      await loop.locator('button.sd-run').click();
      await loop.locator('button.sd-stop').waitFor();
      // The main thread is free while the loop spins in the worker.
      const t0 = Date.now();
      expect(await page.evaluate(() => new Promise<number>((ok) => requestAnimationFrame(() => ok(1))))).toBe(1);
      measured['frame during the loop (ms)'] = Date.now() - t0;
      expect(Date.now() - t0).toBeLessThan(1_000);
      await loop.locator('button.sd-stop').click();
      await page.waitForSelector('[data-cell="tok-tokenize"][data-status="error"]', { timeout: 5_000 });
      expect(await page.evaluate(() => window.__sdtextCells?.['tok-tokenize']?.error)).toMatch(/^Stopped: /);
      // Another cell runs after (a fresh worker).
      expect((await runCell(page, 'tok-ids', 60_000)).output).toBe(seed.convertTokensToIds);
      // The timeout (3 s here, ?cell_timeout=3) stops it without a click.
      const t1 = Date.now();
      const timedOut = await runCell(page, 'tok-tokenize', 20_000);
      measured['3 s timeout, click to error (ms)'] = Date.now() - t1;
      expect(timedOut.error).toMatch(/^TimeoutError: the cell ran for 3 s and was stopped/);
      expect((await runCell(page, 'tok-pad', 60_000)).output).toBe(seed.padTruncate);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('a worker that dies ends its cell at once, saying so; the next cell gets a fresh worker', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors = watchConsole(page);
      await openPage(page, site.base, 'tokenizer');
      // An error thrown outside the cell's own code (a timer) kills the worker while the cell still awaits.
      await page.evaluate(() =>
        window.__sdtextCells?.['tok-tokenize']?.setCode('setTimeout(() => { throw new Error("boom in a timer"); }, 10);\nawait new Promise(() => {});'),
      );
      const t0 = Date.now();
      const run = await runCell(page, 'tok-tokenize', 10_000);
      measured['worker death to cell error (ms)'] = Date.now() - t0;
      expect(run.error).toMatch(/^WorkerError: the cells' worker stopped on an uncaught error: .*boom in a timer/);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect((await runCell(page, 'tok-ids', 60_000)).output).toBe(seed.convertTokensToIds);
      // The uncaught error itself is reported by the browser; nothing else is.
      expect(errors.filter((e) => !e.includes('boom in a timer'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('a worker that cannot start ends the cell at once with an error saying so', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await openPage(page, site.base, 'text-encoder', 'backend=wasm');
      // The worker's script cannot be fetched (a host that lost it, a blocking extension).
      // context.route: the site's service worker fetches it, and a page route would not see that request.
      await browser.context.route(/\/assets\/js\/cell-worker\.[0-9a-f]+\.js$/, (route) => route.abort('failed'));
      const t0 = Date.now();
      const run = await runCell(page, 'enc-call', 40_000);
      measured['worker that cannot start, click to cell error (ms)'] = Date.now() - t0;
      expect(run.error).toMatch(/^WorkerError: the cells' worker could not start/);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(await page.locator('[data-testid="runtime-bar"]').getAttribute('data-phase')).not.toBe('loading');
      await browser.context.unroute(/\/assets\/js\/cell-worker\.[0-9a-f]+\.js$/);
      expect((await runCell(page, 'enc-call', 60_000)).error).toBeNull();
    } finally {
      await browser.close();
    }
  });
});

describe('the engine bar', () => {
  let browser: LaunchedChromium;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('auto picks TensorFlow.js on wasm, on every core, for the demo model and says why', async () => {
    const page = await browser.context.newPage();
    const errors = watchConsole(page);
    await openPage(page, site.base, 'text-encoder');
    expect((await runCell(page, 'enc-call')).error).toBeNull();
    expect(await page.locator('[data-testid="engine-in-use"]').getAttribute('data-engine')).toBe('tfjs');
    expect(await page.locator('[data-testid="backend-in-use"]').textContent()).toBe('wasm');
    expect(await page.locator('[data-testid="threads-in-use"]').getAttribute('data-threads')).toBe('2');
    expect(await page.locator('[data-testid="auto-reason"]').textContent()).toMatch(
      /^auto chose TensorFlow\.js because this model is small \(25 k layer weights, under 10 M\).*backend wasm, 2 threads \(the page is cross-origin isolated\)/,
    );
    expect(await page.locator('[data-testid="isolation-note"]').textContent()).toMatch(/is cross-origin isolated/);
    // Runs leak no tensors.
    for (let i = 0; i < 3; i++) {
      const run = await runCell(page, 'enc-call');
      expect(run.tensors, 'enc-call reports its tensor counts').not.toBeNull();
      expect(run.tensors!.after).toBe(run.tensors!.before);
    }
    // Switching the engine in the bar loads the model on ONNX Runtime Web; the cells follow.
    await page.locator('[data-testid="engine-select"]').selectOption('onnx');
    await page.waitForFunction(() => document.querySelector('[data-testid="engine-in-use"]')?.getAttribute('data-engine') === 'onnx', undefined, { timeout: 60_000 });
    const onOnnx = await runCell(page, 'enc-call');
    expect(`${onOnnx.engine}/${onOnnx.backend}`).toBe('onnx/wasm');
    expect(errors).toEqual([]);
    await page.evaluate(() => window.localStorage.clear());
    await page.close();
  });
});

/**
 * stabilityai/stable-diffusion-2-base's fp16 branch as a local hub (the demo weights under SD2's
 * name, the tokenizer folder rebuilt from the bundled vocabulary), cross-origin like huggingface.co.
 */
function fakeHub(): { files: Map<string, Buffer>; requests: string[] } {
  const prefix = '/stabilityai/stable-diffusion-2-base/resolve/fp16/';
  const { tokens, merges } = bundledClipVocabulary();
  const lines = ['#version: 0.2'];
  for (let i = 0; i < merges.length; i += 3) lines.push(`${tokens[merges[i] ?? 0]} ${tokens[merges[i + 1] ?? 0]}`);
  const files = new Map<string, Buffer>([
    ['model_index.json', Buffer.from(JSON.stringify({ _class_name: 'StableDiffusionPipeline', tokenizer: ['transformers', 'CLIPTokenizer'], text_encoder: ['transformers', 'CLIPTextModel'] }))],
    ['tokenizer/vocab.json', Buffer.from(JSON.stringify(CLIPTokenizer.fromPreset('sd2').getVocab()))],
    ['tokenizer/merges.txt', Buffer.from(`${lines.join('\n')}\n`)],
    ['tokenizer/tokenizer_config.json', readFileSync(join(REPO, 'models/fixtures/tokenizer/sd2-base/tokenizer_config.json'))],
    ['tokenizer/special_tokens_map.json', readFileSync(join(REPO, 'models/fixtures/tokenizer/sd2-base/special_tokens_map.json'))],
    ['text_encoder/config.json', readFileSync(join(TINY, 'text_model/config.json'))],
    ['text_encoder/model.safetensors', readFileSync(join(TINY, 'text_model/model.safetensors'))],
  ]);
  return { files: new Map([...files].map(([k, v]) => [prefix + k, v])), requests: [] };
}

describe('"Load the real SD2 text encoder" against a local hub', () => {
  let hub: Server;
  let hubUrl: string;
  const { files, requests } = fakeHub();
  const stall = { on: false, closed: 0 };

  beforeAll(async () => {
    hub = createHttpServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requests.push(path);
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', '*');
      res.setHeader('access-control-expose-headers', 'content-length, x-linked-size, x-linked-etag');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      const body = files.get(path);
      if (!body) return void res.writeHead(404).end('Entry not found');
      if (stall.on && path.endsWith('.safetensors')) {
        // A slow hub: the first 64 kB, then nothing until the client gives up.
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
        res.write(body.subarray(0, 65536));
        req.on('close', () => (stall.closed += 1));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }).end(body);
    });
    const port = await freePort();
    await new Promise<void>((ok) => hub.listen(port, '127.0.0.1', ok));
    hubUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(() => {
    hub?.close();
  });

  it('"Back to the demo model" stops an SD2 download at once', async () => {
    const browser = await launchChromium();
    stall.on = true;
    try {
      const page = await browser.context.newPage();
      const errors = watchConsole(page, hubUrl);
      await openPage(page, site.base, 'text-encoder', `backend=wasm&hf_endpoint=${encodeURIComponent(hubUrl)}`);
      expect(await page.locator('[data-testid="load-sd2"]').textContent()).toContain('≈680 MB download');
      await page.locator('[data-testid="load-sd2"]').click();
      await page.waitForFunction(() => document.querySelector('[role="progressbar"]')?.textContent?.includes('model.safetensors'), undefined, { timeout: 60_000 });
      const started = Date.now();
      await page.locator('[data-testid="back-to-demo"]').click();
      await page.waitForSelector('[data-testid="runtime-bar"][data-phase="ready"]', { timeout: 30_000 });
      const ms = Date.now() - started;
      measured['back to the demo model while SD2 downloads (ms)'] = ms;
      expect(ms, 'back to the demo model while SD2 downloads').toBeLessThan(5_000);
      expect((await runCell(page, 'enc-call', 60_000)).error).toBeNull();
      expect(await page.locator('[data-cell="enc-call"] .sd-badge--model').textContent()).toBe('demo model');
      await expect.poll(() => stall.closed, { timeout: 10_000 }).toBeGreaterThan(0); // the download's connection was closed
      const cached = await page.evaluate(async () => (await (await caches.open('sdtext-hub')).keys()).map((r) => new URL(r.url).pathname));
      expect(cached.some((p) => p.endsWith('.safetensors'))).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      stall.on = false;
      await browser.close();
    }
  });

  it('a hub that cannot be reached: the error says so, the demo model and its backend stay in use', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      // The browser says it is online, but nothing answers at the hub's address.
      const nowhere = `http://127.0.0.1:${await freePort()}`;
      const errors = watchConsole(page, nowhere);
      await openPage(page, site.base, 'text-encoder', `backend=wasm&hf_endpoint=${encodeURIComponent(nowhere)}`);
      expect((await runCell(page, 'enc-call')).error).toBeNull();
      expect(await page.locator('[data-testid="backend-in-use"]').textContent()).toBe('wasm');
      await page.locator('[data-testid="load-sd2"]').click();
      await page.waitForSelector('[data-testid="runtime-error"]', { timeout: 60_000 });
      expect(await page.locator('[data-testid="runtime-error"]').textContent()).toMatch(
        /^Loading the SD2 text encoder failed: [\s\S]*The demo model stays in use, on the same backend\.$/,
      );
      // Nothing claims SD2 is on its way; the demo model and the backend are as they were.
      expect(await page.locator('[data-testid="sd2-status"]').count()).toBe(0);
      expect(await page.locator('[data-testid="backend-in-use"]').textContent()).toBe('wasm');
      const after = await runCell(page, 'enc-pad77');
      expect(after.error).toBeNull();
      expect(`${after.engine}/${after.backend}`).toBe('tfjs/wasm');
      expect(await page.locator('[data-cell="enc-pad77"] .sd-badge--model').textContent()).toBe('demo model');
      expect(errors.filter((e) => !/Failed to fetch|ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('offline, the button says SD2 is not cached before anything is tried; the demo model keeps working', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors = watchConsole(page);
      await openPage(page, site.base, 'text-encoder', `backend=wasm&hf_endpoint=${encodeURIComponent(hubUrl)}`);
      await page.waitForSelector('html[data-offline-ready="true"]', { timeout: 30_000 });
      expect((await runCell(page, 'enc-call')).error).toBeNull();
      requests.length = 0;
      await browser.context.setOffline(true);
      await page.waitForSelector('[data-testid="offline-note"]');
      const button = page.locator('[data-testid="load-sd2"]');
      expect(await button.textContent()).toBe('Real SD2 text encoder: you are offline and it is not in this browser\'s cache');
      expect(await button.isDisabled()).toBe(true);
      const run = await runCell(page, 'enc-pad77');
      expect(run.error).toBeNull();
      expect(`${run.engine}/${run.backend}`).toBe('tfjs/wasm');
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
      await browser.context.setOffline(false);
    } finally {
      await browser.close();
    }
  });

  it('downloads from the hub, runs the cells on it, then loads from Cache Storage, online and offline', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      // The loader asks for optional files (tokenizer/added_tokens.json, ...): the hub's 404s are expected.
      const errors = watchConsole(page, hubUrl);
      await openPage(page, site.base, 'text-encoder', `backend=webgl&hf_endpoint=${encodeURIComponent(hubUrl)}`);
      // Record the progress bar's texts while the files arrive.
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { progressSeen: string[] }).progressSeen = seen;
        new MutationObserver(() => {
          const bar = document.querySelector('[role="progressbar"]');
          if (bar?.textContent) seen.push(bar.textContent);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await page.locator('[data-testid="load-sd2"]').click();
      await page.waitForSelector('[data-testid="runtime-bar"][data-phase="ready"]', { timeout: 60_000 });
      const progress = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
      expect(progress.some((t) => t.startsWith('model.safetensors') || t.includes('model.safetensors:'))).toBe(true);
      expect(requests.some((r) => r.endsWith('text_encoder/model.safetensors'))).toBe(true);
      const cached = await page.evaluate(async () => (await (await caches.open('sdtext-hub')).keys()).map((r) => new URL(r.url).pathname));
      expect(cached).toContain('/stabilityai/stable-diffusion-2-base/resolve/fp16/text_encoder/model.safetensors');
      expect((await runCell(page, 'enc-call', 60_000)).error).toBeNull();
      expect(await page.locator('[data-cell="enc-call"] .sd-badge--model').textContent()).toBe('SD2 weights');

      // After a reload the choice is remembered and the weights come from Cache Storage.
      requests.length = 0;
      await page.reload();
      await page.waitForSelector('html[data-hydrated="true"]');
      expect((await runCell(page, 'enc-pad77', 60_000)).error).toBeNull();
      expect(await page.locator('[data-cell="enc-pad77"] .sd-badge--model').textContent()).toBe('SD2 weights');
      expect(requests.filter((r) => r.endsWith('.safetensors') || r.endsWith('vocab.json'))).toEqual([]);
      expect(errors).toEqual([]);
      await page.locator('[data-testid="runtime-bar"]').screenshot({ path: join(ARTIFACTS, 'sd2-loaded-bar.png') });
      expect(await page.locator('[data-testid="sd2-status"]').textContent()).toMatch(/in this browser's Cache Storage \(\d+ files/);

      // Offline: the page reloads from the site's service worker, SD2 loads from Cache Storage
      // alone (the remembered 404s such as added_tokens.json are not asked for), cells say so.
      await page.waitForSelector('html[data-offline-ready="true"]', { timeout: 30_000 });
      requests.length = 0;
      await browser.context.setOffline(true);
      await page.reload();
      await page.waitForSelector('html[data-hydrated="true"]');
      expect(await page.evaluate(() => navigator.onLine)).toBe(false);
      expect((await runCell(page, 'enc-call', 60_000)).error).toBeNull();
      expect(await page.locator('[data-cell="enc-call"] .sd-badge--model').textContent()).toBe('SD2 weights');
      expect(await page.locator('[data-testid="sd2-status"]').textContent()).toMatch(/Cache Storage .*offline, so only the cache is read/);
      await page.waitForSelector('[data-testid="offline-note"]');
      expect(requests).toEqual([]);
      await page.locator('[data-testid="runtime-bar"]').screenshot({ path: join(ARTIFACTS, 'sd2-offline-bar.png') });
      // Back to the demo model works offline too.
      await page.locator('[data-testid="back-to-demo"]').click();
      await page.waitForSelector('[data-testid="runtime-bar"][data-phase="ready"]', { timeout: 60_000 });
      expect((await runCell(page, 'enc-pad77', 60_000)).error).toBeNull();
      expect(await page.locator('[data-cell="enc-pad77"] .sd-badge--model').textContent()).toBe('demo model');
      expect(errors).toEqual([]);
      await browser.context.setOffline(false);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
