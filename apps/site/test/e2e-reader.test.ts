// End to end, in Debian chromium, as a newcomer reads the cross-origin isolated site: every text
// element's contrast on every page in both themes (WCAG AA), a 375 px phone, the keyboard only,
// the home page and the chapter order, what the original is called, how fast the tokenizer page
// paints and answers its first Run, that the prompt view parses off the main thread, and the
// JavaScript a page needs before it is interactive.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedChromium } from '@sdtext/browser-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, PAGES, runCells, serveSite, watchConsole, type SiteServer } from './e2e/harness';

let site: SiteServer;
let browser: LaunchedChromium;
let page: Page;
let errors: string[];

beforeAll(async () => {
  site = await serveSite(true);
  browser = await launchChromium();
  page = await browser.context.newPage();
  errors = watchConsole(page);
});

afterAll(async () => {
  await browser?.close();
  site?.close();
});

async function open(path: string, query = ''): Promise<void> {
  await page.goto(`${site.base}${path}${query ? `?${query}` : ''}`);
  await page.waitForSelector('html[data-hydrated="true"]');
}

/** Scrolls through the page, so widgets that load near the viewport draw. */
async function walkDown(): Promise<void> {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += 600) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 50));
    }
    window.scrollTo(0, 0);
  });
}

/** Everything a page can show: its cells run, its widgets drawn. */
async function showEverything(path: string): Promise<void> {
  await walkDown();
  if (path === 'home') return;
  await runCells(page);
  if (path === 'text-encoder') {
    for (const [widget, ready] of [
      ['heatmap', 'canvas'],
      ['similarity', 'td'],
      ['attention-view', '[data-testid="attention-map"]'],
      ['forward-stepper', '[data-testid="forward-step"]'],
    ] as const) {
      await page.locator(`[data-testid="${widget}"] button.button--primary`).first().click();
      await page.waitForSelector(`[data-testid="${widget}"] ${ready}`, { timeout: 60_000 });
    }
  }
  if (path === 'tokenizer') await page.waitForSelector('[data-testid="bpe-symbols"]', { timeout: 30_000 });
  if (path === 'prompts') await page.waitForSelector('[data-testid="prompt-result"]', { timeout: 30_000 });
}

interface ContrastFailure {
  text: string;
  where: string;
  ratio: number;
  need: number;
}

/**
 * WCAG contrast of every element that shows text (a non-blank text node of its own) against what is
 * behind it: its ancestors' background colours blended down from the page, the text colour's alpha
 * times the opacities above it; for SVG text in a diagram box, the box's fill. AA: 4.5:1, or 3:1 for
 * large text (24 px, or 18.66 px bold). Not shown (display none, zero size, transparent text as in the
 * editor's textarea) and disabled controls (exempt in WCAG) are skipped.
 */
