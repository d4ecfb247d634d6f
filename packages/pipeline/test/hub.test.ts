import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HubFileSource,
  IntegrityError,
  LocalEntryNotFoundError,
  RepositoryNotFoundError,
  hubOptionsFromEnv,
  repoFolderName,
  type FileProgress,
} from '../src/index.js';
import { FakeHub, sha256 } from './helpers/fake-hub.js';

// vitest's deep equality walks typed arrays element by element (seconds per megabyte): compare digests.
const digest = (bytes: Uint8Array | null): string | null => (bytes === null ? null : sha256(bytes));
import { tempDir, tinyModelDir } from './helpers/paths.js';

const REPO = 'sdtext-test/tiny';
const WEIGHTS = 'text_encoder/model.safetensors';
const CONFIG = 'text_encoder/config.json';

let hub: FakeHub;
let cache: { path: string; remove: () => Promise<void> };
let commit: string;
let weights: Uint8Array;
let config: Uint8Array;

beforeEach(async () => {
  weights = new Uint8Array(await readFile(join(tinyModelDir('sd2-tiny'), 'text_model/model.safetensors')));
  config = new Uint8Array(await readFile(join(tinyModelDir('sd2-tiny'), 'text_model/config.json')));
  hub = new FakeHub();
  commit = hub.addRepo(REPO, { [WEIGHTS]: weights, [CONFIG]: config, 'model_index.json': '{}' }, { branches: ['v1'] });
  hub.addRepo('sdtext-test/private', { 'model_index.json': '{"private":true}' }, { token: 'hf_secret' });
  await hub.start();
  cache = await tempDir('hub-cache');
  // No test may see the real environment's hub settings, token or cache.
  vi.stubEnv('HF_HOME', join(cache.path, 'home'));
  vi.stubEnv('HF_HUB_CACHE', '');
  vi.stubEnv('HUGGINGFACE_HUB_CACHE', '');
  vi.stubEnv('HF_TOKEN', '');
  vi.stubEnv('HUGGING_FACE_HUB_TOKEN', '');
  vi.stubEnv('HF_HUB_OFFLINE', '');
  vi.stubEnv('HF_ENDPOINT', '');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  await cache.remove();
});

function source(options: ConstructorParameters<typeof HubFileSource>[1] = {}): HubFileSource {
  return new HubFileSource(REPO, { endpoint: hub.url, cacheDir: cache.path, ...options });
}

const storage = (): string => join(cache.path, repoFolderName(REPO));

describe('hub cache layout (shared with huggingface_hub)', () => {
  it('stores blobs by etag, snapshots as relative symlinks and refs/<revision> with the commit', async () => {
    const bytes = await source().readBytes(WEIGHTS);
    expect(digest(bytes)).toBe(sha256(weights));
    expect(new TextDecoder().decode((await source().readBytes(CONFIG))!)).toEqual(new TextDecoder().decode(config));

    expect(repoFolderName(REPO)).toBe('models--sdtext-test--tiny');
    expect((await readFile(join(storage(), 'refs/main'), 'utf8')).trim()).toBe(commit);
    const pointer = join(storage(), 'snapshots', commit, WEIGHTS);
    expect((await lstat(pointer)).isSymbolicLink()).toBe(true);
    expect(await readlink(pointer)).toBe(`../../../blobs/${sha256(weights)}`);
    // The config is a regular git file: its blob is named by the git blob id from ETag.
    const configLink = await readlink(join(storage(), 'snapshots', commit, CONFIG));
    expect(configLink).toMatch(/^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/);
    expect((await stat(join(storage(), 'blobs', sha256(weights)))).size).toBe(weights.byteLength);
  });

  it('a second read costs one HEAD and no transfer', async () => {
    await source().readBytes(WEIGHTS);
    hub.requests.length = 0;
    expect(digest(await source().readBytes(WEIGHTS))).toBe(sha256(weights));
    expect(hub.requests.filter((r) => r.method === 'GET')).toEqual([]);
    expect(hub.requests.filter((r) => r.method === 'HEAD')).toHaveLength(1);
  });

  it('a pinned commit already cached needs no request at all', async () => {
    await source().readBytes(CONFIG);
    hub.requests.length = 0;
    expect(digest(await source({ revision: commit }).readBytes(CONFIG))).toBe(sha256(config));
    expect(hub.requests).toEqual([]);
  });

  it('another branch at the same commit reuses the blob and gets its own ref', async () => {
    await source().readBytes(WEIGHTS);
    hub.requests.length = 0;
    expect(digest(await source({ revision: 'v1' }).readBytes(WEIGHTS))).toBe(sha256(weights));
    expect(hub.requests.filter((r) => r.method === 'GET')).toEqual([]);
    expect((await readFile(join(storage(), 'refs/v1'), 'utf8')).trim()).toBe(commit);
  });

  it('reuses files a Python user downloaded (symlinks or copies), offline', async () => {
    const blobs = join(storage(), 'blobs');
    const snap = join(storage(), 'snapshots', commit);
    await mkdir(blobs, { recursive: true });
    await mkdir(join(snap, 'text_encoder'), { recursive: true });
    await mkdir(join(storage(), 'refs'), { recursive: true });
    await writeFile(join(blobs, sha256(weights)), weights);
    await symlink(`../../../blobs/${sha256(weights)}`, join(snap, WEIGHTS));
    await copyFile(join(tinyModelDir('sd2-tiny'), 'text_model/config.json'), join(snap, CONFIG));
    await writeFile(join(storage(), 'refs/main'), commit);

    const offline = source({ offline: true });
    expect(digest(await offline.readBytes(WEIGHTS))).toBe(sha256(weights));
    expect(digest(await offline.readBytes(CONFIG))).toBe(sha256(config));
    expect(hub.requests).toEqual([]);
  });

  it('honours HF_HOME, HF_HUB_CACHE and HF_ENDPOINT', async () => {
    vi.stubEnv('HF_ENDPOINT', hub.url);
    await new HubFileSource(REPO).readBytes(CONFIG);
    expect((await readFile(join(cache.path, 'home/hub', repoFolderName(REPO), 'refs/main'), 'utf8')).trim()).toBe(commit);

    vi.stubEnv('HF_HUB_CACHE', join(cache.path, 'direct'));
    await new HubFileSource(REPO).readBytes(CONFIG);
    expect((await readFile(join(cache.path, 'direct', repoFolderName(REPO), 'refs/main'), 'utf8')).trim()).toBe(commit);
  });
});

