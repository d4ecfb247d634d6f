import type { FileProgress } from '../file-source.js';
import { HubError, IntegrityError } from './errors.js';
import { contentLength, isConnectionError, isSha256, raiseForStatus, readWithIdleTimeout, type Timeouts } from './http.js';
import { fetchFollowingRedirects } from './redirects.js';

export interface BlobDownload {
  /** URL of the bytes (the CDN location for LFS files). */
  url: string;
  headers: Record<string, string>;
  /** Final path `blobs/<etag>`; bytes go to `<blobPath>.incomplete` first. */
  blobPath: string;
  etag: string;
  /** Size the hub announced; checked before the blob is published. */
  expectedSize: number | null;
  /** The repo-relative path, for progress events and messages. */
  file: string;
  fetch: typeof fetch;
  /** Resumptions after a dropped or stalled connection within this call. */
  retries: number;
  timeouts: Timeouts;
  onProgress?: (p: FileProgress) => void;
}

/**
 * Streams a file into `blobs/<etag>.incomplete`, resuming from whatever an earlier interrupted run left
 * there (`Range: bytes=<size>-`), checks the size and, for LFS blobs, the sha256, then renames it into
 * place: the blob path only ever holds complete, verified bytes.
 */
export async function downloadBlob(job: BlobDownload): Promise<void> {
  const fs = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const incomplete = `${job.blobPath}.incomplete`;
  await fs.mkdir(dirname(job.blobPath), { recursive: true });

  let retriesLeft = job.retries;
  for (;;) {
    let offset = (await sizeOf(incomplete)) ?? 0;
    if (job.expectedSize === 0) {
      await fs.writeFile(incomplete, new Uint8Array(0)); // an empty file has no bytes to transfer, but still needs its blob
      break;
    }
    if (job.expectedSize !== null && offset > job.expectedSize) {
      await fs.rm(incomplete, { force: true });
      offset = 0;
    }
    if (job.expectedSize !== null && offset === job.expectedSize) break;
    try {
      await transfer(job, incomplete, offset);
      break;
    } catch (error) {
      // Only a dropped connection is worth resuming; HTTP errors and bad bytes are final.
      if (!isConnectionError(error) || retriesLeft <= 0) throw error;
      retriesLeft--;
    }
  }

  await verify(job, incomplete);
  await fs.rename(incomplete, job.blobPath);
}

async function transfer(job: BlobDownload, incomplete: string, offset: number): Promise<void> {
  const fs = await import('node:fs/promises');
  const headers: Record<string, string> = { ...job.headers };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const { response, controller } = await fetchFollowingRedirects(job.fetch, job.url, { headers }, job.timeouts, job.file);
  if (response.status === 416 && offset > 0) {
    // Nothing left past `offset`: the partial file is already whole, or wrong; the size check decides.
    await response.body?.cancel();
    return;
  }
  raiseForStatus(response, job.url, job.file);
  // A 200 to a Range request means the server sent the whole file again: start over.
  const resumed = offset > 0 && response.status === 206;
  const start = resumed ? offset : 0;
  const length = contentLength(response);
  const total = job.expectedSize ?? (length === null ? null : start + length);
  const handle = await fs.open(incomplete, resumed ? 'a' : 'w');
  let loaded = start;
  try {
    job.onProgress?.({ file: job.file, loaded, total });
    const body = response.body;
    if (body === null) throw new HubError(`${job.file}: empty response body.`, response.status, job.url);
    for await (const value of readWithIdleTimeout(body, controller, job.timeouts.idle, job.file, job.url)) {
      if (job.expectedSize !== null && loaded + value.byteLength > job.expectedSize) {
        // Not one byte past the announced size: a server that keeps sending is not filling the disk.
        controller.abort();
        await handle.close();
        await fs.rm(incomplete, { force: true });
        throw new IntegrityError(
          `${job.file}: the server sent more than the ${job.expectedSize} bytes it announced; the transfer was stopped and the partial file removed. Retry, or report the mirror.`,
          null,
          job.url,
        );
      }
      await handle.write(value);
      loaded += value.byteLength;
      job.onProgress?.({ file: job.file, loaded, total });
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function verify(job: BlobDownload, incomplete: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const size = (await sizeOf(incomplete)) ?? 0;
  if (job.expectedSize !== null && size !== job.expectedSize) {
    await fs.rm(incomplete, { force: true });
    throw new IntegrityError(
      `Consistency check failed: ${job.file} should be of size ${job.expectedSize} but has size ${size}. The partial file was removed; retry the download.`,
      null,
      job.url,
    );
  }
  if (isSha256(job.etag)) {
    const actual = await sha256File(incomplete);
    if (actual !== job.etag) {
      await fs.rm(incomplete, { force: true });
      throw new IntegrityError(
        `Checksum mismatch for ${job.file}: expected sha256 ${job.etag}, got ${actual}. The corrupted download was removed; retry.`,
        null,
        job.url,
      );
    }
  }
}

export async function sha256File(path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const { createReadStream } = await import('node:fs');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | null> {
  const { stat } = await import('node:fs/promises');
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}
