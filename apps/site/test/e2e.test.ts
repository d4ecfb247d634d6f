// End to end, in Debian chromium (playwright-core, @sdtext/browser-testing): serves the built
// site with `docusaurus serve` on 127.0.0.1, opens every tutorial page, clicks every cell's Run and
// holds the outputs against what the seed printed (tokenizer cells exactly) and the demo encoder
// against its PyTorch reference (models/fixtures/models/sd2-tiny, case "longest", within 1e-3),
// on WebGL, WebGPU and wasm. Fails on console errors. Screenshots and the page JS weight go to
// artifacts/site/.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedChromium } from '@sdtext/browser-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCLIPTextTransformer, parseCLIPTextConfig } from '@sdtext/text-encoder';
import { CLIPTokenizer, bundledClipVocabulary } from '@sdtext/tokenizer';
import * as seed from '../src/seed/outputs';
import { expectedFromSeed } from '../src/lib/compare';
import { readSafetensors } from '../src/lib/safetensors';

const SITE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(SITE, '../..');
const ARTIFACTS = join(REPO, 'artifacts/site');
const TINY = join(REPO, 'models/fixtures/models/sd2-tiny');

const PAGES = ['setup', 'pipeline', 'tokenizer', 'text-encoder', 'to-the-unet', 'prompts'] as const;
// WebGL and WebGPU as asked; wasm too, since it depends on the .wasm files the site serves.
const BACKENDS = ['webgl', 'webgpu', 'wasm'] as const;
type Backend = (typeof BACKENDS)[number];

interface CellRun {
  status: string;
  output: string;
  value: unknown;
  tensors: { before: number; after: number } | null;
  ms: number | null;
}

/** What the runs measured, written to artifacts/site/cells.json: time and tfjs tensors per cell. */
const measured: Record<string, { ms: number | null; tensors: { before: number; after: number } | null }> = {};

const tinyConfig = parseCLIPTextConfig(JSON.parse(readFileSync(join(TINY, 'text_model/config.json'), 'utf8')), 'sd2-tiny');
const H = tinyConfig.hidden_size;

