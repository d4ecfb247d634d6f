import { DEFAULT_TIMEOUTS, MAX_TIMEOUT_MS, type Timeouts } from './http.js';

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`warning: ${message}`);
}
export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** Options shared by every hub access; each falls back to the environment variable huggingface_hub reads. */
export interface HubOptions {
  /** Hub root URL; default `HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Access token for gated/private repos; default `HF_TOKEN` or `$HF_HOME/token`. `false` sends none. */
  token?: string | false;
  /** Never touch the network, use the cache only; default `HF_HUB_OFFLINE`. */
  offline?: boolean;
  /** Node cache root; default `HF_HUB_CACHE`, `$HF_HOME/hub` or ~/.cache/huggingface/hub. `false` disables caching. */
  cacheDir?: string | false;
  /** Injected fetch (tests, proxies); default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** How many times a dropped or stalled transfer is resumed before giving up (huggingface_hub: 5). */
  retries?: number;
  /** Milliseconds to wait for a response's headers; default `HF_HUB_ETAG_TIMEOUT` seconds, else 10 s. */
  requestTimeout?: number;
  /** Milliseconds a body may go without a byte; default `HF_HUB_DOWNLOAD_TIMEOUT` seconds, else 10 s. */
  idleTimeout?: number;
}

/**
 * Hub options from an explicit environment (a CLI's injected `env`), with the same variables and
 * precedence as the defaults read from `process.env`: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE,
 * HF_HUB_CACHE, HF_HOME. Unset variables leave the option out.
 */
export function hubOptionsFromEnv(vars: Readonly<Record<string, string | undefined>>): HubOptions {
  const get = (name: string): string | undefined => (vars[name] === '' ? undefined : vars[name]);
  const options: HubOptions = {};
  const endpoint = get('HF_ENDPOINT');
  if (endpoint !== undefined) options.endpoint = endpoint;
  const token = get('HF_TOKEN') ?? get('HUGGING_FACE_HUB_TOKEN');
  if (token !== undefined) options.token = token;
  const offline = get('HF_HUB_OFFLINE');
  if (offline !== undefined) options.offline = isTrue(offline);
  const home = get('HF_HOME');
  const cacheDir = get('HF_HUB_CACHE') ?? get('HUGGINGFACE_HUB_CACHE') ?? (home === undefined ? undefined : `${home}/hub`);
  if (cacheDir !== undefined) options.cacheDir = cacheDir;
  const requestTimeout = secondsVar('HF_HUB_ETAG_TIMEOUT', get('HF_HUB_ETAG_TIMEOUT'));
  if (requestTimeout !== undefined) options.requestTimeout = requestTimeout;
  const idleTimeout = secondsVar('HF_HUB_DOWNLOAD_TIMEOUT', get('HF_HUB_DOWNLOAD_TIMEOUT'));
  if (idleTimeout !== undefined) options.idleTimeout = idleTimeout;
  return options;
}

/** A timeout variable in seconds (huggingface_hub's unit) as milliseconds; a bad value is an error naming it. */
function secondsVar(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`${name}=${JSON.stringify(value)}: expected a positive number of seconds`);
  return clampTimeout(`${name}=${value}`, seconds * 1000);
}

/**
 * Timers hold at most 2^31 - 1 ms (24.8 days); a longer one fires at once (Node warns and uses
 * 1 ms), so a huge timeout would fail every request. It is clamped, and the user told.
 */
export function clampTimeout(what: string, ms: number): number {
  if (ms <= MAX_TIMEOUT_MS) return ms;
  warnOnce(`${what} is longer than the longest timer JavaScript has; using ${MAX_TIMEOUT_MS} ms (24.8 days).`);
  return MAX_TIMEOUT_MS;
}

/** The request and idle timeouts: the options, else HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT, else 10 s. */
export function hubTimeouts(options: HubOptions): Timeouts {
  const positive = (name: string, ms: number | undefined): number | undefined => {
    if (ms === undefined) return undefined;
    if (!(Number.isFinite(ms) && ms > 0)) throw new Error(`${name} must be a positive number of milliseconds, got ${ms}`);
    return clampTimeout(`${name}: ${ms} ms`, ms);
  };
  return {
    request: positive('requestTimeout', options.requestTimeout) ?? secondsVar('HF_HUB_ETAG_TIMEOUT', env('HF_HUB_ETAG_TIMEOUT')) ?? DEFAULT_TIMEOUTS.request,
    idle: positive('idleTimeout', options.idleTimeout) ?? secondsVar('HF_HUB_DOWNLOAD_TIMEOUT', env('HF_HUB_DOWNLOAD_TIMEOUT')) ?? DEFAULT_TIMEOUTS.idle,
  };
}

/** Environment variables, read at call time (never at import) and only where `process` exists. */
export function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value === '' ? undefined : value;
}

/** huggingface_hub's `_is_true`. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.toUpperCase());
}

export function hubEndpoint(options: HubOptions): string {
  return (options.endpoint ?? env('HF_ENDPOINT') ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

export function isOffline(options: HubOptions): boolean {
  return options.offline ?? isTrue(env('HF_HUB_OFFLINE'));
}

/** The token from the option, `HF_TOKEN`, or the token file `huggingface-cli login` writes (Node only). */
export async function hubToken(options: HubOptions): Promise<string | null> {
  if (options.token === false) return null;
  if (options.token !== undefined) return options.token;
  const fromEnv = env('HF_TOKEN') ?? env('HUGGING_FACE_HUB_TOKEN');
  if (fromEnv !== undefined) return fromEnv;
  const home = await hfHome();
  if (home === null) return null;
  try {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const text = (await readFile(env('HF_TOKEN_PATH') ?? join(home, 'token'), 'utf8')).trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

/** `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else ~/.cache/huggingface; null outside Node. */
export async function hfHome(): Promise<string | null> {
  if (!isNode()) return null;
  const home = env('HF_HOME');
  if (home !== undefined) return home;
  const { join } = await import('node:path');
  const xdg = env('XDG_CACHE_HOME');
  if (xdg !== undefined) return join(xdg, 'huggingface');
  const { homedir } = await import('node:os');
  return join(homedir(), '.cache', 'huggingface');
}

/** The Node cache root, or null when caching on disk is off or unavailable (browsers). */
export async function hubCacheDir(options: HubOptions): Promise<string | null> {
  if (options.cacheDir === false) return null;
  if (options.cacheDir !== undefined) return options.cacheDir;
  const direct = env('HF_HUB_CACHE') ?? env('HUGGINGFACE_HUB_CACHE');
  if (direct !== undefined) return direct;
  const home = await hfHome();
  if (home === null) return null;
  const { join } = await import('node:path');
  return join(home, 'hub');
}

export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}`, quoted as huggingface_hub's `hf_hub_url` quotes it. */
export function resolveUrl(endpoint: string, repoId: string, revision: string, path: string): string {
  const file = path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file}`;
}

export { isRepoId } from '@sdtext/core';
