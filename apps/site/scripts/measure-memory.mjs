#!/usr/bin/env node
// Memory of a tutorial page with SD2 loaded (issue 19, item 3): the text-encoder page, "Load the real
// SD2 text encoder" against a local hub serving the SD2-shaped random weights (680 MB of fp16, the
// real file's size and layout), then one encoder cell. Reports the renderer process's peak and
// current resident memory (VmHWM, VmRSS: the page, its workers and their wasm heaps live there) and,
// on an isolated page, performance.measureUserAgentSpecificMemory().
//
//   node scripts/make-random-checkpoint.mjs --model sd2           # models/generated/sd2-random
//   pnpm --filter @sdtext/site build
//   node apps/site/scripts/measure-memory.mjs [--build DIR] [--no-isolation] [--query engine=tfjs&backend=wasm]
//
// --build points at another build (an older one, to compare); --no-isolation serves it without
// COOP/COEP (as `pnpm start` served the site before it was isolated).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const site = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(site, '../..');
const { values: args } = parseArgs({
  options: {
    build: { type: 'string', default: path.join(site, 'build') },
    'no-isolation': { type: 'boolean', default: false },
    query: { type: 'string', default: 'engine=tfjs&backend=wasm' },
  },
});

const weights = path.join(root, 'models/generated/sd2-random/text_encoder/model.fp16.safetensors');
if (!fs.existsSync(weights)) {
  console.error('measure-memory: models/generated/sd2-random is missing: node scripts/make-random-checkpoint.mjs --model sd2');
  process.exit(1);
}
const { launchChromium } = await import(path.join(root, 'tools/browser-testing/dist/index.js'));
const { CLIPTokenizer, bundledClipVocabulary } = await import(path.join(root, 'packages/tokenizer/dist/index.js'));

/** stabilityai/stable-diffusion-2-base@fp16 as a hub: the random SD2-shaped encoder, SD2's tokenizer files. */
function hubFiles() {
  const { tokens, merges } = bundledClipVocabulary();
  const lines = ['#version: 0.2'];
  for (let i = 0; i < merges.length; i += 3) lines.push(`${tokens[merges[i]]} ${tokens[merges[i + 1]]}`);
  const fixtures = path.join(root, 'models/fixtures/tokenizer/sd2-base');
  const files = {
    'model_index.json': JSON.stringify({ _class_name: 'StableDiffusionPipeline', tokenizer: ['transformers', 'CLIPTokenizer'], text_encoder: ['transformers', 'CLIPTextModel'] }),
    'tokenizer/vocab.json': JSON.stringify(CLIPTokenizer.fromPreset('sd2').getVocab()),
    'tokenizer/merges.txt': `${lines.join('\n')}\n`,
    'tokenizer/tokenizer_config.json': fs.readFileSync(path.join(fixtures, 'tokenizer_config.json')),
    'tokenizer/special_tokens_map.json': fs.readFileSync(path.join(fixtures, 'special_tokens_map.json')),
    'text_encoder/config.json': fs.readFileSync(path.join(root, 'models/generated/sd2-random/text_encoder/config.json')),
    'text_encoder/model.safetensors': fs.readFileSync(weights),
  };
  return new Map(Object.entries(files).map(([k, v]) => [`/stabilityai/stable-diffusion-2-base/resolve/fp16/${k}`, Buffer.from(v)]));
}

const listen = (server) => new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${server.address().port}`)));

const files = hubFiles();
const hub = createServer((req, res) => {
  const body = files.get(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-headers', '*');
  res.setHeader('access-control-expose-headers', 'content-length');
  if (req.method === 'OPTIONS') return void res.writeHead(204).end();
  if (!body) return void res.writeHead(404).end('Entry not found');
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
});
const hubUrl = await listen(hub);

const port = 3900 + Math.floor(Math.random() * 90);
const serve = spawn(process.execPath, [path.join(site, 'scripts/serve.mjs'), '--port', String(port), '--dir', args.build, ...(args['no-isolation'] ? ['--no-isolation'] : [])], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 1000));

const pids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
const cmdline = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};
const parentOf = (pid) => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1];
  } catch {
    return null;
  }
};
/** Chromium browser processes (other sessions on this machine may run their own). */
const browserPids = () => new Set(pids().filter((p) => /chromium/.test(cmdline(p)) && /--user-data-dir=/.test(cmdline(p)) && !/--type=/.test(cmdline(p))));

/** Our chromium's renderer processes (the page, its workers) with their resident memory, in MB. */
function renderers(ours) {
  const out = [];
  const isOurs = (pid) => {
    for (let p = pid, hops = 0; p && hops < 8; p = parentOf(p), hops++) if (ours.has(p)) return true;
    return false;
  };
  for (const pid of pids()) {
    try {
      const cmd = cmdline(pid);
      if (!cmd.includes('--type=renderer') || !isOurs(pid)) continue;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      out.push({ pid: Number(pid), peakMB: Math.round(kb('VmHWM') / 1024), rssMB: Math.round(kb('VmRSS') / 1024) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const before = browserPids();
const browser = await launchChromium();
const ours = new Set([...browserPids()].filter((p) => !before.has(p)));
try {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(0);
  await page.goto(`http://127.0.0.1:${port}/tutorial/text-encoder?${args.query}&hf_endpoint=${encodeURIComponent(hubUrl)}`);
  await page.waitForSelector('html[data-hydrated="true"]');
  const started = Date.now();
  await page.locator('[data-testid="load-sd2"]').click();
  await page.waitForSelector('[data-testid="runtime-bar"][data-phase="ready"]');
  const loadMs = Date.now() - started;
  await page.locator('[data-cell="enc-call"] button.sd-run').click();
  await page.waitForSelector('[data-cell="enc-call"]:is([data-status="done"], [data-status="error"])');
  const cell = await page.evaluate(() => ({ error: window.__sdtextCells?.['enc-call']?.error ?? null, engine: window.__sdtextCells?.['enc-call']?.engine ?? null, backend: window.__sdtextCells?.['enc-call']?.backend ?? null }));
  const uaMemory = await page.evaluate(async () => {
    const measure = performance.measureUserAgentSpecificMemory;
    if (!crossOriginIsolated || typeof measure !== 'function') return null;
    const m = await measure.call(performance);
    return Math.round(m.bytes / 2 ** 20);
  });
  const procs = renderers(ours);
  const biggest = procs.reduce((a, b) => (b.peakMB > a.peakMB ? b : a), { peakMB: 0, rssMB: 0 });
  console.log(
    JSON.stringify(
      {
        build: path.relative(root, args.build) || args.build,
        isolated: !args['no-isolation'],
        query: args.query,
        cell,
        loadMs,
        renderer: { peakMB: biggest.peakMB, rssMB: biggest.rssMB },
        renderers: procs,
        measureUserAgentSpecificMemoryMB: uaMemory,
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  serve.kill();
  hub.close();
}
