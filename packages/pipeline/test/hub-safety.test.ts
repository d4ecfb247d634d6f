import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ConfigError, UnsafeNameError } from '@sdtext/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HubFileSource, HubTimeoutError, LocalEntryNotFoundError, TextPipeline, downloadTextComponents, hubOptionsFromEnv } from '../src/index.js';
import { FakeHub } from './helpers/fake-hub.js';
import { fixtureRepo, type RepoFiles } from './helpers/fixture-repos.js';
import { tempDir } from './helpers/paths.js';

// A hostile repo and a hostile mirror, as the issue tried them: every name that reaches a path is
// refused before it touches the filesystem, and nothing is ever written outside the cache.

let hub: FakeHub;
let root: { path: string; remove: () => Promise<void> };
let cacheDir: string;
let outside: string;
const SENTINEL = 'the user file, untouched';

beforeEach(async () => {
  hub = new FakeHub();
  root = await tempDir('hub-safety');
  // The cache sits two levels down, so "../" names have somewhere outside it to reach.
  cacheDir = join(root.path, 'home', 'hub');
  outside = join(root.path, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'evil.safetensors'), SENTINEL);
  vi.stubEnv('HF_HOME', join(root.path, 'home'));
  vi.stubEnv('HF_TOKEN', '');
  vi.stubEnv('HF_HUB_OFFLINE', '');
  vi.stubEnv('HF_ENDPOINT', '');
  vi.stubEnv('HF_HUB_ETAG_TIMEOUT', '');
  vi.stubEnv('HF_HUB_DOWNLOAD_TIMEOUT', '');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  await root.remove();
});

