// Runs in chromium (bundled by hub.spec.ts with esbuild from this package's src/index.ts, so the
// bundle itself proves the package builds for browsers). The page is served by the fake hub, so the
// hub is same-origin and the HubFileSource goes through Cache Storage, not the disk cache.
import { HubFileSource, LocalEntryNotFoundError, RepositoryNotFoundError, TextPipeline, disposeEmbeddings } from '../../src/index.js';

export interface BrowserHubReport {
  weightsSha256: string | null;
  missingIsNull: boolean;
  cachedKeys: string[];
  offlineText: string | null;
  offlineMissingError: string;
  privateError: string;
  embedsShape: number[];
  embeds: number[];
  progressFiles: string[];
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function errorOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'no error';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** Phase 1 (online): fetch and cache. */
export async function online(endpoint: string, repo: string, weights: string): Promise<BrowserHubReport> {
  const source = new HubFileSource(repo, { endpoint });
  const bytes = await source.readBytes(weights);
  const missing = await source.readText('tokenizer/added_tokens.json');
  const keys = (await (await caches.open('sdtext-hub')).keys()).map((r) => new URL(r.url).pathname);

  const progressFiles: string[] = [];
  const pipe = await TextPipeline.fromPretrained(repo, { endpoint, backend: 'cpu', onProgress: (p) => progressFiles.push(p.file) });
  const out = await pipe.encodePrompt({ prompt: 'a photo of a cat', guidance: false });
  const embeds = Array.from(out.promptEmbeds.dataSync());
  const embedsShape = [...out.promptEmbeds.shape];
  disposeEmbeddings(out);
  pipe.dispose();

  const privateError = await errorOf(() => new HubFileSource('sdtext-test/private', { endpoint }).readText('model_index.json'));
  return {
    weightsSha256: bytes && (await sha256(bytes)),
    missingIsNull: missing === null,
    cachedKeys: keys,
    offlineText: null,
    offlineMissingError: '',
    privateError,
    embedsShape,
    embeds,
    progressFiles: [...new Set(progressFiles)],
  };
}

/** Phase 2 (offline): everything from Cache Storage, nothing from the network. */
export async function offline(endpoint: string, repo: string): Promise<Pick<BrowserHubReport, 'offlineText' | 'offlineMissingError' | 'embeds'>> {
  const source = new HubFileSource(repo, { endpoint, offline: true });
  const offlineText = await source.readText('text_encoder/config.json');
  const offlineMissingError = await errorOf(() => source.readText('unet/config.json'));
  const pipe = await TextPipeline.fromPretrained(repo, { endpoint, offline: true, backend: 'cpu' });
  const out = await pipe.encodePrompt({ prompt: 'a photo of a cat', guidance: false });
  const embeds = Array.from(out.promptEmbeds.dataSync());
  disposeEmbeddings(out);
  pipe.dispose();
  return { offlineText, offlineMissingError, embeds };
}

// Checked by name in the spec (instanceof survives bundling only inside the page).
void LocalEntryNotFoundError;
void RepositoryNotFoundError;

declare global {
  interface Window {
    hubTest: { online: typeof online; offline: typeof offline };
  }
}
window.hubTest = { online, offline };