/** What each cell must print. Every cell on a page must be listed here. */
const CHECKS: Record<string, (run: CellRun, backend: Backend) => void> = {
  'setup-backend': (r, backend) => expect(r.output).toContain(`backend: ${backend}`),
  'pipeline-tokenizer': (r) => expect(r.output.replace(/name_or_path='[^']*'/, "name_or_path='…'")).toBe(expectedFromSeed(seed.tokenizerSummary, 'name-or-path')),
  'pipeline-text-encoder': (r) => {
    expect(r.output).toContain(`'hidden_size': ${H}`);
    expect(r.output).toContain("SD2:    {'vocab_size': 49408, 'max_position_embeddings': 77, 'hidden_size': 1024, 'intermediate_size': 4096, 'num_hidden_layers': 23");
  },
  'tok-tokenize': (r) => expect(r.output).toBe(seed.tokenize),
  'tok-ids': (r) => expect(r.output).toBe(seed.convertTokensToIds),
  'tok-pad': (r) => expect(r.output).toBe(seed.padTruncate),
  'tok-decode': (r) => expect(r.output).toBe(seed.decode),
  'tok-vocab-size': (r) => expect(r.output).toBe(seed.vocabSize),
  'tok-special': (r) => expect(r.output).toBe(seed.specialTokensMap),
  'tok-decoder': (r) => expect(r.output).toBe(seed.decoderLookup),
  'tok-unknown': (r) => expect(r.output).toBe(seed.tokenizeUnknown),
  'tok-call': (r) => expect(r.output).toBe(seed.callAbcd),
  'tok-idx2token': (r) => expect(r.output).toBe(seed.idToToken),
  'tok-punct': (r) => expect(r.output).toMatch(/^\['a<\/w>', 'cat<\/w>', ',<\/w>'/),
  'enc-call': (r) => {
    expect(r.output.startsWith(expectedFromSeed(`${seed.encoderInputs}\n${seed.encoderOutputs}`, 'prefix'))).toBe(true);
    expect(r.output).toContain("{'last_hidden_state': tensor([[[");
    expect(r.output).toContain("'pooler_output': tensor([[");
    expect(r.value).toEqual({ shapes: [[2, 11, H], [2, H]] });
  },
  'enc-pad77': (r) => {
    expect(r.output.startsWith(expectedFromSeed(seed.pad77Inputs, 'prefix'))).toBe(true);
    expect(r.output).toContain(`shapes: [2, 11, ${H}] [2, 77, ${H}]`);
    expect(r.output).toContain('first 11 positions equal: True');
    expect(r.output).toContain('pooler_output equal: True');
  },
  'enc-tree': (r) => expect(r.output).toBe(seed.textModelTree),
  'enc-tree-loaded': (r) => expect(r.output).toBe(describeCLIPTextTransformer(tinyConfig)),
  'enc-pooler': (r) => {
    expect(r.output).toContain('EOS positions: [6, 10]');
    expect(r.output).toContain('pooler_output == last_hidden_state[b, eos[b]]: True');
  },
  // The seed's last step, `CLIPTextTransformer??`: the class's source, as the package has it.
  'enc-source': (r) => expect(r.output).toBe(readFileSync(join(REPO, 'packages/text-encoder/src/modules/clip-text-transformer.ts'), 'utf8').replace(/\n$/, '')),
  'unet-shape': (r) => {
    expect(r.output).toContain(`prompt_embeds: [1, 77, ${H}] (SD2: [1, 77, 1024])`);
    expect(r.output).toContain('text rows 0 .. 6 equal with and without the mask: True');
    expect(r.output).toContain('padding rows: max |difference| = > 0');
  },
  'unet-cfg': (r) => {
    expect(r.output).toContain('ids of the empty prompt: [49406, 49407, 0, 0] … 77 ids');
    expect(r.output).toContain(`the UNet's encoder_hidden_states: [2, 77, ${H}]`);
  },
  'unet-clip-skip': (r) => {
    expect(r.output).toContain(`hidden_states: ${tinyConfig.num_hidden_layers + 1} tensors`);
    expect(r.output).toContain(`clip_skip=0: [1, 77, ${H}] equal to last_hidden_state: True`);
    expect(r.output).toContain(`clip_skip=1: [1, 77, ${H}] equal to last_hidden_state: False`);
  },
  'unet-limit': (r) => {
    expect(r.output).toMatch(/^tokens: \d+ of which the encoder sees 75\n/);
    expect(r.output).toContain('The following part of your input was truncated');
    expect(r.output).toContain('kept ids: 77 ending with [');
    expect(r.output).toMatch(/, 49407\]$/);
  },
  // Prompts as front ends write them: plain text to diffusers, chunks and weights to A1111/ComfyUI.
  'prompt-plain': (r) => {
    // The brackets, the colon, the digits and BREAK are tokens like any other.
    const tokens = CLIPTokenizer.fromPreset('sd2').tokenize('a (red:1.3) cat, [blurry] BREAK masterpiece');
    expect(tokens).toContain('break</w>');
    expect(r.output.split('\n')[0]).toBe(`[${tokens.map((t) => `'${t}'`).join(', ')}]`);
    expect(r.output).toContain(`prompt_embeds: [1, 77, ${H}]`);
  },
  'prompt-break': (r) => {
    expect(r.output).toContain(`prompt_embeds:          [1, 154, ${H}] (SD2: [1, 154, 1024])`);
    expect(r.output).toContain(`negative_prompt_embeds: [1, 154, ${H}]`);
  },
  'prompt-cache': (r) => {
    expect(r.output).toContain(`weight-only edit: [1, 154, ${H}] encoder calls: 0`);
    // The cache's encoderCalls: unchanged by a weight-only edit, one run when a word changes.
    expect(r.value).toEqual({ weightEdit: 0, wordEdit: 1 });
  },
  'prompt-dialects': (r) => {
    expect(r.output).toContain(`(red:1.3): A1111 [1, 77, ${H}] ComfyUI [1, 77, ${H}]`);
    expect(r.output).toContain('A1111 vs ComfyUI: max |difference| = > 1e-4');
    expect(r.output).toContain('no weights, a1111 equal to diffusers: True');
    expect(r.output).toContain('no weights, comfy equal to diffusers: True');
  },
  'enc-reference': (r) => {
    expect(r.output).toContain('input_ids equal: True');
    const value = r.value as { texts: string[]; lastHiddenState: number[][][]; poolerOutput: number[][] };
    const manifest = JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')) as { cases: { longest: { texts: string[] } } };
    expect(value.texts).toEqual(manifest.cases.longest.texts);
    const ref = readSafetensors(readFileSync(join(TINY, 'outputs/longest.safetensors')));
    for (const [name, got] of [['last_hidden_state', value.lastHiddenState], ['pooler_output', value.poolerOutput]] as const) {
      const want = ref.get(name);
      if (!want) throw new Error(`reference has no ${name}`);
      const flat = (got as unknown[]).flat(2) as number[];
      expect(flat.length).toBe(want.data.length);
      const worst = flat.reduce((m, v, i) => Math.max(m, Math.abs(v - (want.data[i] ?? NaN))), 0);
      expect(worst, `${name} max |diff|`).toBeLessThan(1e-3);
    }
  },
};

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

let server: ChildProcess;
let base: string;

beforeAll(async () => {
  if (!existsSync(join(SITE, 'build/tutorial/tokenizer/index.html')) && !existsSync(join(SITE, 'build/tutorial/tokenizer.html'))) {
    throw new Error('apps/site/build is missing: run `pnpm --filter @sdtext/site build` first (turbo runs it before test)');
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [join(SITE, 'node_modules/@docusaurus/core/bin/docusaurus.mjs'), 'serve', '--port', String(port), '--host', '127.0.0.1', '--no-open'], {
    cwd: SITE,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/tutorial/setup`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('docusaurus serve did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
});

afterAll(() => {
  server?.kill();
  if (Object.keys(measured).length) writeFileSync(join(ARTIFACTS, 'cells.json'), `${JSON.stringify(measured, null, 2)}\n`);
});

/** Console errors of the page; `allow404From`: an origin whose 404s are expected (optional files). */
function watchConsole(page: Page, allow404From?: string): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (allow404From && msg.location().url.startsWith(allow404From) && msg.text().includes('404')) return;
    errors.push(`${page.url()}: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  return errors;
}

async function open(page: Page, path: string, backend: Backend): Promise<void> {
  await page.goto(`${base}/tutorial/${path}?backend=${backend}`);
  await page.waitForSelector('html[data-hydrated="true"]');
}

async function runCells(page: Page, label = ''): Promise<Map<string, CellRun>> {
  const ids = await page.$$eval('[data-cell]', (els) => els.map((e) => e.getAttribute('data-cell') ?? ''));
  const runs = new Map<string, CellRun>();
  for (const id of ids) {
    const cell = page.locator(`[data-cell="${id}"]`);
    await cell.locator('button.sd-run').click();
    await page.waitForSelector(`[data-cell="${id}"]:is([data-status="done"], [data-status="error"])`, { timeout: 120_000 });
    const run = await page.evaluate((cellId) => {
      const record = window.__sdtextCells?.[cellId];
      return {
        status: record?.status ?? 'missing',
        output: record?.output ?? '',
        value: record?.value ?? null,
        error: record?.error ?? null,
        tensors: record?.tensors ?? null,
        ms: record?.ms ?? null,
      };
    }, id);
    expect(run.error, `cell ${id} failed`).toBeNull();
    // Every tensor a run creates is disposed when it ends.
    if (run.tensors) expect(run.tensors.after, `cell ${id}: tf.memory().numTensors after the run`).toBe(run.tensors.before);
    if (label) measured[`${label}/${id}`] = { ms: run.ms, tensors: run.tensors };
    // The output area shows exactly what the runner printed.
    expect(await cell.locator('[data-testid="cell-output"]').textContent()).toBe(run.output);
    runs.set(id, run);
  }
  return runs;
}

describe.each(BACKENDS)('tutorial pages on %s', (backend) => {
  let browser: LaunchedChromium;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    browser = await launchChromium({ webgpu: backend === 'webgpu' });
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    errors = watchConsole(page);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it.each(PAGES)('%s: every cell runs and prints what the seed printed', async (path) => {
    await open(page, path, backend);
    const runs = await runCells(page, backend);
    expect(runs.size).toBeGreaterThan(0);
    for (const [id, run] of runs) {
      const check = CHECKS[id];
      if (!check) throw new Error(`cell ${id} has no check in test/e2e.test.ts`);
      check(run, backend);
      if (await page.locator(`[data-cell="${id}"] [data-testid="seed-output"]`).count()) {
        // The page's own verdict agrees.
        await expect(page.locator(`[data-cell="${id}"] .sd-verdict--same`).count()).resolves.toBe(1);
      }
    }
    if (path !== 'tokenizer') {
      expect(await page.locator('[data-testid="backend-in-use"]').textContent()).toBe(backend);
    }
    if (path === 'text-encoder' || path === 'to-the-unet') {
      // The Python tab shows the seed's (or diffusers') code for the step.
      const first = page.locator('[data-cell] [data-tab="python"]').first();
      await first.click();
      expect(await page.locator('.sd-cell__python').first().textContent()).toMatch(/pipe\.|self\./);
      await page.locator('[data-cell] [data-tab="js"]').first().click();
    }
    if (path === 'tokenizer') {
      expect(await page.locator('[data-testid="token-view"] .sd-chip').count()).toBe(13);
      expect(await page.locator('[data-testid="mask-grid"] .sd-mask__cell--on').count()).toBe(13 + 77);
      if (backend === 'wasm') {
        // The BPE stepper: "highres" from its 7 byte symbols to ['high', 'res</w>'].
        const bpe = page.locator('[data-testid="bpe-stepper"]');
        await bpe.scrollIntoViewIfNeeded();
        await page.waitForSelector('[data-testid="bpe-symbols"]', { timeout: 30_000 });
        expect(JSON.parse((await bpe.locator('[data-testid="bpe-symbols"]').getAttribute('data-symbols')) ?? '[]')).toEqual(['high', 'res</w>']);
        await bpe.locator('input[type="range"]').fill('0');
        expect(JSON.parse((await bpe.locator('[data-testid="bpe-symbols"]').getAttribute('data-symbols')) ?? '[]')).toEqual(['h', 'i', 'g', 'h', 'r', 'e', 's</w>']);
        expect(await bpe.locator('.sd-bpe__bytes td').count()).toBe(14);
        await bpe.getByRole('button', { name: 'Merge ▶' }).click();
        expect(await bpe.locator('[data-testid="bpe-step"]').textContent()).toMatch(/^step 1 of \d+$/);
        expect(await bpe.locator('[data-testid="bpe-merge"]').textContent()).toMatch(/^merge rank \d+: /);
      }
    }
    if (path === 'prompts') {
      // The live view: the BREAK prompt is two chunks in A1111, one in ComfyUI (BREAK is a word
      // there); it follows the text as the reader types.
      const view = page.locator('[data-testid="prompt-view"]');
      await page.waitForSelector('[data-testid="prompt-result"][data-chunks="2"]', { timeout: 30_000 });
      expect(await view.locator('[data-testid="prompt-chunk"]').count()).toBe(2);
      expect(await view.locator('[data-testid="prompt-summary"]').textContent()).toBe('2 chunks of 77 tokens → embeddings [1, 154, H]');
      expect(await view.locator('[data-testid="prompt-pieces"]').textContent()).toContain('×1.3');
      await view.locator('[data-dialect="comfy"]').click();
      await page.waitForSelector('[data-testid="prompt-result"][data-chunks="1"]', { timeout: 10_000 });
      await view.locator('[data-dialect="a1111"]').click();
      await page.waitForSelector('[data-testid="prompt-result"][data-chunks="2"]', { timeout: 10_000 });
      await view.locator('[data-testid="prompt-input"]').fill('a (red:1.3) cat, [blurry] masterpiece');
      await page.waitForSelector('[data-testid="prompt-result"][data-chunks="1"]', { timeout: 10_000 });
      expect(await view.locator('[data-testid="prompt-chunk"]').first().textContent()).toContain('×0.909');
      await view.locator('[data-testid="prompt-input"]').fill('a cat BREAK a dog BREAK a bird');
      await page.waitForSelector('[data-testid="prompt-result"][data-chunks="3"]', { timeout: 10_000 });
      // The long prompt: more than 75 tokens, so a second chunk.
      await view.getByRole('button', { name: 'Long prompt' }).click();
      await page.waitForSelector('[data-testid="prompt-result"][data-chunks="2"]', { timeout: 10_000 });
      expect(await view.locator('[data-testid="prompt-error"]').count()).toBe(0);
    }
    if (path === 'text-encoder') {
      await page.locator('[data-testid="heatmap"] button').click();
      await page.waitForSelector('[data-testid="heatmap"] canvas', { timeout: 60_000 });
      await page.locator('[data-testid="similarity"] button').click();
      await page.waitForSelector('[data-testid="similarity"] td', { timeout: 60_000 });
      expect(await page.locator('[data-testid="similarity"] td').count()).toBe(25);
      if (backend === 'wasm') {
        // The attention view: layer 0, head 0 of a prompt padded to 77; exactly 0 above the
        // diagonal (causal mask) and in the padding columns (attention mask).
        await page.locator('[data-testid="attention-view"] button').click();
        const map = page.locator('[data-testid="attention-map"]');
        await map.waitFor({ timeout: 60_000 });
        expect(await map.getAttribute('data-layer')).toBe('0');
        expect(await map.getAttribute('data-head')).toBe('0');
        expect(await map.getAttribute('data-seq')).toBe('77');
        expect(await map.getAttribute('data-length')).toBe('7'); // <|startoftext|> a photo of a cat <|endoftext|>
        expect(await map.getAttribute('data-upper-max')).toBe('0');
        expect(await map.getAttribute('data-padding-max')).toBe('0');
        // The forward-pass stepper: starts on the embeddings, Next moves to layer 0's layer_norm1,
        // and the highlighted tree line follows.
        const fwd = page.locator('[data-testid="forward-stepper"]');
        await fwd.getByRole('button', { name: 'Run the forward pass' }).click();
        await page.waitForSelector('[data-testid="forward-step"][data-step="0"]', { timeout: 60_000 });
        expect(await fwd.locator('[data-testid="forward-step"]').textContent()).toMatch(/embeddings.*hidden_states\[0\] \[1, 77, 32\]/);
        expect(await fwd.locator('[data-on="true"]').textContent()).toContain('(embeddings): CLIPTextEmbeddings(');
        await fwd.locator('[data-testid="forward-next"]').click();
        await page.waitForSelector('[data-testid="forward-step"][data-step="1"]', { timeout: 5_000 });
        expect(await fwd.locator('[data-testid="forward-step"]').textContent()).toContain('layer 0: layer_norm1');
        expect(await fwd.locator('[data-on="true"]').textContent()).toContain('(layer_norm1): LayerNorm(');
        await fwd.locator('input[type="range"]').fill(String((await fwd.locator('input[type="range"]').getAttribute('max')) ?? '0'));
        expect(await fwd.locator('[data-testid="forward-step"]').textContent()).toMatch(/pooling.*pooler_output \[1, 32\]/);
      }
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, `${backend}-${path}.png`), fullPage: true });
    expect(errors).toEqual([]);
  });
});

interface JsFile {
  url: string;
  bytes: number;
  gzip: number;
}

/** The .js files the page fetched, split at the moment it became interactive (hydrated). */
async function scriptsLoaded(page: Page): Promise<{ before: string[]; after: string[] }> {
  return page.evaluate(() => {
    const mark = performance.getEntriesByName('sdtext-hydrated')[0]?.startTime ?? Infinity;
    const js = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname.endsWith('.js'));
    return {
      before: js.filter((e) => e.startTime <= mark).map((e) => e.name),
      after: js.filter((e) => e.startTime > mark).map((e) => e.name),
    };
  });
}

async function measure(urls: string[]): Promise<{ files: number; bytes: number; gzip: number; list: JsFile[] }> {
  const list = await Promise.all(
    urls.map(async (url) => {
      const body = Buffer.from(await (await fetch(url)).arrayBuffer());
      return { url: url.replace(base, ''), bytes: body.length, gzip: gzipSync(body).length };
    }),
  );
  return { files: list.length, bytes: list.reduce((a, x) => a + x.bytes, 0), gzip: list.reduce((a, x) => a + x.gzip, 0), list };
}

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
      await page.goto(`${base}/tutorial/text-encoder?backend=wasm&hf_endpoint=${encodeURIComponent(hubUrl)}`);
      await page.waitForSelector('html[data-hydrated="true"]');
      expect(await page.locator('[data-testid="load-sd2"]').textContent()).toContain('≈680 MB download');
      await page.locator('[data-testid="load-sd2"]').click();
      await page.waitForFunction(() => document.querySelector('[role="progressbar"]')?.textContent?.includes('model.safetensors'), undefined, { timeout: 60_000 });
      const started = Date.now();
      await page.locator('[data-testid="back-to-demo"]').click();
      await page.waitForSelector('[data-testid="runtime-bar"][data-phase="ready"]', { timeout: 30_000 });
      const ms = Date.now() - started;
      measured['abort/back-to-demo'] = { ms, tensors: null };
      expect(ms, 'back to the demo model while SD2 downloads').toBeLessThan(5_000);
      await page.locator('[data-cell="enc-call"] button.sd-run').click();
      await page.waitForSelector('[data-cell="enc-call"][data-status="done"]', { timeout: 60_000 });
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

  it('downloads from the hub, runs the cells on it, then loads from Cache Storage', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      // The loader asks for optional files (tokenizer/added_tokens.json, ...): the hub's 404s are expected.
      const errors = watchConsole(page, hubUrl);
      const url = `${base}/tutorial/text-encoder?backend=webgl&hf_endpoint=${encodeURIComponent(hubUrl)}`;
      await page.goto(url);
      await page.waitForSelector('html[data-hydrated="true"]');
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
      const cell = page.locator('[data-cell="enc-call"]');
      await cell.locator('button.sd-run').click();
      await page.waitForSelector('[data-cell="enc-call"][data-status="done"]', { timeout: 60_000 });
      expect(await cell.locator('.sd-badge--model').textContent()).toBe('SD2 weights');

      // After a reload the choice is remembered and the weights come from Cache Storage.
      requests.length = 0;
      await page.reload();
      await page.waitForSelector('html[data-hydrated="true"]');
      await page.locator('[data-cell="enc-pad77"] button.sd-run').click();
      await page.waitForSelector('[data-cell="enc-pad77"][data-status="done"]', { timeout: 60_000 });
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
      await page.locator('[data-cell="enc-call"] button.sd-run').click();
      await page.waitForSelector('[data-cell="enc-call"]:is([data-status="done"], [data-status="error"])', { timeout: 60_000 });
      expect(await page.evaluate(() => window.__sdtextCells?.['enc-call']?.error ?? null)).toBeNull();
      expect(await page.locator('[data-cell="enc-call"] .sd-badge--model').textContent()).toBe('SD2 weights');
      expect(await page.locator('[data-testid="sd2-status"]').textContent()).toMatch(/Cache Storage .*offline, so only the cache is read/);
      await page.waitForSelector('[data-testid="offline-note"]');
      expect(requests).toEqual([]);
      await page.locator('[data-testid="runtime-bar"]').screenshot({ path: join(ARTIFACTS, 'sd2-offline-bar.png') });
      // Back to the demo model works offline too.
      await page.locator('[data-testid="back-to-demo"]').click();
      await page.waitForSelector('[data-testid="runtime-bar"][data-phase="ready"]', { timeout: 60_000 });
      await page.locator('[data-cell="enc-pad77"] button.sd-run').click();
      await page.waitForSelector('[data-cell="enc-pad77"][data-status="done"]', { timeout: 60_000 });
      expect(await page.locator('[data-cell="enc-pad77"] .sd-badge--model').textContent()).toBe('demo model');
      expect(errors).toEqual([]);
      await browser.context.setOffline(false);
    } finally {
      await browser.close();
    }
  }, 240_000);
});

