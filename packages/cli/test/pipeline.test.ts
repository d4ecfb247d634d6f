import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, toFloat32 } from '@sdtext/core';
// The pipeline package's fixture repos and fake hub (a real HTTP server on 127.0.0.1).
import { FakeHub } from '../../pipeline/test/helpers/fake-hub.js';
import { fixtureRepo, writeRepo } from '../../pipeline/test/helpers/fixture-repos.js';
import { clipSkipReference, hiddenState, loadGolden, maxAbsDiff, sliceLastAxis, takeRows, type Golden } from '../../pipeline/test/helpers/golden.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sdtext-cli-pipeline-'));
let g: Golden; // sd2-tiny's pad77 golden case
beforeAll(async () => {
  g = await loadGolden('sd2-tiny', 'pad77');
});

async function outputs(file: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const { tensors } = await loadSafetensors(file);
  return new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, data: toFloat32(t.dtype, t.data) }]));
}

// About 3x the worst measured per engine (tfjs / onnx): clip skip 2.1e-6 / 2.3e-6 (against diffusers' lines
// in torch), SDXL 2.3e-6 / 2.5e-6.
const CLIP_SKIP = { tfjs: 6.3e-6, onnx: 7e-6 };
const SDXL = { tfjs: 6.8e-6, onnx: 7.5e-6 };

