import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HubError, HubFileSource, IntegrityError, hubOptionsFromEnv, type FileProgress } from '../src/index.js';
import { FakeHub, sha256 } from './helpers/fake-hub.js';
import { fixtureRepo } from './helpers/fixture-repos.js';
import { tempDir } from './helpers/paths.js';

// A hostile mirror, as an attacker would run one: redirects that look relative but leave the
// origin (the token must not follow), bodies longer than announced (the disk must not fill), and
// timeouts past what a timer can hold.

const WEIGHTS = 'text_encoder/model.safetensors';
const TOKEN = 'hf_secret_for_the_hub_only';

let hub: FakeHub;
let other: FakeHub;
let cache: { path: string; remove: () => Promise<void> };
let weights: Uint8Array;

beforeEach(async () => {
  hub = new FakeHub();
  other = new FakeHub();
  cache = await tempDir('hub-hostile');
  const files = await fixtureRepo('sd2');
  weights = files[WEIGHTS] as Uint8Array;
  hub.addRepo('someone/private', files, { token: TOKEN });
  hub.addRepo('someone/public', files);
  other.pages.set('/x', { body: weights, type: 'application/octet-stream' });
  await hub.start();
  await other.start();
  vi.stubEnv('HF_TOKEN', '');
  vi.stubEnv('HF_HUB_OFFLINE', '');
  vi.stubEnv('HF_HUB_ETAG_TIMEOUT', '');
  vi.stubEnv('HF_HUB_DOWNLOAD_TIMEOUT', '');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await hub.close();
  await other.close();
  await cache.remove();
});

const source = (repo: string, options = {}) => new HubFileSource(repo, { endpoint: hub.url, cacheDir: cache.path, retries: 0, ...options });

async function failure(call: Promise<unknown>): Promise<Error> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as Error,
  );
}

describe('the token stays with its origin', () => {
  // Each of these is another origin to `new URL()` (and so to fetch), whatever the string looks like.
  const otherOrigin: [string, (port: string) => string][] = [
    ['a backslash after the slash', (p) => `/\\127.0.0.1:${p}/x`],
    ['a tab between the slashes', (p) => `/\t/127.0.0.1:${p}/x`],
    ['a protocol-relative URL', (p) => `//127.0.0.1:${p}/x`],
    ['an upper-case scheme', (p) => `HTTP://127.0.0.1:${p}/x`],
    ['a mixed-case scheme', (p) => `hTtP://127.0.0.1:${p}/x`],
  ];
  for (const [name, location] of otherOrigin) {
    it(`a HEAD redirect with ${name} is taken as another origin: the file comes from there, without the token`, async () => {
      const port = new URL(other.url).port;
      hub.faults.push({ kind: 'redirect', file: WEIGHTS, method: 'HEAD', location: location(port), times: 1 });
      const bytes = await source('someone/private', { token: TOKEN }).readBytes(WEIGHTS);
      expect(sha256(bytes!)).toBe(sha256(weights));
      expect(other.requests.length).toBeGreaterThan(0);
      expect(other.requests.map((r) => r.authorization)).toEqual(other.requests.map(() => null));
      // The hub itself did get the token (the repo is private).
      expect(hub.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    });
  }

  it('a GET redirect from the hub\'s CDN path to another origin drops the token on that hop', async () => {
    const port = new URL(other.url).port;
    hub.faults.push({ kind: 'redirect', file: WEIGHTS, method: 'GET', location: `/\\127.0.0.1:${port}/x`, times: 1 });
    const bytes = await source('someone/private', { token: TOKEN }).readBytes(WEIGHTS);
    expect(sha256(bytes!)).toBe(sha256(weights));
    expect(other.requests.map((r) => [r.method, r.authorization])).toEqual([['GET', null]]);
  });

  it('a same-origin relative redirect (a renamed repo) is still followed with the token', async () => {
    hub.faults.push({ kind: 'redirect', file: 'model_index.json', method: 'HEAD', location: '/someone/private/resolve/main/model_index.json', times: 1 });
    expect(await source('someone/private', { token: TOKEN }).readText('model_index.json')).toContain('StableDiffusionPipeline');
    expect(other.requests).toEqual([]);
  });

  it('`https:host` (another scheme, so another origin) gets no token and fails as a connection error', async () => {
    const port = new URL(other.url).port;
    hub.faults.push({ kind: 'redirect', file: WEIGHTS, method: 'HEAD', location: `https:127.0.0.1:${port}/x`, times: 1 });
    const error = await failure(source('someone/private', { token: TOKEN, requestTimeout: 2000 }).readBytes(WEIGHTS));
    expect(error).toBeInstanceOf(Error);
    expect(other.requests).toEqual([]); // a TLS hello to a plain HTTP server is no request at all
  });

  for (const location of ['file:///etc/passwd', 'FILE:///etc/passwd', 'data:text/plain,x', 'javascript:alert(1)']) {
    it(`refuses a redirect to ${location}`, async () => {
      hub.faults.push({ kind: 'redirect', file: WEIGHTS, method: 'HEAD', location, times: 1 });
      const error = await failure(source('someone/private', { token: TOKEN }).readBytes(WEIGHTS));
      expect(error).toBeInstanceOf(HubError);
      expect(error.message).toMatch(/refused a redirect to .*is not http or https/);
    });
  }
});

describe('bodies longer than announced', () => {
  it('stop at the announced size: nothing past it is written, the partial file is removed', async () => {
    hub.faults.push({ kind: 'oversize', file: WEIGHTS, extraBytes: 64 * 1024 * 1024, times: 1 });
    let most = 0;
    const onProgress = (p: FileProgress): void => {
      if (p.file === WEIGHTS) most = Math.max(most, p.loaded);
    };
    const error = await failure(source('someone/public', { onProgress }).readBytes(WEIGHTS));
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toMatch(new RegExp(`sent more than the ${weights.byteLength} bytes it announced`));
    expect(most).toBeLessThanOrEqual(weights.byteLength);
    const blobs = join(cache.path, 'models--someone--public', 'blobs');
    const left = await readdir(blobs);
    for (const name of left) expect((await stat(join(blobs, name))).size).toBeLessThanOrEqual(weights.byteLength);
    expect(left.filter((n) => n.endsWith('.incomplete'))).toEqual([]);
    // And the next try, from an honest server, completes.
    expect(sha256((await source('someone/public').readBytes(WEIGHTS))!)).toBe(sha256(weights));
  });
});

describe('timeouts past what a timer holds', () => {
  it('HF_HUB_ETAG_TIMEOUT=1e9 is clamped with a warning, and downloads work (a bare timer would fire at once)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const options = hubOptionsFromEnv({ HF_HUB_ETAG_TIMEOUT: '1e9', HF_HUB_DOWNLOAD_TIMEOUT: '1e12' });
    expect(options.requestTimeout).toBe(2 ** 31 - 1);
    expect(options.idleTimeout).toBe(2 ** 31 - 1);
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/HF_HUB_ETAG_TIMEOUT=1e9 is longer than the longest timer.*24\.8 days/);
    vi.stubEnv('HF_HUB_ETAG_TIMEOUT', '1e9');
    vi.stubEnv('HF_HUB_DOWNLOAD_TIMEOUT', '1e9');
    const bytes = await source('someone/public').readBytes(WEIGHTS);
    expect(sha256(bytes!)).toBe(sha256(weights));
    const bytes2 = await source('someone/public', { requestTimeout: 1e15, idleTimeout: 1e15, cacheDir: false }).readBytes('model_index.json');
    expect(bytes2!.byteLength).toBeGreaterThan(0);
  });
});