describe('hub errors', () => {
  it('a missing file reads as null and is remembered in .no_exist for offline use', async () => {
    expect(await source().readText('tokenizer/added_tokens.json')).toBeNull();
    await source().readText(CONFIG); // writes refs/main
    expect(await source().readText('tokenizer/added_tokens.json')).toBeNull();
    expect((await stat(join(storage(), '.no_exist', commit, 'tokenizer/added_tokens.json'))).isFile()).toBe(true);
    expect(await source({ offline: true }).readText('tokenizer/added_tokens.json')).toBeNull();
  });

  it('offline mode fails with the name of the missing file', async () => {
    const offline = source({ offline: true });
    await expect(offline.readBytes(WEIGHTS)).rejects.toThrow(LocalEntryNotFoundError);
    await expect(offline.readBytes(WEIGHTS)).rejects.toThrow(/text_encoder\/model\.safetensors.*offline/);
    vi.stubEnv('HF_HUB_OFFLINE', '1');
    await expect(source().readBytes(CONFIG)).rejects.toThrow(/text_encoder\/config\.json/);
    expect(hub.requests).toEqual([]);
  });

  it('an unreachable hub falls back to the cache, and names the file when it is not there', async () => {
    await source().readBytes(CONFIG);
    await hub.close();
    expect(digest(await source().readBytes(CONFIG))).toBe(sha256(config));
    await expect(source().readBytes(WEIGHTS)).rejects.toThrow(/model\.safetensors.*unreachable/);
  });

  it('401 without a token; the token from the option or HF_TOKEN opens a private repo', async () => {
    const privateRepo = (options = {}) => new HubFileSource('sdtext-test/private', { endpoint: hub.url, cacheDir: cache.path, ...options });
    await expect(privateRepo().readText('model_index.json')).rejects.toThrow(RepositoryNotFoundError);
    await expect(privateRepo().readText('model_index.json')).rejects.toThrow(/HF_TOKEN/);
    expect(await privateRepo({ token: 'hf_secret' }).readText('model_index.json')).toBe('{"private":true}');
    vi.stubEnv('HF_TOKEN', 'hf_secret');
    expect(await privateRepo().readText('model_index.json')).toBe('{"private":true}');
    expect(hub.requests.at(-1)?.authorization).toBe('Bearer hf_secret');
  });

  it('a server error is reported, not mistaken for a missing file; a cached copy still serves', async () => {
    hub.faults.push({ kind: 'status', file: CONFIG, status: 500, times: 2 });
    await expect(source().readText(CONFIG)).rejects.toThrow(/HTTP 500/);
    await source().readText('model_index.json'); // refs/main
    await expect(source().readText(CONFIG)).rejects.toThrow(/HTTP 500/);
    await source().readText(CONFIG);
    hub.faults.push({ kind: 'status', file: CONFIG, status: 503, times: 1 });
    expect(await source().readText(CONFIG)).toBe(new TextDecoder().decode(config));
  });

  it('hubOptionsFromEnv reads the same variables as the defaults', () => {
    expect(hubOptionsFromEnv({ HF_ENDPOINT: 'http://mirror', HF_TOKEN: 't', HF_HUB_OFFLINE: 'yes', HF_HOME: '/h' })).toEqual({
      endpoint: 'http://mirror',
      token: 't',
      offline: true,
      cacheDir: '/h/hub',
    });
    expect(hubOptionsFromEnv({ HF_HUB_CACHE: '/c', HF_HOME: '/h', HF_HUB_OFFLINE: '0' })).toEqual({ cacheDir: '/c', offline: false });
    expect(hubOptionsFromEnv({})).toEqual({});
  });
});