describe.each(['tfjs', 'onnx'] as const)('sdtext encode --engine %s on a Stable Diffusion folder', (engine) => {
  let sd2: string;
  let sdxl: string;
  beforeAll(async () => {
    sd2 = await writeRepo(join(dir, `sd2-${engine}`), await fixtureRepo('sd2'));
    sdxl = await writeRepo(join(dir, `sdxl-${engine}`), await fixtureRepo('sdxl'));
  });

  it('adds prompt_embeds and negative_prompt_embeds with --negative-prompt', async () => {
    const out = join(dir, `sd2-negative-${engine}.safetensors`);
    const { code, stderr } = await runCli(['encode', 'a photo of a cat', 'a dog', '--model', sd2, '--negative-prompt', 'blurry', '--engine', engine, '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const t = await outputs(out);
    expect(t.get('prompt_embeds')!.shape).toEqual([2, 77, 32]);
    expect(t.get('negative_prompt_embeds')!.shape).toEqual([2, 77, 32]);
    // SD 1.x/2.x without clip skip: the prompt embeddings are the last hidden state.
    expect(t.get('prompt_embeds')!.data).toEqual(t.get('last_hidden_state')!.data);
    expect(t.get('negative_prompt_embeds')!.data.slice(0, 77 * 32)).toEqual(t.get('negative_prompt_embeds')!.data.slice(77 * 32));
  });

  it('--clip-skip takes hidden_states[-2] through the final LayerNorm', async () => {
    const out = join(dir, `sd2-skip-${engine}.safetensors`);
    const { code } = await runCli(['encode', ...g.texts, '--model', sd2, '--clip-skip', '1', '--engine', engine, '--out', out]);
    expect(code).toBe(0);
    const t = await outputs(out);
    expect(t.get('prompt_embeds')!.shape).toEqual([4, 77, 32]);
    expect(maxAbsDiff(t.get('prompt_embeds')!.data, await clipSkipReference('sd2-tiny', 1))).toBeLessThan(CLIP_SKIP[engine]);
  });

  it('SDXL: both encoders side by side, pooled from the second', async () => {
    const out = join(dir, `sdxl-${engine}.safetensors`);
    const { code, stderr } = await runCli(['encode', ...g.texts, '--model', sdxl, '--negative-prompt', g.texts[2]!, '--engine', engine, '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const t = await outputs(out);
    const g1 = await loadGolden('sd1-tiny', 'pad77');
    expect(t.get('prompt_embeds')!.shape).toEqual([4, 77, 64]);
    expect(maxAbsDiff(sliceLastAxis(t.get('prompt_embeds')!.data, 64, 0, 32), hiddenState(g1, -2))).toBeLessThan(SDXL[engine]);
    expect(maxAbsDiff(sliceLastAxis(t.get('prompt_embeds')!.data, 64, 32, 64), hiddenState(g, -2))).toBeLessThan(SDXL[engine]);
    expect(maxAbsDiff(t.get('pooled_prompt_embeds')!.data, g.textEmbeds)).toBeLessThan(SDXL[engine]);
    expect(maxAbsDiff(t.get('negative_pooled_prompt_embeds')!.data, takeRows(g.textEmbeds, 16, [2, 2, 2, 2]))).toBeLessThan(SDXL[engine]);
  });

  it('rejects --tokenizer for repos that bring their own, and a bad --clip-skip', async () => {
    expect((await runCli(['encode', 'a', '--model', sd2, '--tokenizer', 'sd1', '--engine', engine])).stderr).toContain('--tokenizer only applies to a bare text model folder');
    expect((await runCli(['encode', 'a', '--model', sd2, '--clip-skip', 'two', '--engine', engine])).stderr).toContain('--clip-skip must be a non-negative integer');
  });
});

describe('sdtext download and encode from a hub', () => {
  const hub = new FakeHub();
  const cache = mkdtempSync(join(tmpdir(), 'sdtext-cli-hub-cache-'));
  let env: Record<string, string>;
  beforeAll(async () => {
    await hub.start();
    hub.addRepo('tiny/sd2', await fixtureRepo('sd2'));
    env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache };
  });
  afterAll(() => hub.close());

  it('downloads into the Hugging Face cache layout and prints the snapshot folder', async () => {
    const { code, stdout, stderr } = await runCli(['download', 'tiny/sd2'], dir, env);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(new RegExp(`^${cache}/models--tiny--sd2/snapshots/[0-9a-f]{40}$`));
    expect(stderr).toMatch(/downloaded {2}text_encoder\/model\.safetensors/);
    const again = await runCli(['download', 'tiny/sd2'], dir, env);
    expect(again.stderr).toMatch(/cached {6}text_encoder\/model\.safetensors/);
  });

  it('encodes a hub repo id, and works offline from the cache', async () => {
    const online = await runCli(['encode', 'a photo of a cat', '--model', 'tiny/sd2', '--out', join(dir, 'hub.safetensors')], dir, env);
    expect(online.code).toBe(0);
    const offline = await runCli(['encode', 'a photo of a cat', '--model', 'tiny/sd2', '--out', join(dir, 'offline.safetensors')], dir, {
      ...env,
      HF_HUB_OFFLINE: '1',
    });
    expect(offline.code).toBe(0);
    const [a, b] = await Promise.all([outputs(join(dir, 'hub.safetensors')), outputs(join(dir, 'offline.safetensors'))]);
    expect(a.get('last_hidden_state')!.data).toEqual(b.get('last_hidden_state')!.data);
    // ONNX Runtime loads the encoder from the cached snapshot folder, offline too.
    const onnx = await runCli(['encode', 'a photo of a cat', '--model', 'tiny/sd2', '--engine', 'onnx', '--out', join(dir, 'hub-onnx.safetensors')], dir, {
      ...env,
      HF_HUB_OFFLINE: '1',
    });
    expect(onnx.stderr).toBe('');
    expect(onnx.code).toBe(0);
    const c = await outputs(join(dir, 'hub-onnx.safetensors'));
    // tfjs (the default) against ONNX Runtime: equal here (0); 1e-6 is a few float32 ulps of these outputs.
    expect(maxAbsDiff(c.get('last_hidden_state')!.data, a.get('last_hidden_state')!.data)).toBeLessThan(1e-6);
  });

  it('refuses --revision and --variant that would leave the cache, writing nothing', async () => {
    for (const args of [['--revision', '../../x'], ['--variant', '/../x']]) {
      const { code, stderr } = await runCli(['download', 'tiny/sd2', ...args], dir, env);
      expect(code).toBe(1);
      expect(stderr).toMatch(args[0] === '--revision' ? /unsafe revision "\.\.\/\.\.\/x"/ : /unsafe variant "\/\.\.\/x"/);
      const encode = await runCli(['encode', 'a cat', '--model', 'tiny/sd2', ...args], dir, env);
      expect(encode.code).toBe(1);
    }
    expect(readdirSync(join(cache, '..')).filter((f) => f === 'x')).toEqual([]);
  });

  it('prints a hostile shard name with its terminal escapes made visible', async () => {
    const files = await fixtureRepo('sd2');
    files['text_encoder/model.safetensors.index.json'] = JSON.stringify({ weight_map: { k: '\u001b[2J\u001b]0;owned\u0007.safetensors' } });
    delete files['text_encoder/model.safetensors'];
    hub.addRepo('evil/escapes', files);
    const { code, stderr } = await runCli(['download', 'evil/escapes'], dir, env);
    expect(code).toBe(1);
    expect(stderr).not.toMatch(/\p{Cc}(?<!\n)/u); // no raw control character but line breaks
    expect(stderr).toContain('\\u001b[2J\\u001b]0;owned\\u0007');
  });

  it('fails clearly on an unknown repo', async () => {
    const { code, stderr } = await runCli(['download', 'tiny/missing'], dir, env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/tiny\/missing/);
  });
});
