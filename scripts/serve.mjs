// Static file server for web/ (the demo page and the library it loads), node:http only.
//
// Contract:
// - Binds loopback only (127.0.0.0/8, ::1, localhost); any other host is refused before listening.
// - Serves files under `root` and nothing else: the path is %-decoded exactly once, NUL, backslashes,
//   dot-segments and dot-files are refused, the resolved path must stay under root, and so must its
//   realpath (no symlink escapes). `/` redirects to /demo/, a directory serves its index.html.
// - GET and HEAD only. Every response carries COOP/COEP/CORP (cross-origin isolation: the page gets
//   SharedArrayBuffer, so wasmcnn loads its pthreads build), nosniff and no-cache (edits show on
//   reload); HTML also gets CSP below. `isolated: false` (--no-isolation) leaves COOP/COEP/CORP out,
//   as most sites that install wasmcnn from npm are served: the page then runs the single-thread
//   build, with helper workers for threads.
//
// Usage: node scripts/serve.mjs [--no-isolation]   Env: PORT (default 8080), HOST (loopback only; default 127.0.0.1)
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { repoRoot, isMain } from './lib/run.mjs';

export const WEB_ROOT = path.join(repoRoot, 'web');

// 'wasm-unsafe-eval' allows WebAssembly compilation without allowing JS eval.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export const COMMON_HEADERS = {
  ...ISOLATION_HEADERS,
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

/** The headers every response carries, with or without cross-origin isolation. */
export function commonHeaders({ isolated = true } = {}) {
  if (isolated) return COMMON_HEADERS;
  return Object.fromEntries(Object.entries(COMMON_HEADERS).filter(([name]) => !(name in ISOLATION_HEADERS)));
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8', // .d.ts: served as text to read, not as a script
  '.map': 'application/json; charset=utf-8',
};

export function mimeType(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** True for 127.0.0.0/8, ::1 and 'localhost'. */
export function isLoopback(host) {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.split('.')[0] === '127';
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host) || /^(0+:){7}0*1$/.test(host);
  return false;
}

/**
 * Maps a raw request target to a file path under `root`, or returns an HTTP status to refuse it.
 * Returns {file, urlPath, dirRequest} | {redirect} | {status}. Pure string work: the handler does the
 * filesystem checks (existence, realpath).
 */
export function resolveRequestPath(rawUrl, root) {
  if (typeof rawUrl !== 'string' || !rawUrl.startsWith('/')) return { status: 400 };
  const rawPath = rawUrl.split(/[?#]/, 1)[0];
  let decoded;
  try {
    decoded = decodeURIComponent(rawPath); // once: "%252e" stays the literal name "%2e"
  } catch {
    return { status: 400 }; // malformed %-encoding
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400 };
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { status: 400 };
  if (segments.some((s) => s.startsWith('.'))) return { status: 404 }; // no dot-files (.git, .env, ...)
  if (decoded === '/') return { redirect: '/demo/' };
  const file = path.resolve(root, `.${decoded}`);
  const rel = path.relative(root, file);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return { status: 403 };
  // urlPath: the canonical URL of the file (duplicate slashes collapsed), for redirects.
  const urlPath = `/${rel.split(path.sep).filter(Boolean).map(encodeURIComponent).join('/')}`;
  return { file, urlPath, dirRequest: decoded.endsWith('/') };
}

const STATUS_TEXT = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

async function handle(req, res, root, realRoot, common) {
  const send = (status, headers = {}, body = `${status} ${STATUS_TEXT[status] ?? ''}\n`) => {
    res.writeHead(status, { ...common, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' });

  const target = resolveRequestPath(req.url, root);
  if (target.status) return send(target.status);
  if (target.redirect) return send(302, { Location: target.redirect }, '');

  let file = target.file;
  let stat, real;
  try {
    stat = await fs.promises.stat(file);
    if (stat.isDirectory()) {
      // Without the slash, relative URLs in the page would resolve against the parent.
      if (!target.dirRequest) return send(301, { Location: `${target.urlPath}/` }, '');
      file = path.join(file, 'index.html');
      stat = await fs.promises.stat(file);
    }
    if (!stat.isFile()) return send(404);
    real = await fs.promises.realpath(file);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return send(403); // a symlink out of root
  } catch (err) {
    return send(err.code === 'ENOENT' || err.code === 'ENOTDIR' ? 404 : 500);
  }

  const type = mimeType(file);
  const headers = { ...common, 'Content-Type': type, 'Content-Length': stat.size };
  if (type.startsWith('text/html')) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(real)
    .on('error', () => res.destroy())
    .pipe(res);
}

/**
 * Starts a server. Resolves to {url, port, close()} once listening; rejects if the host is not
 * loopback or the port is taken. port 0 picks a free port. `isolated: false` serves without the
 * cross-origin isolation headers.
 */
export async function createServer({ root = WEB_ROOT, port = 8080, host = '127.0.0.1', isolated = true } = {}) {
  if (!isLoopback(host)) throw new Error(`serve: refusing to listen on '${host}': only loopback addresses (127.0.0.1, ::1, localhost) are allowed`);
  if (host === 'localhost') host = '127.0.0.1'; // don't let a hosts file pick the interface
  root = path.resolve(root);
  const realRoot = await fs.promises.realpath(root);
  const common = commonHeaders({ isolated });
  const server = http.createServer((req, res) => {
    handle(req, res, root, realRoot, common).catch(() => res.destroy());
  });
  await new Promise((resolve, reject) => {
    server.once('error', (err) => reject(err.code === 'EADDRINUSE'
      ? new Error(`serve: port ${port} on ${host} is already in use; stop the other server or set PORT to another port`)
      : err));
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  const url = `http://${net.isIPv6(host) ? `[${host}]` : host}:${actualPort}`;
  return {
    url,
    port: actualPort,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // keep-alive sockets would otherwise hold close() open
    }),
  };
}

/** `--no-isolation` from argv (false), else true; any other argument is an Error. */
export function parseIsolation(argv) {
  const bad = argv.find((a) => a !== '--no-isolation');
  if (bad) throw new Error(`serve: unknown argument '${bad}' (usage: [--no-isolation])`);
  return !argv.includes('--no-isolation');
}

/**
 * Starts on PORT/HOST from the environment (isolated unless `isolated: false`), prints the demo URL
 * and whether the page is cross-origin isolated, stops on Ctrl-C / SIGTERM.
 */
export async function serveFromEnv({ isolated = true } = {}) {
  const port = process.env.PORT ? Number(process.env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve: PORT '${process.env.PORT}' is not a port number`);
  const server = await createServer({ port, host: process.env.HOST || '127.0.0.1', isolated });
  console.log(`wasmcnn demo: ${server.url}/demo/ (${isolated
    ? 'cross-origin isolated: the pthreads build runs'
    : 'not cross-origin isolated (--no-isolation): the single-thread build runs, with helper workers for threads'})`);
  const stop = () => server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}

if (isMain(import.meta.url)) {
  Promise.resolve().then(() => serveFromEnv({ isolated: parseIsolation(process.argv.slice(2)) })).catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
