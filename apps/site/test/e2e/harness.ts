// What the end-to-end tests share: the built site served by scripts/serve.mjs (cross-origin
// isolated, or plainly), Debian chromium through @sdtext/browser-testing, console watching, and
// running a page's cells the way a reader does (click Run, wait, read the record the page keeps).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export const SITE = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO = resolve(SITE, '../..');
export const ARTIFACTS = join(REPO, 'artifacts/site');
export const TINY = join(REPO, 'models/fixtures/models/sd2-tiny');
/** The build the tests serve: apps/site/build, or SDTEXT_SITE_BUILD (an older build, to see a check fail on it). */
export const BUILD = process.env.SDTEXT_SITE_BUILD ?? join(SITE, 'build');

export const PAGES = ['setup', 'pipeline', 'tokenizer', 'text-encoder', 'to-the-unet', 'prompts'] as const;
export type PageName = (typeof PAGES)[number];

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

export interface SiteServer {
  base: string;
  isolated: boolean;
  close(): void;
}

/**
 * Serves the build with scripts/serve.mjs: COOP/COEP (isolated, as `pnpm start` serves it) or without.
 * SDTEXT_SITE_PLAIN=1 serves every test without them (an older build, which hung when isolated).
 */
export async function serveSite(asked: boolean): Promise<SiteServer> {
  const isolated = asked && process.env.SDTEXT_SITE_PLAIN !== '1';
  if (!existsSync(join(BUILD, 'tutorial/tokenizer.html')) && !existsSync(join(BUILD, 'tutorial/tokenizer/index.html'))) {
    throw new Error(`${BUILD} is missing: run \`pnpm --filter @sdtext/site build\` first (turbo runs it before test)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [join(SITE, 'scripts/serve.mjs'), '--port', String(port), '--dir', BUILD, ...(isolated ? [] : ['--no-isolation'])],
    { cwd: SITE, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/tutorial/setup`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('scripts/serve.mjs did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, isolated, close: () => child.kill() };
}

/** Console errors of the page; `allow404From`: an origin whose 404s are expected (optional files). */
export function watchConsole(page: Page, allow404From?: string): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (allow404From && msg.location().url.startsWith(allow404From) && msg.text().includes('404')) return;
    errors.push(`${page.url()}: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  return errors;
}

export async function openPage(page: Page, base: string, path: string, query = ''): Promise<void> {
  await page.goto(`${base}/tutorial/${path}${query ? `?${query}` : ''}`);
  await page.waitForSelector('html[data-hydrated="true"]');
}

export interface CellRun {
  status: string;
  output: string;
  value: unknown;
  engine: string | null;
  backend: string | null;
  tensors: { before: number; after: number } | null;
  ms: number | null;
}

/** Clicks one cell's Run and reads what the page recorded. */
export async function runCell(page: Page, id: string, timeout = 120_000): Promise<CellRun & { error: string | null }> {
  const cell = page.locator(`[data-cell="${id}"]`);
  await cell.locator('button.sd-run').click();
  await page.waitForSelector(`[data-cell="${id}"]:is([data-status="done"], [data-status="error"])`, { timeout });
  return page.evaluate((cellId) => {
    const record = window.__sdtextCells?.[cellId];
    return {
      status: record?.status ?? 'missing',
      output: record?.output ?? '',
      value: record?.value ?? null,
      error: record?.error ?? null,
      engine: record?.engine ?? null,
      backend: record?.backend ?? null,
      tensors: record?.tensors ?? null,
      ms: record?.ms ?? null,
    };
  }, id);
}

/** Runs every cell of the page in order; each must succeed, leak no tensors, and show what it printed. */
export async function runCells(page: Page, onRun?: (id: string, run: CellRun) => void): Promise<Map<string, CellRun>> {
  const ids = await page.$$eval('[data-cell]', (els) => els.map((e) => e.getAttribute('data-cell') ?? ''));
  const runs = new Map<string, CellRun>();
  for (const id of ids) {
    const run = await runCell(page, id);
    expect(run.error, `cell ${id} failed`).toBeNull();
    // Every tensor a run creates is disposed when it ends. A cell that ran on the model must report
    // its counts (a missing count is a failure, not a skipped check); one that never loaded it has no tfjs.
    expect(run.tensors !== null, `cell ${id}: tensor counts reported exactly when the model ran (engine ${run.engine})`).toBe(run.engine !== null);
    if (run.tensors) expect(run.tensors.after, `cell ${id}: tf.memory().numTensors after the run`).toBe(run.tensors.before);
    // The output area shows exactly what the runner printed.
    expect(await page.locator(`[data-cell="${id}"] [data-testid="cell-output"]`).textContent()).toBe(run.output);
    onRun?.(id, run);
    runs.set(id, run);
  }
  return runs;
}

/** Largest |a - b| over two flat arrays (Infinity when their lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] ?? NaN) - (b[i] ?? NaN));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