async function contrastOfAllText(): Promise<{ checked: number; failures: ContrastFailure[] }> {
  return page.evaluate(() => {
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
    // Transparent is parsed as (0, 0, 0, 0): read the alpha from the computed string too.
    const alphaOf = (css: string): number => (css === 'transparent' ? 0 : /rgba\([^)]*,\s*([\d.]+)\)/.exec(css) ? Number(/rgba\([^)]*,\s*([\d.]+)\)/.exec(css)?.[1]) : 1);
    const color = (css: string): RGBA => {
      const c = parse(css);
      c[3] = alphaOf(css);
      return c;
    };
    const over = (top: RGBA, below: RGBA): RGBA => {
      const a = top[3];
      return [top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a), top[2] * a + below[2] * (1 - a), 1];
    };
    const backdrop = (el: Element | null): RGBA => {
      const chain: Element[] = [];
      for (let e = el; e; e = e.parentElement) chain.unshift(e);
      let c: RGBA = [255, 255, 255, 1];
      for (const e of chain) {
        const bg = color(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) c = over(bg, c);
      }
      return c;
    };
    const opacity = (el: Element): number => {
      let o = 1;
      for (let e: Element | null = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity || '1');
      return o;
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
    const describe = (el: Element): string => {
      const parts: string[] = [];
      for (let e: Element | null = el; e && parts.length < 3; e = e.parentElement) {
        const cls = typeof e.className === 'string' && e.className ? `.${e.className.trim().split(/\s+/).slice(0, 2).join('.')}` : '';
        parts.unshift(`${e.tagName.toLowerCase()}${cls}`);
      }
      return parts.join(' > ');
    };
    const failures: { text: string; where: string; ratio: number; need: number }[] = [];
    let checked = 0;
    for (const el of document.body.querySelectorAll('*')) {
      // Zero-width characters alone (the heading anchors' \u200b) show nothing.
      const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').replace(/[\s\u200b]/g, '') !== '');
      if (own.length === 0) continue;
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      if (style.visibility !== 'visible' || el.getClientRects().length === 0 || rect.width < 2 || rect.height < 2) continue;
      // Off to the side until focused (the "Skip to main content" link).
      if (rect.left >= document.documentElement.clientWidth || rect.right <= 0) continue;
      if (el.closest(':disabled, [aria-disabled="true"], option, select, textarea')) continue;
      let fg: RGBA;
      let bg: RGBA;
      if (el instanceof SVGElement) {
        const svgPage = backdrop(el.closest('svg')?.parentElement ?? null);
        const rect2 = el.closest('.sd-svg__box')?.querySelector('rect');
        bg = svgPage;
        if (rect2) {
          const rs = getComputedStyle(rect2);
          const fill = color(rs.fill);
          fill[3] *= Number(rs.fillOpacity || '1');
          bg = over(fill, svgPage);
        }
        const f = color(style.fill);
        f[3] *= opacity(el);
        if (f[3] === 0) continue;
        fg = over(f, bg);
      } else {
        const f = color(style.color);
        f[3] *= opacity(el);
        if (f[3] === 0) continue;
        bg = backdrop(el);
        fg = over(f, bg);
      }
      checked++;
      const size = parseFloat(style.fontSize);
      const bold = Number(style.fontWeight) >= 700;
      const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
      const r = ratio(fg, bg);
      if (r < need) failures.push({ text: (own.map((n) => n.textContent).join(' ').trim()).slice(0, 40), where: describe(el), ratio: Math.round(r * 100) / 100, need });
    }
    return { checked, failures };
  });
}

describe('every reader: contrast, phone, keyboard', () => {
  const contrast: Record<string, { checked: number; failures: ContrastFailure[] }> = {};

  afterAll(() => {
    writeFileSync(join(ARTIFACTS, 'contrast.json'), `${JSON.stringify(contrast, null, 2)}\n`);
  });

  it.each(['home', ...PAGES])('%s: every text element meets WCAG AA in light and dark mode', async (path) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });
    await open(path === 'home' ? '/' : `/tutorial/${path}`, 'backend=wasm');
    await showEverything(path);
    // Colours are read as they end up: no transition caught half way through a theme switch.
    await page.addStyleTag({ content: '*, *::before, *::after { transition: none !important; animation: none !important; }' });
    for (const scheme of ['light', 'dark'] as const) {
      // Docusaurus follows the system scheme (respectPrefersColorScheme): the page switches in place.
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForFunction((s) => document.documentElement.dataset.theme === s, scheme);
      const report = await contrastOfAllText();
      contrast[`${path}/${scheme}`] = report;
      expect(report.checked, `${path} (${scheme}): text elements measured`).toBeGreaterThan(10);
      expect(report.failures, `${path} (${scheme}): text below AA`).toEqual([]);
    }
    await page.screenshot({ path: join(ARTIFACTS, `dark-${path}.png`), fullPage: true });
    expect(errors).toEqual([]);
  });

  it.each(PAGES)('phone (375 x 740, dark): %s has no horizontal scroll', async (path) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 375, height: 740 });
    await open(`/tutorial/${path}`);
    await showEverything(path);
    const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    expect(width.scroll, 'page width on a 375 px screen').toBeLessThanOrEqual(width.inner);
    if (path === 'text-encoder') {
      // The similarity table: its numbers are on screen without scrolling it sideways.
      const table = await page.evaluate(() => {
        const wrap = document.querySelector('[data-testid="similarity"] .sd-sim');
        const cell = document.querySelector('[data-testid="similarity"] td:last-child');
        return { overflow: wrap ? wrap.scrollWidth - wrap.clientWidth : -1, lastRight: cell?.getBoundingClientRect().right ?? Infinity };
      });
      expect(table.overflow, 'the similarity table scrolls sideways').toBeLessThanOrEqual(0);
      expect(table.lastRight).toBeLessThanOrEqual(375);
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, `phone-dark-${path}.png`), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('keyboard only: Tab to a cell, the hint shows, Tab indents, Shift+Enter runs, Escape then Tab moves on', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await open('/tutorial/tokenizer');
    const hint = page.locator('[data-cell="tok-tokenize"] [data-testid="editor-hint"]');
    expect(await hint.isVisible()).toBe(false);
    let presses = 0;
    while (!(await page.evaluate(() => document.activeElement?.closest('[data-cell="tok-tokenize"]') !== null && document.activeElement?.tagName === 'TEXTAREA'))) {
      await page.keyboard.press('Tab');
      if (++presses > 80) throw new Error('Tab never reached the first cell\'s editor');
    }
    // A sighted keyboard user sees how to leave the editor, not only a screen reader.
    expect(await hint.isVisible()).toBe(true);
    expect(await hint.textContent()).toBe('Shift+Enter runs · Tab indents · Esc then Tab leaves the editor');
    // Tab inside the editor indents.
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.type('print("edited by keyboard");');
    // The page's record of the code follows the editor's state (a React effect after the keystrokes).
    await expect.poll(() => page.evaluate(() => window.__sdtextCells?.['tok-tokenize']?.code ?? ''), { timeout: 5_000 }).toMatch(/\n {2}print\("edited by keyboard"\);$/);
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
    expect(await hint.isVisible()).toBe(false);
    // The Python tab is reachable and switches with the arrow keys.
    await page.locator('[data-cell="tok-tokenize"] [data-tab="js"]').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('[data-cell="tok-tokenize"] .sd-cell__python').textContent()).toContain('pipe.tokenizer.tokenize(');
    expect(errors).toEqual([]);
  });
});

