#!/usr/bin/env node
// Serves the built site (build/) the way it is meant to be hosted: cross-origin isolated, with
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
// on every response. Isolation is what gives a page SharedArrayBuffer, and so wasm threads to
// ONNX Runtime Web and to tfjs's wasm backend. `docusaurus serve` cannot send headers, hence this.
//
//   node scripts/serve.mjs [--port 3000] [--host 127.0.0.1] [--dir build] [--no-isolation]
//
// URLs resolve as docusaurus serve resolves them: /tutorial/setup -> tutorial/setup.html,
// a folder -> its index.html, anything else -> 404.html with status 404.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    dir: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '../build') },
    'no-isolation': { type: 'boolean', default: false },
  },
});

const root = resolve(args.dir);
const isolated = !args['no-isolation'];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

/** What the isolated site sends with every response (CORP: its files may be embedded by isolated pages of its own origin). */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The file a URL path names, or null (never outside the build folder). */
function fileFor(pathname) {
  const local = resolve(root, `.${decodeURIComponent(pathname)}`);
  if (local !== root && !local.startsWith(root + sep)) return null;
  for (const candidate of [local, `${local}.html`, join(local, 'index.html')]) if (isFile(candidate)) return candidate;
  return null;
}

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const headers = { 'Cache-Control': 'no-cache', ...(isolated ? ISOLATION_HEADERS : {}) };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  let file = fileFor(pathname);
  let status = 200;
  if (file === null) {
    status = 404;
    file = isFile(join(root, '404.html')) ? join(root, '404.html') : null;
  }
  if (file === null) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
});

if (!isFile(join(root, 'index.html'))) {
  console.error(`serve: ${root} has no index.html: build the site first (pnpm --filter @sdtext/site build)`);
  process.exit(1);
}
server.listen(Number(args.port), args.host, () => {
  console.log(`serving ${root} at http://${args.host}:${args.port}/ (${isolated ? 'cross-origin isolated: COOP same-origin, COEP require-corp' : 'not isolated'})`);
});
