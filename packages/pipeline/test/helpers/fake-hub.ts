import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake hub saw, for assertions (Range resumes, Authorization forwarding). */
export interface SeenRequest {
  method: string;
  path: string;
  range: string | null;
  authorization: string | null;
}

export type Fault =
  /** Close the socket after `afterBytes` bytes of the body. */
  | { kind: 'drop'; file: string; afterBytes: number; times: number }
  /** Answer with this status instead. */
  | { kind: 'status'; file: string; status: number; times: number }
  /** Announce a size (X-Linked-Size / Content-Length of HEAD) that differs from the bytes served. */
  | { kind: 'wrong-size'; file: string; times: number }
  /** Serve the right number of bytes with one of them flipped. */
  | { kind: 'corrupt'; file: string; times: number }
  /** Send this value for a response header (e.g. a hostile X-Linked-Etag or X-Repo-Commit). */
  | { kind: 'header'; file: string; name: string; value: string; times: number }
  /** Never answer a request (`method`), or answer GET's headers and `afterBytes` bytes, then go silent. */
  | { kind: 'stall'; file: string; method: 'HEAD' | 'GET'; afterBytes?: number; times: number }
  /**
   * Answer `method` with a 302 to `location`, written as is (a hostile mirror's Location). A HEAD
   * redirect carries the file's LFS headers, as the hub's redirect to its CDN does.
   */
  | { kind: 'redirect'; file: string; method: 'HEAD' | 'GET'; location: string; times: number }
  /** Send the body `chunkBytes` at a time, one chunk every `everyMs` (downloads that overlap). */
  | { kind: 'slow'; file: string; chunkBytes: number; everyMs: number; times: number }
  /** After the file's bytes, keep sending more, up to `extraBytes` (a body longer than announced). */
  | { kind: 'oversize'; file: string; extraBytes: number; times: number };

export interface FakeRepoOptions {
  /** Files whose bytes go through the LFS redirect (default: *.safetensors, *.bin, *.onnx). */
  isLfs?: (path: string) => boolean;
  /** When set, requests must carry `Authorization: Bearer <token>` (a private repo). */
  token?: string;
  /** Extra branch names that point at the same commit. */
  branches?: string[];
}

interface FakeRepo {
  files: Map<string, Uint8Array>;
  commit: string;
  options: FakeRepoOptions;
}

const defaultLfs = (path: string): boolean => /\.(safetensors|bin|onnx)$/.test(path);

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

/**
 * A Hugging Face hub on 127.0.0.1 that speaks the parts huggingface_hub relies on: `resolve/` with
 * X-Repo-Commit, ETag / X-Linked-Etag / X-Linked-Size, a 302 to a CDN path for LFS files, Range
 * requests, X-Error-Code on failures, and injectable faults.
 */
export class FakeHub {
  readonly requests: SeenRequest[] = [];
  readonly faults: Fault[] = [];
  private readonly repos = new Map<string, FakeRepo>();
  private readonly blobs = new Map<string, Uint8Array>();
  private server: Server | null = null;
  /** Non-hub paths served as is (a test page and its bundle, for the browser tests). */
  readonly pages = new Map<string, { body: string | Uint8Array; type: string }>();
  url = '';

  addRepo(repoId: string, files: Record<string, Uint8Array | string>, options: FakeRepoOptions = {}): string {
    const map = new Map<string, Uint8Array>();
    const commitHash = createHash('sha1').update(repoId);
    for (const [path, content] of Object.entries(files)) {
      const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
      map.set(path, bytes);
      commitHash.update(path).update(bytes);
      if ((options.isLfs ?? defaultLfs)(path)) this.blobs.set(sha256(bytes), bytes);
    }
    const commit = commitHash.digest('hex');
    this.repos.set(repoId, { files: map, commit, options });
    return commit;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests for one repo file (resolve/ and its CDN blob), optionally of one method. */
  seen(file: string, method?: string): SeenRequest[] {
    return this.requests.filter((r) => (r.path.endsWith(`/${file}`) || r.path.includes(`#${file}`)) && (!method || r.method === method));
  }

  private takeFault<K extends Fault['kind']>(kind: K, file: string): Extract<Fault, { kind: K }> | null {
    const fault = this.faults.find((f) => f.kind === kind && f.file === file && f.times > 0);
    if (!fault) return null;
    fault.times--;
    return fault as Extract<Fault, { kind: K }>;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization ?? null;
    this.requests.push({ method: req.method ?? 'GET', path: path + (url.hash ?? ''), range: req.headers.range ?? null, authorization: auth });

    const page = this.pages.get(path);
    if (page) {
      res.setHeader('content-type', page.type);
      res.end(page.body);
      return;
    }

    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (cdn) {
      const file = url.searchParams.get('file') ?? '';
      this.requests[this.requests.length - 1]!.path = `/cdn/${cdn[1]}#${file}`;
      const bytes = this.blobs.get(cdn[1]!);
      if (!bytes) return this.fail(res, 404, 'EntryNotFound');
      const redirect = req.method === 'GET' ? this.takeRedirect(file, 'GET') : null;
      if (redirect) {
        res.setHeader('location', redirect.location);
        res.statusCode = 302;
        res.end();
        return;
      }
      return this.serveBytes(req, res, file, bytes, { etag: `"${cdn[1]}"` });
    }

    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m) return this.fail(res, 404, 'RepoNotFound');
    const [, repoId, revision, file] = m as unknown as [string, string, string, string];
    const repo = this.repos.get(repoId);
    if (!repo) return this.fail(res, 401, 'RepoNotFound');
    if (repo.options.token !== undefined && auth !== `Bearer ${repo.options.token}`) return this.fail(res, 401, 'RepoNotFound');
    if (revision !== 'main' && revision !== repo.commit && !repo.options.branches?.includes(revision)) {
      return this.fail(res, 404, 'RevisionNotFound');
    }
    const status = this.takeFault('status', file);
    if (status) return this.fail(res, status.status, null);
    if (req.method === 'HEAD' && this.takeStall(file, 'HEAD')) return; // the socket stays open, silent
    this.applyHeaderFaults(res, file);
    const bytes = repo.files.get(file);
    const redirect = bytes ? this.takeRedirect(file, req.method === 'HEAD' ? 'HEAD' : 'GET') : null;
    if (redirect && bytes) {
      res.setHeader('x-repo-commit', repo.commit);
      res.setHeader('x-linked-etag', `"${sha256(bytes)}"`);
      res.setHeader('x-linked-size', String(bytes.byteLength));
      res.setHeader('location', redirect.location);
      res.statusCode = 302;
      res.end();
      return;
    }
    if (!bytes) {
      res.setHeader('x-repo-commit', repo.commit);
      return this.fail(res, 404, 'EntryNotFound');
    }
    const wrongSize = req.method === 'HEAD' ? this.takeFault('wrong-size', file) : null;
    const announced = wrongSize ? bytes.byteLength + 7 : bytes.byteLength;
    res.setHeader('x-repo-commit', repo.commit);
    if ((repo.options.isLfs ?? defaultLfs)(file)) {
      const digest = sha256(bytes);
      res.setHeader('x-linked-etag', `"${digest}"`);
      res.setHeader('x-linked-size', String(announced));
      res.setHeader('etag', `"${gitBlobId(new TextEncoder().encode(`oid sha256:${digest}`))}"`);
      res.setHeader('location', `${this.url}/cdn/${digest}?file=${encodeURIComponent(file)}`);
      this.applyHeaderFaults(res, file);
      res.statusCode = 302;
      res.end();
      return;
    }
    return this.serveBytes(req, res, file, bytes, { etag: `"${gitBlobId(bytes)}"`, announced });
  }