describe('a newcomer finds their way', () => {
  it('the home page lists all seven chapters, in the sidebar order', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await open('/');
    const chapters = await page.locator('[data-testid="chapter"] h3').allTextContents();
    expect(chapters).toEqual(['1. Setup', '2. Pipeline', '3. Tokenizer', '4. Text encoder', '5. To the UNet', '6. Prompts', '7. Beyond CLIP']);
    const sidebar = await page.evaluate(async () => {
      const r = await fetch('/tutorial/setup');
      const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      return [...doc.querySelectorAll('.menu__link')].map((a) => a.getAttribute('href'));
    });
    const hrefs = await page.locator('[data-testid="chapter"] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(sidebar.filter((h) => h?.startsWith('/tutorial/')));
  });

  it('the first page names the original tutorial; after that it is "the original", and no page says "seed"', async () => {
    await open('/tutorial/setup');
    expect(await page.locator('article').textContent()).toContain('Stable Diffusion from Beginner to Master (4): Text Encoder and Tokenizer');
    for (const path of ['/', ...PAGES.map((p) => `/tutorial/${p}`)]) {
      await open(path);
      // Closed <details> included: the text a reader can open.
      const text = await page.evaluate(() => document.body.innerText + [...document.querySelectorAll('details')].map((d) => d.textContent).join(' '));
      expect(text, `${path} mentions "seed"`).not.toMatch(/\bseed\b/i);
    }
    await open('/tutorial/tokenizer');
    expect(await page.locator('[data-tab="python"]').first().textContent()).toBe('Python (original)');
  });

  it('the text-encoder page goes module tree, forward pass, then calling the model (hidden states)', async () => {
    await open('/tutorial/text-encoder');
    const headings = await page.locator('article h2').allTextContents();
    const at = (h: string): number => headings.findIndex((x) => x.startsWith(h));
    expect(at('Inside the model')).toBeGreaterThanOrEqual(0);
    expect(at('Inside the model')).toBeLessThan(at('Calling the model'));
    const order = await page.evaluate(() => ['[data-cell="enc-tree"]', '[data-testid="forward-stepper"]', '[data-cell="enc-call"]'].map((s) => document.querySelector(s)?.getBoundingClientRect().top ?? -1));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});

describe('speed a reader feels', () => {
  it('the tokenizer page: first contentful paint and the first Run result, from the performance timeline', async () => {
    const report: Record<string, { fcpMs: number; hydratedMs: number; firstResultMs: number }> = {};
    for (const visit of ['cold', 'warm'] as const) {
      // Cold: a fresh browser profile (nothing cached); warm: the same page again.
      const b = visit === 'cold' ? await launchChromium() : browser;
      try {
        const p = visit === 'cold' ? await b.context.newPage() : page;
        await p.setViewportSize({ width: 1280, height: 800 });
        await p.goto(`${site.base}/tutorial/tokenizer`);
        await p.waitForSelector('html[data-hydrated="true"]');
        await p.locator('[data-cell="tok-tokenize"] button.sd-run').click();
        await p.waitForSelector('[data-cell="tok-tokenize"][data-status="done"]', { timeout: 60_000 });
        report[visit] = await p.evaluate(() => ({
          fcpMs: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1),
          hydratedMs: Math.round(performance.getEntriesByName('sdtext-hydrated')[0]?.startTime ?? -1),
          firstResultMs: Math.round(performance.now()),
        }));
      } finally {
        if (visit === 'cold') await b.close();
      }
    }
    writeFileSync(join(ARTIFACTS, 'speed.json'), `${JSON.stringify(report, null, 2)}\n`);
    // Measured, not asserted: the timeline has them.
    for (const r of Object.values(report)) {
      expect(r.fcpMs).toBeGreaterThan(0);
      expect(r.firstResultMs).toBeGreaterThan(r.hydratedMs);
    }
  });

  it('the prompt view parses in a worker: the page never loads the parser, and frames keep coming while it works', async () => {
    await open('/tutorial/prompts');
    await page.locator('[data-testid="prompt-view"]').scrollIntoViewIfNeeded();
    await page.waitForSelector('[data-testid="prompt-result"][data-chunks="2"]', { timeout: 30_000 });
    // A long prompt of nested weights: the parse runs while the page keeps drawing frames.
    const long = Array.from({ length: 400 }, (_, i) => `((word${i}:1.${i % 9}))`).join(', ');
    const gaps = await page.evaluate(async (text) => {
      const input = document.querySelector<HTMLTextAreaElement>('[data-testid="prompt-input"]');
      if (!input) return [];
      const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set;
      setter?.call(input, text);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const seen: number[] = [];
      let last = performance.now();
      const until = last + 1500;
      while (performance.now() < until) {
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        seen.push(now - last);
        last = now;
      }
      return seen;
    }, long);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="prompt-result"]')?.getAttribute('data-chunks')) > 2, undefined, { timeout: 30_000 });
    const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js')));
    expect(scripts.filter((s) => /sdtext-prompt/.test(s)), 'the page itself loaded @sdtext/prompt').toEqual([]);
    expect(scripts.some((s) => /prompt-worker/.test(s))).toBe(true);
    writeFileSync(join(ARTIFACTS, 'prompt-view-frames.json'), `${JSON.stringify({ frames: gaps.length, longestGapMs: Math.round(Math.max(...gaps)) }, null, 2)}\n`);
    expect(errors).toEqual([]);
  });
});

