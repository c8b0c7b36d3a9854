// scripts/serve.mjs: MIME types, isolation and security headers, methods, and that no request
// path reaches a file outside the served root. Requests go out raw (http.request with the path
// as written) so no client-side URL normalisation hides a traversal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createServer, parseIsolation, CONTENT_SECURITY_POLICY, WEB_ROOT } from '../../scripts/serve.mjs';

const SECRET = 'outside-the-root-7f3a';

// tmp/
//   package.json, secret.txt     outside the root: must never be served
//   web/                          the served root
//     demo/index.html  core.wasm  lib.mjs  index.d.ts  data.bin  style.css
//     escape.txt -> ../secret.txt, escape-dir -> .., inside.txt -> demo/index.html
let tmp, server;

function request(method, rawPath, headers = {}) {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path: rawPath, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmcnn-serve-'));
  const root = path.join(tmp, 'web');
  fs.mkdirSync(path.join(root, 'demo'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'package.json'), `{"secret":"${SECRET}"}`);
  fs.writeFileSync(path.join(tmp, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(root, 'demo/index.html'), '<!doctype html><title>demo</title>');
  fs.writeFileSync(path.join(root, 'core.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'lib.mjs'), 'export const x = 1;\n');
  fs.writeFileSync(path.join(root, 'index.d.ts'), 'export declare const x: number;\n');
  fs.writeFileSync(path.join(root, 'data.bin'), Buffer.alloc(16));
  fs.writeFileSync(path.join(root, 'style.css'), 'body{}\n');
  fs.symlinkSync('../secret.txt', path.join(root, 'escape.txt'));
  fs.symlinkSync('..', path.join(root, 'escape-dir'));
  fs.symlinkSync('demo/index.html', path.join(root, 'inside.txt'));
  server = await createServer({ root, port: 0 });
});

after(async () => {
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('serves files with their MIME types and the isolation headers', async () => {
  const expected = {
    '/core.wasm': 'application/wasm',
    '/lib.mjs': 'text/javascript; charset=utf-8',
    '/index.d.ts': 'text/plain; charset=utf-8',
    '/data.bin': 'application/octet-stream',
    '/style.css': 'text/css; charset=utf-8',
    '/demo/index.html': 'text/html; charset=utf-8',
  };
  for (const [p, type] of Object.entries(expected)) {
    const r = await request('GET', p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers['content-type'], type, p);
    assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin', p);
    assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp', p);
    assert.equal(r.headers['cross-origin-resource-policy'], 'same-origin', p);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', p);
    assert.equal(r.headers['cache-control'], 'no-cache', p);
  }
  const wasm = await request('GET', '/core.wasm');
  assert.equal(wasm.headers['content-length'], '8');
  assert.equal((await request('GET', '/lib.mjs')).headers['content-security-policy'], undefined);
});

test('HTML carries the CSP; directories serve index.html; / redirects to /demo/', async () => {
  const page = await request('GET', '/demo/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>demo<\/title>/);
  assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self' 'wasm-unsafe-eval'/);

  const root = await request('GET', '/');
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/demo/');

  const dir = await request('GET', '/demo?x=1');
  assert.equal(dir.status, 301);
  assert.equal(dir.headers.location, '/demo/');

  assert.equal((await request('GET', '/inside.txt')).status, 200, 'a symlink that stays inside the root is fine');
  assert.equal((await request('GET', '/nope.js')).status, 404);
});

test('HEAD sends headers only; other methods get 405', async () => {
  const head = await request('HEAD', '/core.wasm');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '8');
  assert.equal(head.body, '');
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const r = await request(method, '/core.wasm');
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
});

test('no request path reaches a file outside the root', async () => {
  const attempts = [
    '/../package.json',
    '/demo/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/%2e%2e%2fpackage.json',
    '/..%2fpackage.json',
    '/demo/..%2f..%2fpackage.json',
    '/%252e%252e/package.json',
    '/%252e%252e%252fpackage.json',
    '/demo/..%5c..%5cpackage.json',
    '/demo/..\\..\\package.json',
    '/%5c..%5cpackage.json',
    '/%00',
    '/package.json%00.html',
    '/%c0%ae%c0%ae/package.json', // overlong UTF-8 dots: malformed, must not decode to '..'
    '/%e0%80%ae%e0%80%ae/package.json',
    '/%',
    '/%zz',
    '//../package.json',
    `/${'../'.repeat(12)}package.json`,
    '/escape.txt',
    '/escape-dir/secret.txt',
    '/escape-dir/package.json',
    '/.hidden',
  ];
  for (const p of attempts) {
    for (const method of ['GET', 'HEAD']) {
      const r = await request(method, p);
      assert.ok([400, 403, 404].includes(r.status), `${method} ${p} -> ${r.status}`);
      assert.ok(!r.body.includes(SECRET), `${method} ${p} leaked the outside file`);
    }
  }
});

test('the real web/ root does not leak the repository either', async () => {
  const real = await createServer({ port: 0 }); // default root: web/
  try {
    const { hostname, port } = new URL(real.url);
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%252e%252e/package.json']) {
      const status = await new Promise((resolve, reject) => {
        http.request({ host: hostname, port, path: p, agent: false }, (res) => { res.resume(); resolve(res.statusCode); })
          .on('error', reject).end();
      });
      assert.ok([400, 403, 404].includes(status), `${p} -> ${status}`);
    }
  } finally {
    await real.close();
  }
});

test('refuses non-loopback hosts and reports a busy port', async () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '']) {
    await assert.rejects(createServer({ root: WEB_ROOT, port: 0, host }), /only loopback/, `host '${host}'`);
  }
  const { port } = new URL(server.url);
  await assert.rejects(createServer({ root: WEB_ROOT, port: Number(port) }), /already in use/);
});

test('isolated: false (npm start -- --no-isolation) leaves out COOP/COEP/CORP and keeps the rest', async () => {
  const open = await createServer({ root: path.join(tmp, 'web'), port: 0, isolated: false });
  try {
    const { hostname, port } = new URL(open.url);
    const headers = await new Promise((resolve, reject) => {
      http.request({ host: hostname, port, path: '/demo/index.html', agent: false }, (res) => { res.resume(); resolve(res.headers); })
        .on('error', reject).end();
    });
    assert.equal(headers['cross-origin-opener-policy'], undefined);
    assert.equal(headers['cross-origin-embedder-policy'], undefined);
    assert.equal(headers['cross-origin-resource-policy'], undefined);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  } finally {
    await open.close();
  }
  assert.equal(parseIsolation([]), true);
  assert.equal(parseIsolation(['--no-isolation']), false);
  assert.throws(() => parseIsolation(['--isolated=no']), /unknown argument '--isolated=no'/);
});