/** The error a call fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<Error> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as Error,
  );
}

/** Every file under the temporary root that is neither in the cache nor the planted sentinel. */
async function filesOutsideCache(): Promise<string[]> {
  const all = (await readdir(root.path, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory());
  return all
    .map((e) => relative(root.path, join(e.parentPath, e.name)))
    .filter((p) => !p.startsWith(`home${sep}hub${sep}`) && p !== join('outside', 'evil.safetensors'));
}

async function expectNothingOutside(): Promise<void> {
  expect(await filesOutsideCache()).toEqual([]);
  expect(await readFile(join(outside, 'evil.safetensors'), 'utf8')).toBe(SENTINEL);
}

async function repoWithShard(shard: string): Promise<RepoFiles> {
  const files = await fixtureRepo('sd2');
  const weights = files['text_encoder/model.safetensors']!;
  delete files['text_encoder/model.safetensors'];
  files['text_encoder/model.safetensors.index.json'] = JSON.stringify({ weight_map: { 'text_model.final_layer_norm.weight': shard } });
  files['text_encoder/model-00001.safetensors'] = weights;
  return files;
}

const options = (extra = {}) => ({ endpoint: hub.url, cacheDir, backend: 'cpu' as const, ...extra });

describe('names from a repo', () => {
  for (const shard of ['../../../../outside/evil.safetensors', '/etc/passwd', 'a/../../b.safetensors', 'C:\\x.safetensors', 'x\u001b[2J.safetensors']) {
    it(`refuses the shard name ${JSON.stringify(shard)} in model.safetensors.index.json (download and fromPretrained)`, async () => {
      hub.addRepo('evil/shards', await repoWithShard(shard));
      await hub.start();
      await expect(downloadTextComponents('evil/shards', options())).rejects.toThrow(UnsafeNameError);
      await expect(TextPipeline.fromPretrained('evil/shards', options())).rejects.toThrow(/unsafe shard file name/);
      await expectNothingOutside();
      // Nothing was even asked for: the name was refused before any request.
      expect(hub.requests.filter((r) => r.path.includes('evil') && r.path.includes('outside'))).toEqual([]);
    });
  }

  it('the error quotes a hostile name with its control characters escaped', async () => {
    hub.addRepo('evil/escape', await repoWithShard('\u001b]0;pwned\u0007.safetensors'));
    await hub.start();
    const error = await failure(downloadTextComponents('evil/escape', options()));
    expect(error).toBeInstanceOf(UnsafeNameError);
    expect(error.message).not.toMatch(/\p{Cc}/u);
    expect(error.message).toContain('\\u001b]0;pwned\\u0007');
  });
});

describe('names from a server', () => {
  const cases: [string, string, RegExp][] = [
    ['X-Linked-Etag', '"../../../outside/evil"', /X-Linked-Etag header of .*: unsafe etag "\.\.\/\.\.\/\.\.\/outside\/evil"/],
    ['X-Repo-Commit', '../../../outside', /X-Repo-Commit header of .*: unsafe commit hash "\.\.\/\.\.\/\.\.\/outside"/],
    ['ETag', '"../x"', /ETag header of .*: unsafe etag "\.\.\/x"/],
    ['ETag', '"5f3c-1a2b"', /unsafe etag "5f3c-1a2b"/],
  ];
  for (const [header, value, message] of cases) {
    it(`refuses ${header}: ${value}`, async () => {
      hub.addRepo('evil/mirror', await fixtureRepo('sd2'));
      const file = header === 'ETag' ? 'model_index.json' : 'text_encoder/model.safetensors';
      hub.faults.push({ kind: 'header', file, name: header, value, times: 99 });
      await hub.start();
      await expect(downloadTextComponents('evil/mirror', options())).rejects.toThrow(message);
      await expectNothingOutside();
    });
  }
});

describe('names from the caller', () => {
  it('refuses a revision or a variant that would leave the cache (API and environment alike)', async () => {
    hub.addRepo('someone/repo', await fixtureRepo('sd2'));
    await hub.start();
    for (const revision of ['../../x', 'main/../../x', '/abs', 'a//b', '.hidden', 'x.lock']) {
      expect(() => new HubFileSource('someone/repo', { ...options(), revision })).toThrow(/unsafe revision/);
      await expect(downloadTextComponents('someone/repo', options({ revision }))).rejects.toThrow(UnsafeNameError);
    }
    for (const variant of ['/../x', '../fp16', 'fp16/x', '']) {
      await expect(TextPipeline.fromPretrained('someone/repo', options({ variant: variant || '\u0000' }))).rejects.toThrow(/unsafe variant/);
    }
    await expectNothingOutside();
    // Real revisions still work: a branch with a slash, a PR ref, a commit hash.
    expect(new HubFileSource('someone/repo', options({ revision: 'refs/pr/1' })).revision).toBe('refs/pr/1');
  });

  it('refuses a planted refs file that names a path instead of a commit', async () => {
    hub.addRepo('someone/repo', await fixtureRepo('sd2'));
    await hub.start();
    await downloadTextComponents('someone/repo', options());
    await writeFile(join(cacheDir, 'models--someone--repo', 'refs', 'main'), '../../../outside');
    await expect(downloadTextComponents('someone/repo', options({ offline: true }))).rejects.toThrow(/unsafe commit hash/);
    await expectNothingOutside();
  });
});

describe('stalled servers', () => {
  it('a HEAD that never answers fails after requestTimeout (nothing cached to fall back to), naming the setting', async () => {
    hub.addRepo('slow/head', await fixtureRepo('sd2'));
    hub.faults.push({ kind: 'stall', file: 'model_index.json', method: 'HEAD', times: 1 });
    await hub.start();
    const started = Date.now();
    const error = await failure(downloadTextComponents('slow/head', options({ requestTimeout: 300 })));
    expect(Date.now() - started).toBeLessThan(5_000);
    // As huggingface_hub: a hub that cannot be reached falls back to the cache, which is empty here.
    expect(error).toBeInstanceOf(LocalEntryNotFoundError);
    expect(error.message).toMatch(/no response from .* within 0\.3 s.*HF_HUB_ETAG_TIMEOUT.*not in the cache/);
  });

  it('a body that stalls is resumed a bounded number of times, then fails naming HF_HUB_DOWNLOAD_TIMEOUT', async () => {
    hub.addRepo('slow/body', await fixtureRepo('sd2'));
    hub.faults.push({ kind: 'stall', file: 'text_encoder/model.safetensors', method: 'GET', afterBytes: 1000, times: 3 });
    await hub.start();
    const error = await failure(downloadTextComponents('slow/body', options({ idleTimeout: 300, retries: 2 })));
    expect(error).toBeInstanceOf(HubTimeoutError);
    expect(error.message).toMatch(/stalled \(no data for 0\.3 s\).*HF_HUB_DOWNLOAD_TIMEOUT/);
    const gets = hub.seen('text_encoder/model.safetensors', 'GET');
    expect(gets).toHaveLength(3); // the first try and two resumptions
    expect(gets.map((r) => r.range)).toEqual([null, 'bytes=1000-', 'bytes=2000-']); // each resumption keeps what arrived
  });

  it('a stall shorter than the retries is resumed and the file completes', async () => {
    hub.addRepo('slow/once', await fixtureRepo('sd2'));
    hub.faults.push({ kind: 'stall', file: 'text_encoder/model.safetensors', method: 'GET', afterBytes: 1000, times: 1 });
    await hub.start();
    const files = await downloadTextComponents('slow/once', options({ idleTimeout: 300 }));
    expect(files.map((f) => f.path)).toContain('text_encoder/model.safetensors');
  });

  it('reads the timeouts from HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT (seconds), and refuses nonsense', () => {
    expect(hubOptionsFromEnv({ HF_HUB_ETAG_TIMEOUT: '2.5', HF_HUB_DOWNLOAD_TIMEOUT: '60' })).toMatchObject({ requestTimeout: 2500, idleTimeout: 60_000 });
    expect(() => hubOptionsFromEnv({ HF_HUB_ETAG_TIMEOUT: 'soon' })).toThrow(/HF_HUB_ETAG_TIMEOUT="soon": expected a positive number of seconds/);
  });
});

describe('odd but honest repos', () => {
  it('downloads a 0-byte file', async () => {
    hub.addRepo('someone/empty-file', { 'model_index.json': '{}', 'empty.txt': '' });
    await hub.start();
    const source = new HubFileSource('someone/empty-file', options());
    expect(await source.readBytes('empty.txt')).toEqual(new Uint8Array(0));
    expect(await source.readText('empty.txt')).toBe(''); // and again, from the cache
  });

  it('bounds config.json before building anything', async () => {
    hub.addRepo('evil/layers', await fixtureRepo('sd2', { encoderConfig: { num_hidden_layers: 100_000_000 } }));
    await hub.start();
    const started = Date.now();
    await expect(TextPipeline.fromPretrained('evil/layers', options())).rejects.toThrow(ConfigError);
    await expect(TextPipeline.fromPretrained('evil/layers', options())).rejects.toThrow(/num_hidden_layers must be an integer from 0 to 256, got 100000000/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('model_max_length: 5e7 is refused with the file named; 1e30 means no limit (prompts pad to the encoder positions)', async () => {
    const withMaxLength = async (value: number): Promise<RepoFiles> => {
      const files = await fixtureRepo('sd2');
      const config = JSON.parse(files['tokenizer/tokenizer_config.json'] as string) as Record<string, unknown>;
      files['tokenizer/tokenizer_config.json'] = JSON.stringify({ ...config, model_max_length: value });
      return files;
    };
    hub.addRepo('evil/max-length', await withMaxLength(50_000_000));
    hub.addRepo('someone/no-limit', await withMaxLength(1e30));
    await hub.start();
    await expect(TextPipeline.fromPretrained('evil/max-length', options())).rejects.toThrow(
      /tokenizer_config\.json: model_max_length 50000000 is not a plausible context length/,
    );
    const pipe = await TextPipeline.fromPretrained('someone/no-limit', options());
    try {
      expect(pipe.tokenizer.modelMaxLength).toBe(Infinity);
      const e = await pipe.encodePrompt({ prompt: 'a photo of a cat', guidance: false, output: 'array' });
      expect(e.promptEmbeds.shape).toEqual([1, 77, 32]);
    } finally {
      await pipe.dispose();
    }
  });
});