interface JsFile {
  url: string;
  bytes: number;
  gzip: number;
}

/** The .js files the page fetched, split at the moment it became interactive (hydrated). */
async function scriptsLoaded(p: Page): Promise<{ before: string[]; after: string[] }> {
  return p.evaluate(() => {
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
      return { url: url.replace(site.base, ''), bytes: body.length, gzip: gzipSync(body).length };
    }),
  );
  return { files: list.length, bytes: list.reduce((a, x) => a + x.bytes, 0), gzip: list.reduce((a, x) => a + x.gzip, 0), list };
}

describe('page weight', () => {
  it('measures the JS a tutorial page downloads before it is interactive', async () => {
    const b = await launchChromium();
    try {
      const report: Record<string, unknown> = {};
      for (const path of ['tokenizer', 'text-encoder']) {
        const p = await b.context.newPage();
        await p.goto(`${site.base}/tutorial/${path}?backend=wasm`);
        await p.waitForSelector('html[data-hydrated="true"]');
        const { before } = await scriptsLoaded(p);
        // Then the lazy part: the first cell's run (the worker's own chunks are the worker's, not listed here).
        const first = await p.$eval('[data-cell]', (e) => e.getAttribute('data-cell') ?? '');
        await p.locator(`[data-cell="${first}"] button.sd-run`).click();
        await p.waitForSelector(`[data-cell="${first}"][data-status="done"]`, { timeout: 120_000 });
        const { after } = await scriptsLoaded(p);
        report[path] = { beforeInteractive: await measure(before), onFirstRun: await measure(after) };
        await p.close();
      }
      writeFileSync(join(ARTIFACTS, 'page-weight.json'), `${JSON.stringify(report, null, 2)}\n`);
      const tokenizer = report.tokenizer as { beforeInteractive: { gzip: number; list: JsFile[] } };
      // Docusaurus + React + the page only: neither tfjs, ONNX Runtime nor the vocabulary is in the first download.
      expect(tokenizer.beforeInteractive.list.map((f) => f.url).join(' ')).not.toMatch(/tfjs|onnx|ort/);
      expect(tokenizer.beforeInteractive.gzip).toBeLessThan(250_000);
    } finally {
      await b.close();
    }
  });
});
