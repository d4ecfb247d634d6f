import { HubError } from './errors.js';
import { fetchWithTimeout, type Timeouts } from './http.js';

/** huggingface_hub and browsers stop after 10 hops, and so do we. */
const MAX_REDIRECTS = 10;

/**
 * Where a redirect leads, decided as fetch itself will read it: `new URL(location, current)`, not
 * the string. `/\host/x`, `/<TAB>/host/x`, `//host`, `HTTP://host` and `https:host` all leave the
 * current origin although some look relative; only http(s) targets are followed at all.
 */
export function redirectTarget(location: string, current: string, what: string): URL {
  let target: URL;
  try {
    target = new URL(location, current);
  } catch {
    throw new HubError(`${what}: the server redirected to ${JSON.stringify(location)}, which is not a URL.`, null, current);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new HubError(`${what}: refused a redirect to ${JSON.stringify(location)} (${target.protocol} is not http or https).`, null, current);
  }
  return target;
}

/**
 * A path-only Location (huggingface_hub follows only those on HEAD: "netloc empty"), read the way
 * the URL parser reads it: leading/trailing C0 controls and spaces trimmed, tabs and newlines
 * removed, `\\` as `/`. `//host`, `/\\host` and `scheme:` are not.
 */
export function isPathOnly(location: string): boolean {
  // eslint-disable-next-line no-control-regex
  const cleaned = location.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
  return !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(cleaned) && !/^[/\\]{2}/.test(cleaned);
}

export function sameOrigin(a: string | URL, b: string | URL): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/** Headers without the credential, for any origin other than the one it was meant for. */
export function withoutAuth(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'authorization') out[name] = value;
  return out;
}

/**
 * GET that follows redirects itself, so that the token goes to the origin it was meant for and
 * nowhere else: once a hop leaves `url`'s origin, the Authorization header is dropped for good.
 * In browsers, manual redirects are opaque; there the browser follows them, and the fetch standard
 * strips Authorization on a cross-origin hop.
 */
export async function fetchFollowingRedirects(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit & { headers: Record<string, string> },
  timeouts: Timeouts,
  what: string,
): Promise<{ response: Response; controller: AbortController }> {
  const origin = new URL(url).origin;
  let current = url;
  let headers = init.headers;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const attempt = await fetchWithTimeout(fetchImpl, current, { ...init, headers, redirect: 'manual' }, timeouts, what);
    const { response } = attempt;
    if (response.type === 'opaqueredirect') {
      return fetchWithTimeout(fetchImpl, current, { ...init, headers, redirect: 'follow' }, timeouts, what);
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) return attempt;
    await response.body?.cancel();
    const target = redirectTarget(location, current, what);
    if (target.origin !== origin) headers = withoutAuth(headers);
    current = target.toString();
  }
  throw new HubError(`${what}: more than ${MAX_REDIRECTS} redirects from ${url}.`, null, url);
}
