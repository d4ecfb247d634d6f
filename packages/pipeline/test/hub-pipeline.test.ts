import { OnnxCLIPTextModel } from '@sdtext/onnx';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HubFileSource, TextPipeline, UrlSource, disposeEmbeddings, downloadTextComponents, type FileProgress } from '../src/index.js';
import { FakeHub } from './helpers/fake-hub.js';
import { fixtureRepo } from './helpers/fixture-repos.js';
import { loadGolden, maxAbsDiff } from './helpers/golden.js';
import { tempDir } from './helpers/paths.js';

let hub: FakeHub;
let cache: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  hub = new FakeHub();
  hub.addRepo('stabilityai/sd2-tiny', await fixtureRepo('sd2'));
  hub.addRepo('stabilityai/sdxl-tiny', await fixtureRepo('sdxl'));
  hub.addRepo('openai/clip-tiny', await fixtureRepo('clip'));
  hub.addRepo('someone/sd2-fp16', await fixtureRepo('sd2', { variant: 'fp16' }));
  await hub.start();
  cache = await tempDir('hub-pipeline');
  vi.stubEnv('HF_TOKEN', '');
  vi.stubEnv('HF_HUB_OFFLINE', '');
  vi.stubEnv('HF_HOME', cache.path);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  await cache.remove();
});

const opts = (extra = {}) => ({ endpoint: hub.url, cacheDir: cache.path, backend: 'cpu' as const, ...extra });

async function checkSd2(pipe: TextPipeline): Promise<void> {
  const g = await loadGolden('sd2-tiny', 'pad77');
  const e = await pipe.encodePrompt({ prompt: g.texts, guidance: false });
  expect(maxAbsDiff(e.promptEmbeds.dataSync(), g.lastHiddenState)).toBeLessThan(9e-6); // measured 3.0e-6
  disposeEmbeddings(e);
}

