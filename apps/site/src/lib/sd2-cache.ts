// What this browser's Cache Storage holds of SD2 (the files @sdtext/pipeline's hub client put there):
// read by the page for the bar, without the network, online or not.
import { SD2_REPO, SD2_REVISION } from './contracts';

/** The Cache Storage @sdtext/pipeline keeps hub files in. */
export const SD2_CACHE = 'sdtext-hub';

/** Where the real SD2 weights come from (huggingface.co, or the ?hf_endpoint= mirror). */
export function sd2HubUrl(endpoint: string | null): string {
  return `${endpoint ?? 'https://huggingface.co'}/${SD2_REPO}`;
}

export interface CacheStatus {
  files: string[];
  /** Files the hub answered 404 for (remembered, so offline loads skip them). */
  absent: string[];
  bytes: number;
  /** Config and weights of the text encoder and the tokenizer files are all there. */
  complete: boolean;
}

/** Reads Cache Storage (no network): which of the SD2 files at SD2_REVISION this browser has. */
export async function sd2CacheStatus(endpoint: string | null): Promise<CacheStatus> {
  const status: CacheStatus = { files: [], absent: [], bytes: 0, complete: false };
  if (typeof caches === 'undefined') return status;
  const prefix = `${sd2HubUrl(endpoint)}/resolve/${SD2_REVISION}/`;
  const cache = await caches.open(SD2_CACHE);
  for (const request of await cache.keys()) {
    if (!request.url.startsWith(prefix)) continue;
    const response = await cache.match(request);
    const path = decodeURIComponent(request.url.slice(prefix.length));
    if (response?.status === 404) status.absent.push(path);
    else {
      status.files.push(path);
      status.bytes += Number(response?.headers.get('x-sdtext-size') ?? 0);
    }
  }
  const has = (p: (f: string) => boolean): boolean => status.files.some(p);
  status.complete =
    has((f) => f === 'text_encoder/config.json') &&
    has((f) => /^text_encoder\/.*\.safetensors$/.test(f)) &&
    has((f) => f === 'tokenizer/vocab.json') &&
    has((f) => f === 'tokenizer/merges.txt');
  return status;
}

/** Whether the browser says it is online (true where it cannot tell). */
export function isOnline(): boolean {
  return typeof navigator === 'undefined' || navigator.onLine !== false;
}