describe('cells run in a Web Worker: Stop and the timeout', () => {
  it('an endless loop is stopped by Stop and by the timeout; the page stays responsive and other cells run', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors = watchConsole(page);
      await page.goto(`${base}/tutorial/tokenizer?backend=wasm&cell_timeout=3`);
      await page.waitForSelector('html[data-hydrated="true"]');
      const loop = page.locator('[data-cell="tok-tokenize"]');
      await page.evaluate(() => window.__sdtextCells?.['tok-tokenize']?.setCode('while (true) {}'));
      await loop.locator('button.sd-run').click();
      await loop.locator('button.sd-stop').waitFor();
      // The main thread is free while the loop spins in the worker.
      const t0 = Date.now();
      expect(await page.evaluate(() => new Promise<number>((ok) => requestAnimationFrame(() => ok(1))))).toBe(1);
      measured['worker/frame-during-loop'] = { ms: Date.now() - t0, tensors: null };
      expect(Date.now() - t0).toBeLessThan(1_000);
      await loop.locator('button.sd-stop').click();
      await page.waitForSelector('[data-cell="tok-tokenize"][data-status="error"]', { timeout: 5_000 });
      expect(await page.evaluate(() => window.__sdtextCells?.['tok-tokenize']?.error)).toMatch(/^Stopped: /);
      // Another cell runs after (a fresh worker).
      await page.locator('[data-cell="tok-ids"] button.sd-run').click();
      await page.waitForSelector('[data-cell="tok-ids"][data-status="done"]', { timeout: 60_000 });
      expect(await page.evaluate(() => window.__sdtextCells?.['tok-ids']?.output)).toBe(seed.convertTokensToIds);
      // The timeout (3 s here, ?cell_timeout=3) stops it without a click.
      const t1 = Date.now();
      await loop.locator('button.sd-run').click();
      await page.waitForSelector('[data-cell="tok-tokenize"][data-status="error"]', { timeout: 20_000 });
      measured['worker/timeout-3s'] = { ms: Date.now() - t1, tensors: null };
      expect(await page.evaluate(() => window.__sdtextCells?.['tok-tokenize']?.error)).toMatch(/^TimeoutError: the cell ran for 3 s and was stopped/);
      await page.locator('[data-cell="tok-pad"] button.sd-run').click();
      await page.waitForSelector('[data-cell="tok-pad"][data-status="done"]', { timeout: 60_000 });
      expect(await page.evaluate(() => window.__sdtextCells?.['tok-pad']?.output)).toBe(seed.padTruncate);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('page weight', () => {
  it('measures the JS a tutorial page downloads before it is interactive', async () => {
    const browser = await launchChromium();
    try {
      const report: Record<string, unknown> = {};
      for (const path of ['tokenizer', 'text-encoder']) {
        const page = await browser.context.newPage();
        await page.goto(`${base}/tutorial/${path}?backend=webgl`);
        await page.waitForSelector('html[data-hydrated="true"]');
        const { before } = await scriptsLoaded(page);
        // Then the lazy part: the first cell's run (tokenizer; plus tfjs and the model on the encoder page).
        const first = await page.$eval('[data-cell]', (e) => e.getAttribute('data-cell') ?? '');
        await page.locator(`[data-cell="${first}"] button.sd-run`).click();
        await page.waitForSelector(`[data-cell="${first}"][data-status="done"]`, { timeout: 120_000 });
        const { after } = await scriptsLoaded(page);
        report[path] = { beforeInteractive: await measure(before), onFirstRun: await measure(after) };
        await page.close();
      }
      writeFileSync(join(ARTIFACTS, 'page-weight.json'), `${JSON.stringify(report, null, 2)}\n`);
      const tokenizer = report.tokenizer as { beforeInteractive: { gzip: number; list: JsFile[] } };
      // Docusaurus + React + the page only: neither tfjs nor the vocabulary is in the first download.
      expect(tokenizer.beforeInteractive.list.map((f) => f.url).join(' ')).not.toMatch(/tfjs/);
      expect(tokenizer.beforeInteractive.gzip).toBeLessThan(250_000);
    } finally {
      await browser.close();
    }
  });
});

/**
 * WCAG contrast of each matched element's text against what is behind it: for HTML, the
 * background colours of its ancestors blended down from the page; for SVG text in a diagram box,
 * the box's fill (with its opacity) over the page. Returns the lowest ratio per selector.
 */
async function contrastReport(page: Page, selectors: string[]): Promise<Record<string, { min: number; count: number; worst: string }>> {
  return page.evaluate((sels) => {
    type RGBA = [number, number, number, number];
    const probe = document.createElement('canvas').getContext('2d');
    const parse = (css: string): RGBA => {
      if (!probe) return [0, 0, 0, 1];
      probe.clearRect(0, 0, 1, 1);
      probe.fillStyle = '#000';
      probe.fillStyle = css;
      probe.fillRect(0, 0, 1, 1);
      const d = probe.getImageData(0, 0, 1, 1).data;
      return [d[0] ?? 0, d[1] ?? 0, d[2] ?? 0, (d[3] ?? 255) / 255];
    };
    const over = (top: RGBA, below: RGBA): RGBA => {
      const a = top[3];
      return [top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a), top[2] * a + below[2] * (1 - a), 1];
    };
    const backdrop = (el: Element | null): RGBA => {
      const chain: Element[] = [];
      for (let e = el; e; e = e.parentElement) chain.unshift(e);
      let color: RGBA = [255, 255, 255, 1];
      for (const e of chain) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) color = over(bg, color);
      }
      return color;
    };
    const luminance = (c: RGBA): number => {
      const lin = (v: number): number => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    };
    const ratio = (a: RGBA, b: RGBA): number => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
      return (hi + 0.05) / (lo + 0.05);
    };
    const out: Record<string, { min: number; count: number; worst: string }> = {};
    for (const sel of sels) {
      let min = Infinity;
      let worst = '';
      const els = [...document.querySelectorAll(sel)].filter((e) => (e.textContent ?? '').trim() !== '');
      for (const el of els) {
        let fg: RGBA;
        let bg: RGBA;
        if (el instanceof SVGElement) {
          const style = getComputedStyle(el);
          const page = backdrop(el.closest('svg')?.parentElement ?? null);
          const rect = el.closest('.sd-svg__box')?.querySelector('rect');
          bg = page;
          if (rect) {
            const rs = getComputedStyle(rect);
            const fill = parse(rs.fill);
            fill[3] *= Number(rs.fillOpacity || '1');
            bg = over(fill, page);
          }
          fg = over(parse(style.fill), bg);
        } else {
          bg = backdrop(el);
          fg = over(parse(getComputedStyle(el).color), bg);
        }
        const r = ratio(fg, bg);
        if (r < min) {
          min = r;
          worst = (el.textContent ?? '').trim().slice(0, 40);
        }
      }
      out[sel] = { min: Math.round(min * 100) / 100, count: els.length, worst };
    }
    return out;
  }, selectors);
}