describe('TextPipeline through the hub layer', () => {
  it('loads an SD2 repo id from the hub, with progress, then again offline from the cache', async () => {
    const events: FileProgress[] = [];
    const pipe = await TextPipeline.fromPretrained('stabilityai/sd2-tiny', opts({ onProgress: (p: FileProgress) => events.push(p) }));
    expect(pipe.source).toBeInstanceOf(HubFileSource);
    expect(pipe.source.name).toBe('hub:stabilityai/sd2-tiny@main');
    expect(String(pipe.tokenizer)).toContain("name_or_path='hub:stabilityai/sd2-tiny@main/tokenizer'");
    expect(events.some((e) => e.file === 'text_encoder/model.safetensors' && e.loaded === e.total)).toBe(true);
    await checkSd2(pipe);
    pipe.dispose();

    hub.requests.length = 0;
    const offline = await TextPipeline.fromPretrained('stabilityai/sd2-tiny', opts({ offline: true }));
    expect(hub.requests).toEqual([]);
    await checkSd2(offline);
    offline.dispose();
  });

  it('loads SDXL and a plain CLIP repo from the hub', async () => {
    const xl = await TextPipeline.fromPretrained('stabilityai/sdxl-tiny', opts());
    expect(xl.kind).toBe('sdxl');
    const e = await xl.encodePrompt({ prompt: 'a photo of a cat' });
    expect(e.promptEmbeds.shape).toEqual([1, 77, 64]);
    expect(e.pooledPromptEmbeds!.shape).toEqual([1, 16]);
    disposeEmbeddings(e);
    xl.dispose();
    const clip = await TextPipeline.fromPretrained('openai/clip-tiny', opts());
    expect(clip.kind).toBe('clip');
    clip.dispose();
  });

  it('loads the fp16 variant, and a base URL source', async () => {
    const fp16 = await TextPipeline.fromPretrained('someone/sd2-fp16', opts({ variant: 'fp16' }));
    await checkSd2(fp16);
    fp16.dispose();
    const url = `${hub.url}/stabilityai/sd2-tiny/resolve/main`;
    const fromUrl = await TextPipeline.fromPretrained(url, { backend: 'cpu' });
    expect(fromUrl.source).toBeInstanceOf(UrlSource);
    await checkSd2(fromUrl);
    fromUrl.dispose();
  });

  it('onnx engine: a hub repo loads from its snapshot in the cache (weights mapped in place), also offline', async () => {
    const g = await loadGolden('sd2-tiny', 'pad77');
    for (const offline of [false, true]) {
      hub.requests.length = 0;
      const pipe = await TextPipeline.fromPretrained('stabilityai/sd2-tiny', { ...opts({ offline }), engine: 'onnx' });
      if (offline) expect(hub.requests).toEqual([]);
      expect(pipe.textEncoder).toBeInstanceOf(OnnxCLIPTextModel);
      expect(pipe.textEncoder.weightTransfer).toBe('link');
      const e = await pipe.encodePrompt({ prompt: g.texts, guidance: false, output: 'array' });
      expect(maxAbsDiff(e.promptEmbeds.data, g.lastHiddenState)).toBeLessThan(1.3e-5); // measured 4.2e-6
      await pipe.dispose();
    }
  });

  it('onnx engine: a base URL source (weights read in JavaScript), clip skip included', async () => {
    const g = await loadGolden('sd2-tiny', 'pad77');
    const url = `${hub.url}/stabilityai/sd2-tiny/resolve/main`;
    const onnx = await TextPipeline.fromPretrained(url, { engine: 'onnx' });
    const tfjs = await TextPipeline.fromPretrained(url, { backend: 'cpu' });
    expect(onnx.textEncoder.weightTransfer).toBe('temp-folder');
    const a = await onnx.encodePrompt({ prompt: g.texts, clipSkip: 1, output: 'array' });
    const b = await tfjs.encodePrompt({ prompt: g.texts, clipSkip: 1, output: 'array' });
    // onnx against tfjs: measured 2.35e-6 and 1.85e-6.
    expect(maxAbsDiff(a.promptEmbeds.data, b.promptEmbeds.data)).toBeLessThan(7.1e-6);
    expect(maxAbsDiff(a.negativePromptEmbeds!.data, b.negativePromptEmbeds!.data)).toBeLessThan(5.6e-6);
    await onnx.dispose();
    await tfjs.dispose();
  });

  it('downloadTextComponents fetches exactly what fromPretrained reads', async () => {
    const fresh = await tempDir('download');
    try {
      const started: string[] = [];
      const files = await downloadTextComponents('stabilityai/sdxl-tiny', {
        endpoint: hub.url,
        cacheDir: fresh.path,
        onFileStart: (p) => started.push(p),
      });
      expect(files.map((f) => f.path)).toEqual([
        'model_index.json',
        'tokenizer/vocab.json',
        'tokenizer/merges.txt',
        'tokenizer/tokenizer_config.json',
        'tokenizer/special_tokens_map.json',
        'text_encoder/config.json',
        'text_encoder/model.safetensors',
        'tokenizer_2/vocab.json',
        'tokenizer_2/merges.txt',
        'tokenizer_2/tokenizer_config.json',
        'tokenizer_2/special_tokens_map.json',
        'text_encoder_2/config.json',
        'text_encoder_2/model.safetensors',
      ].sort((a, b) => order(a) - order(b)));
      expect(started).toContain('tokenizer/added_tokens.json');
      const fromCache = Object.fromEntries(files.map((f) => [f.path, f.fromCache]));
      expect(fromCache['tokenizer/vocab.json']).toBe(false);
      // Same bytes, same blob: tokenizer_2's vocabulary is linked to tokenizer's, not fetched again.
      expect(fromCache['tokenizer_2/vocab.json']).toBe(true);
      hub.requests.length = 0;
      const pipe = await TextPipeline.fromPretrained('stabilityai/sdxl-tiny', { endpoint: hub.url, cacheDir: fresh.path, offline: true, backend: 'cpu' });
      expect(hub.requests).toEqual([]);
      pipe.dispose();
      await expect(downloadTextComponents('stabilityai/sd2-tiny', { endpoint: hub.url, cacheDir: fresh.path, variant: 'fp16' })).rejects.toThrow(
        /no weights found: tried model\.fp16\.safetensors/,
      );
    } finally {
      await fresh.remove();
    }
  });
});

/** Tokenizer folders before encoders, first pipeline component before the second (download order). */
function order(path: string): number {
  const rank = ['model_index.json', 'tokenizer/', 'tokenizer_2/', 'text_encoder/', 'text_encoder_2/'].findIndex((p) => path.startsWith(p));
  return rank;
}