  private serveBytes(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    original: Uint8Array,
    { etag, announced }: { etag: string; announced?: number },
  ): void {
    let bytes = original;
    if (req.method === 'GET' && this.takeFault('corrupt', file)) {
      bytes = original.slice();
      bytes[bytes.length >> 1]! ^= 0xff;
    }
    res.setHeader('etag', etag);
    this.applyHeaderFaults(res, file);
    res.setHeader('accept-ranges', 'bytes');
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= bytes.byteLength) {
        res.statusCode = 416;
        res.setHeader('content-range', `bytes */${bytes.byteLength}`);
        res.end();
        return;
      }
      res.statusCode = 206;
      res.setHeader('content-range', `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}`);
    }
    const body = bytes.subarray(start);
    res.setHeader('content-length', String(req.method === 'HEAD' ? (announced ?? body.byteLength) : body.byteLength));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stall = this.takeStall(file, 'GET');
    if (stall) {
      res.flushHeaders();
      res.write(body.subarray(0, stall.afterBytes ?? 0)); // then nothing: the client's idle timeout must end it
      return;
    }
    const slow = this.takeFault('slow', file);
    if (slow) {
      res.flushHeaders();
      let at = 0;
      const tick = (): void => {
        if (res.destroyed) return;
        const next = Math.min(at + slow.chunkBytes, body.byteLength);
        res.write(body.subarray(at, next));
        at = next;
        if (at < body.byteLength) setTimeout(tick, slow.everyMs);
        else res.end();
      };
      tick();
      return;
    }
    const oversize = this.takeFault('oversize', file);
    if (oversize) {
      // The announced length is a lie; send chunked, and keep going while the client reads.
      res.removeHeader('content-length');
      res.write(body);
      const chunk = new Uint8Array(64 * 1024).fill(0x41);
      let sent = 0;
      const more = (): void => {
        while (sent < oversize.extraBytes && !res.destroyed) {
          sent += chunk.byteLength;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return;
    }
    const drop = this.takeFault('drop', file);
    if (drop) {
      res.flushHeaders();
      res.write(body.subarray(0, drop.afterBytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  }

  private takeRedirect(file: string, method: 'HEAD' | 'GET'): Extract<Fault, { kind: 'redirect' }> | null {
    const fault = this.faults.find((f): f is Extract<Fault, { kind: 'redirect' }> => f.kind === 'redirect' && f.file === file && f.method === method && f.times > 0);
    if (!fault) return null;
    fault.times--;
    return fault;
  }

  private takeStall(file: string, method: 'HEAD' | 'GET'): Extract<Fault, { kind: 'stall' }> | null {
    const fault = this.faults.find((f): f is Extract<Fault, { kind: 'stall' }> => f.kind === 'stall' && f.file === file && f.method === method && f.times > 0);
    if (!fault) return null;
    fault.times--;
    return fault;
  }

  private applyHeaderFaults(res: ServerResponse, file: string): void {
    for (const f of this.faults) if (f.kind === 'header' && f.file === file && f.times > 0) res.setHeader(f.name, f.value);
  }

  private fail(res: ServerResponse, status: number, code: string | null): void {
    if (code) res.setHeader('x-error-code', code);
    res.statusCode = status;
    res.end();
  }
}