const CONTRAST_SELECTORS = [
  '.sd-badge',
  '.sd-badge--model',
  '.sd-verdict',
  '.sd-cell__meta > span:not(.sd-badge)',
  '.sd-cell__note',
  '.sd-runtime__why',
  '.sd-tab',
  '.sd-svg__box text',
  '.sd-svg__sub',
  '.sd-svg__caption',
  '.sd-svg__plus',
];

describe('every reader: phone, dark mode, keyboard, auto backend', () => {
  let browser: LaunchedChromium;
  let errors: string[];
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.context.newPage();
    errors = watchConsole(page);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('auto picks wasm for the demo model and says why; runs leak no tensors', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/tutorial/text-encoder`);
    await page.waitForSelector('html[data-hydrated="true"]');
    for (let i = 0; i < 3; i++) {
      await page.locator('[data-cell="enc-call"] button.sd-run').click();
      await page.waitForSelector('[data-cell="enc-call"][data-status="done"]', { timeout: 120_000 });
      const run = await page.evaluate(() => window.__sdtextCells?.['enc-call']);
      expect(run?.tensors?.after).toBe(run?.tensors?.before);
      measured[`auto/enc-call#${i + 1}`] = { ms: run?.ms ?? null, tensors: run?.tensors ?? null };
    }
    expect(await page.locator('[data-testid="backend-in-use"]').textContent()).toBe('wasm');
    expect(await page.locator('[data-testid="auto-reason"]').textContent()).toMatch(/wasm first for this model: 25 k layer weights/);
    expect(errors).toEqual([]);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme} mode: text contrast meets WCAG AA (4.5:1) on badges, diagram labels and notes`, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${base}/tutorial/text-encoder`);
      await page.waitForSelector('html[data-hydrated="true"]');
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      for (const id of ['enc-call', 'enc-tree']) {
        await page.locator(`[data-cell="${id}"] button.sd-run`).click();
        await page.waitForSelector(`[data-cell="${id}"][data-status="done"]`, { timeout: 120_000 });
      }
      const report = await contrastReport(page, CONTRAST_SELECTORS);
      writeFileSync(join(ARTIFACTS, `contrast-${scheme}.json`), `${JSON.stringify(report, null, 2)}\n`);
      for (const [sel, r] of Object.entries(report)) {
        expect(r.count, `${sel} on the page`).toBeGreaterThan(0);
        expect(r.min, `${sel} contrast (worst: "${r.worst}")`).toBeGreaterThanOrEqual(4.5);
      }
      await page.locator('.sd-figure').last().screenshot({ path: join(ARTIFACTS, `diagram-${scheme}.png`) });
      await page.locator('[data-cell="enc-call"] .sd-cell__bar').screenshot({ path: join(ARTIFACTS, `cell-bar-${scheme}.png`) });
      expect(errors).toEqual([]);
    });
  }

  it.each(PAGES)('phone (375 px, dark): %s has no horizontal scroll', async (path) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${base}/tutorial/${path}`);
    await page.waitForSelector('html[data-hydrated="true"]');
    // Widgets draw once scrolled to: walk down the page, then run every cell.
    await page.evaluate(async () => {
      for (let y = 0; y < document.body.scrollHeight; y += 600) {
        window.scrollTo(0, y);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await runCells(page);
    if (path === 'tokenizer') {
      await page.locator('[data-testid="mask-grid"]').scrollIntoViewIfNeeded();
      await page.waitForSelector('[data-testid="mask-grid"] .sd-mask__cell', { state: 'attached', timeout: 60_000 });
    }
    const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    expect(width.scroll, 'page width on a 375 px screen').toBeLessThanOrEqual(width.inner);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, `phone-dark-${path}.png`), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('keyboard only: Tab to a cell, edit, Shift+Enter runs it, Escape then Tab moves on', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/tutorial/tokenizer`);
    await page.waitForSelector('html[data-hydrated="true"]');
    let presses = 0;
    while (!(await page.evaluate(() => document.activeElement?.closest('[data-cell="tok-tokenize"]') !== null && document.activeElement?.tagName === 'TEXTAREA'))) {
      await page.keyboard.press('Tab');
      if (++presses > 80) throw new Error('Tab never reached the first cell\'s editor');
    }
    // Tab inside the editor indents.
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.type('print("edited by keyboard");');
    expect(await page.evaluate(() => window.__sdtextCells?.['tok-tokenize']?.code.endsWith('\n  print("edited by keyboard");'))).toBe(true);
    await page.keyboard.press('Shift+Enter');
    await page.waitForSelector('[data-cell="tok-tokenize"][data-status="done"]');
    expect(await page.locator('[data-cell="tok-tokenize"] [data-testid="cell-output"]').textContent()).toContain('edited by keyboard');
    expect(await page.locator('[data-cell="tok-tokenize"] [data-testid="cell-status"]').textContent()).toMatch(/^Done in/);
    expect(await page.locator('[data-cell="tok-tokenize"] .sd-cell__live').getAttribute('aria-live')).toBe('polite');
    // Escape, then Tab: the focus goes to the next control after the editor, not back to the top.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    const after = await page.evaluate(() => {
      const el = document.activeElement;
      const editor = document.querySelector('[data-cell="tok-tokenize"] textarea');
      return {
        tag: el?.tagName ?? '',
        follows: !!el && !!editor && (editor.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0,
      };
    });
    expect(after.tag).not.toBe('BODY');
    expect(after.follows).toBe(true);
    // The Python tab is reachable and switches with the arrow keys.
    await page.locator('[data-cell="tok-tokenize"] [data-tab="js"]').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('[data-cell="tok-tokenize"] .sd-cell__python').textContent()).toContain('pipe.tokenizer.tokenize(');
    expect(errors).toEqual([]);
  });
});