describe('downloads: resume, integrity, atomic completion', () => {
  it('an interrupted transfer leaves only .incomplete, and the next run resumes it with Range', async () => {
    hub.faults.push({ kind: 'drop', file: WEIGHTS, afterBytes: 1_000_000, times: 1 });
    await expect(source({ retries: 0 }).readBytes(WEIGHTS)).rejects.toThrow();
    const blob = join(storage(), 'blobs', sha256(weights));
    const partial = await stat(`${blob}.incomplete`);
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(weights.byteLength);
    await expect(stat(blob)).rejects.toThrow();
    await expect(stat(join(storage(), 'snapshots', commit, WEIGHTS))).rejects.toThrow();

    expect(digest(await source().readBytes(WEIGHTS))).toBe(sha256(weights));
    const ranges = hub.seen(WEIGHTS, 'GET').map((r) => r.range);
    expect(ranges).toEqual([null, `bytes=${partial.size}-`]);
    await expect(stat(`${blob}.incomplete`)).rejects.toThrow();
  });

  it('a dropped connection is resumed within the same call', async () => {
    hub.faults.push({ kind: 'drop', file: WEIGHTS, afterBytes: 500_000, times: 2 });
    const events: FileProgress[] = [];
    expect(digest(await source().readBytes(WEIGHTS, (p) => events.push(p)))).toBe(sha256(weights));
    const ranges = hub.seen(WEIGHTS, 'GET').map((r) => r.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeNull();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(events.at(-1)).toEqual({ file: WEIGHTS, loaded: weights.byteLength, total: weights.byteLength });
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
  });

  it('a size that differs from X-Linked-Size fails the consistency check and leaves nothing behind', async () => {
    hub.faults.push({ kind: 'wrong-size', file: WEIGHTS, times: 1 });
    await expect(source().readBytes(WEIGHTS)).rejects.toThrow(/Consistency check failed/);
    const blob = join(storage(), 'blobs', sha256(weights));
    await expect(stat(blob)).rejects.toThrow();
    await expect(stat(`${blob}.incomplete`)).rejects.toThrow();
    expect(digest(await source().readBytes(WEIGHTS))).toBe(sha256(weights));
  });

  it('corrupted bytes fail the sha256 check; the next run downloads them again', async () => {
    hub.faults.push({ kind: 'corrupt', file: WEIGHTS, times: 1 });
    await expect(source().readBytes(WEIGHTS)).rejects.toThrow(IntegrityError);
    expect(digest(await source().readBytes(WEIGHTS))).toBe(sha256(weights));
  });

  it('a corrupted cached blob is detected and fetched again', async () => {
    await source().readBytes(WEIGHTS);
    const blob = join(storage(), 'blobs', sha256(weights));
    const damaged = weights.slice();
    damaged[1000]! ^= 1;
    await writeFile(blob, damaged);
    hub.requests.length = 0;
    expect(digest(await source().readBytes(WEIGHTS))).toBe(sha256(weights));
    expect(hub.seen(WEIGHTS, 'GET')).toHaveLength(1);
    expect(digest(await readFile(blob))).toBe(sha256(weights));
  });

  it('offline, a corrupted cached blob is an error, never returned', async () => {
    await source().readBytes(WEIGHTS);
    const blob = join(storage(), 'blobs', sha256(weights));
    await writeFile(blob, weights.subarray(0, 100));
    await expect(source({ offline: true }).readBytes(WEIGHTS)).rejects.toThrow(IntegrityError);
  });

  it('parallel reads of one file share one transfer', async () => {
    const [a, b] = await Promise.all([source().readBytes(WEIGHTS), source().readBytes(WEIGHTS)]);
    expect(digest(a)).toBe(sha256(weights));
    expect(digest(b)).toBe(sha256(weights));
    expect(hub.seen(WEIGHTS, 'GET')).toHaveLength(1);
  });

  it('download() reports where the file is and whether it came from the cache', async () => {
    const first = await source().download(WEIGHTS);
    expect(first).toMatchObject({ size: weights.byteLength, fromCache: false });
    expect(first!.localPath).toBe(join(storage(), 'snapshots', commit, WEIGHTS));
    expect(await source().download(WEIGHTS)).toMatchObject({ fromCache: true });
    expect(await source().download('nope.txt')).toBeNull();
  });
});
