// End to end, in Debian chromium: the "Beyond CLIP" page (T5 in SD3 and Flux) on one backend
// (TensorFlow.js on wasm, served cross-origin isolated), on a desktop and a phone: every cell runs
// on the demo T5 the site serves, against references made outside this project - transformers'
// outputs and SentencePiece's pieces (scripts/sd3/make-demo-t5.py), torch's relative position
// buckets (models/fixtures/t5/buckets.json) - and the lattice widget's Viterbi path equals the
// tokenizer's. Fails on console errors or a page wider than the phone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedChromium } from '@sdtext/browser-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, REPO, openPage, runCells, serveSite, watchConsole, type SiteServer } from './e2e/harness';

const DEMO = join(REPO, 'models/fixtures/t5-demo');
const manifest = JSON.parse(readFileSync(join(DEMO, 'manifest.json'), 'utf8')) as { prompts: string[]; pieces: string[][] };
/** torch's _relative_position_bucket for relative positions -600..600, per (buckets, max_distance). */
const torchBuckets = JSON.parse(readFileSync(join(REPO, 'models/fixtures/t5/buckets.json'), 'utf8')) as {
  tables: { num_buckets: number; max_distance: number; buckets: number[] }[];
};

/** The reference ids of the first demo prompt (SentencePiece + </s>), read from the safetensors file by hand. */
function referenceIds(): number[] {
  const bytes = readFileSync(join(DEMO, 'outputs/demo.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  const t = header.input_ids!;
  const width = t.shape[1]!;
  const row: number[] = [];
  for (let i = 0; i < width; i++) row.push(Number(bytes.readBigInt64LE(8 + n + t.data_offsets[0] + 8 * i)));
  return row;
}

let site: SiteServer;
let browser: LaunchedChromium;

beforeAll(async () => {
  site = await serveSite(true);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  site?.close();
});

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 375, height: 740 },
] as const;

describe.each(VIEWPORTS)('Beyond CLIP on a $name ($width px), TensorFlow.js wasm', ({ name, width, height }) => {
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    page = await browser.context.newPage();
    await page.setViewportSize({ width, height });
    errors = watchConsole(page);
    await openPage(page, site.base, 'beyond-clip', 'engine=tfjs&backend=wasm');
  });
  afterAll(async () => {
    await page?.close();
  });

  it('every cell runs on the demo T5 and prints what the references say', async () => {
    const runs = await runCells(page);
    expect([...runs.keys()]).toEqual(['t5-first-look', 't5-tokens', 't5-buckets', 't5-no-causal-mask', 'sd3-shape']);
    for (const run of runs.values()) expect(run.engine).toBe('tfjs');

    const first = runs.get('t5-first-look')!.output;
    expect(first).toContain("T5TokenizerFast(name_or_path=");
    expect(first).toContain('(relative_attention_bias): Embedding(32, 2)');
    expect(first).toContain('max |ours - transformers|: True');

    const lighthouse = manifest.pieces[0]!.slice(1, 6); // "▁light", ...: SentencePiece's pieces of the word
    const tokens = runs.get('t5-tokens')!.output;
    expect(tokens).toContain(`T5 Unigram:   [${lighthouse.map((p) => `'${p}'`).join(', ')}]`);
    // SentencePiece's ids and </s>, cut to 16 keeping </s> (transformers' truncation), or padded with <pad> 0.
    const ids = referenceIds();
    const whole = ids.slice(0, ids.indexOf(1) + 1);
    const expected = whole.length > 16 ? [...whole.slice(0, 15), 1] : [...whole, ...new Array<number>(16 - whole.length).fill(0)];
    expect(tokens).toContain(`input_ids: [${expected.join(', ')}]`);

    const table = torchBuckets.tables.find((t) => t.num_buckets === 32 && t.max_distance === 128)!;
    const bucketLines = runs.get('t5-buckets')!.output.split('\n');
    const rels = [-200, -128, -64, -32, -16, -9, -8, -7, -1, 0, 1, 7, 8, 9, 16, 32, 64, 128, 200];
    expect(bucketLines).toEqual(rels.map((r) => `${String(r).padStart(5)} -> ${table.buckets[r + 600]}`));

    const causal = runs.get('t5-no-causal-mask')!.output;
    expect(causal).toContain("CLIP: first word's vector moved by 0");
    expect(causal).toContain("T5:   first word's vector moved by more than 0: True");

    const sd3 = runs.get('sd3-shape')!.output;
    expect(sd3).toContain('prompt_embeds: [1, 333, 72] (SD3: [1, 333, 4096])');
    expect(sd3).toContain('equal to encodePromptSd3: True');
    expect(sd3).toContain('pooled_prompt_embeds: [1, 64] (SD3: [1, 2048])');
  });

  it("the lattice's Viterbi path is the tokenizer's, and BPE's tokens are shown beside it", async () => {
    const lattice = page.locator('[data-testid="unigram-lattice"]');
    await lattice.scrollIntoViewIfNeeded();
    await page.waitForSelector('[data-testid="lattice-bpe"]', { timeout: 30_000 });
    const pieces = async (id: string): Promise<string[]> => JSON.parse((await lattice.locator(`[data-testid="${id}"]`).getAttribute('data-pieces')) ?? '[]') as string[];
    expect(await pieces('lattice-viterbi')).toEqual(manifest.pieces[0]!.slice(1, 6));
    expect(await pieces('lattice-tokenizer')).toEqual(await pieces('lattice-viterbi'));
    await lattice.locator('input').fill('cliff');
    expect(await pieces('lattice-viterbi')).toEqual(await pieces('lattice-tokenizer'));
    expect((await pieces('lattice-viterbi')).join('')).toBe('▁cliff');
  });

  it('fits the screen, draws the SD3 layout, and logs no error', async () => {
    await page.locator('[data-testid="sd3-layout"]').scrollIntoViewIfNeeded();
    const size = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    expect(size.scroll, `page width on a ${width} px screen`).toBeLessThanOrEqual(size.inner);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, `beyond-clip-${name}.png`), fullPage: true });
    expect(errors).toEqual([]);
  });
});
