import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

export interface StaticServer {
  origin: string;
  /** Requests answered with something other than 200, for the test's messages. */
  failures: string[];
  close(): Promise<void>;
}

/**
 * A static server on 127.0.0.1 (random port): each URL prefix maps to a folder, `/` to `index`,
 * and `files` answers exact paths from memory (a bundled page script).
 * COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, so wasm threads).
 */
export async function serveStatic(
  routes: Record<string, string>,
  index: string,
  files: Record<string, string> = {},
): Promise<StaticServer> {
  const failures: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: string | Buffer, type = 'text/plain'): void => {
      if (status !== 200) failures.push(`${status} ${url.pathname}`);
      res.writeHead(status, {
        'Content-Type': type,
        'Content-Length': Buffer.byteLength(body),
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    };
    if (url.pathname === '/') return send(200, index, TYPES['.html']);
    const inMemory = files[url.pathname];
    if (inMemory !== undefined) return send(200, inMemory, TYPES[path.extname(url.pathname)] ?? 'application/octet-stream');
    const prefix = Object.keys(routes).find((p) => url.pathname.startsWith(p));
    if (prefix === undefined) return send(404, 'not found');
    const root = path.resolve(routes[prefix]!);
    const file = path.resolve(root, `.${decodeURIComponent(url.pathname.slice(prefix.length - 1))}`);
    if (!file.startsWith(root + path.sep)) return send(403, 'forbidden');
    fs.readFile(file, (err, data) => {
      if (err) return send(404, 'not found');
      send(200, data, TYPES[path.extname(file)] ?? 'application/octet-stream');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    failures,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
