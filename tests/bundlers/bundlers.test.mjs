// The npm package in the apps people build: `npm pack`, the tarball installed into small apps
// (Vite, webpack 5, Rollup + node-resolve, esbuild, Parcel 2, a plain page with an import map, the same page
// loading the package from another origin as from a CDN), each built with its stock configuration,
// served, and driven in Chromium: ready, predict, the MNIST sample, LeNet trained in a worker,
// predict, evaluate, save and load. Also what a predict-only page downloads, and the Errors a worker
// or a .wasm that fail to load give.
//
// Each app pins its tools in its own package-lock.json. node_modules is kept between runs: `npm ci`
// runs only when an app's lockfile changed, the tarball is unpacked into node_modules/wasmcnn again
// only when it changed. When an
// install is needed and the npm registry can't be reached, every test here is skipped, with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const work = path.join(root, 'build/bundlers');
const SCENARIO = path.join(here, 'shared/scenario.js');

// Warnings a build may print, each with the reason it is not wasmcnn's to fix here. Anything else
// a build prints as a warning fails its test.
const KNOWN_WARNINGS = [
  // webpack's performance hint for any asset over 244 KiB: the .wasm is 353 KiB, the sample 7.5 MiB.
  { app: 'webpack', re: /WARNING in asset size limit: [\s\S]*?\n\n/ },
  { app: 'webpack', re: /compiled with 1 warning/ },
  // Parcel's build report marks any bundle over its size budget (the sample, listed twice) with ⚠️.
  { app: 'parcel', re: /^dist\/mnist-sample\.[0-9a-f]+\.bin\s+⚠️\s+7\.85 MB.*\n/gm },
];

const APPS = {
  vite: { build: true, dist: 'dist' },
  webpack: { build: true, dist: 'dist' },
  rollup: { build: true, dist: 'dist' },
  esbuild: { build: true, dist: 'dist' },
  parcel: { build: true, dist: 'dist' },
  importmap: { build: false, dist: '.' }, // the files as they are in the tarball
};

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.bin': 'application/octet-stream', '.css': 'text/css',
};

const sha = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function npm(args, cwd) {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} in ${path.relative(root, cwd)} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** null when `npm ping` gets an answer, else why not. */
function registryUnreachable() {
  const r = spawnSync('npm', ['ping', '--loglevel=error'], { encoding: 'utf8', timeout: 30000 });
  if (r.status === 0) return null;
  if (r.status === null) return 'npm ping got no answer in 30 s';
  return (r.stderr || r.stdout || `npm ping exited ${r.status}`).trim().split('\n')[0];
}

/** True when the app's lockfile lists packages to fetch (the import-map app has none). */
function hasDependencies(app) {
  const lock = JSON.parse(fs.readFileSync(path.join(here, app, 'package-lock.json'), 'utf8'));
  return Object.keys(lock.packages).some((k) => k !== '');
}

/** A static server for `dir` on 127.0.0.1; `extra(req, res)` may answer first. */
function serve(dir, { headers = {}, extra } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (extra?.(url, res)) return;
    if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) return res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store', ...headers });
    fs.createReadStream(file).pipe(res);
    return undefined;
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}`, port: server.address().port, close: () => new Promise((r) => server.close(r)) });
  }));
}

let skipReason = null;
let tarball;
let browser;
const timings = {};

before(async () => {
  const started = performance.now();
  fs.mkdirSync(work, { recursive: true });
  for (const f of fs.readdirSync(work).filter((f) => f.endsWith('.tgz'))) fs.rmSync(path.join(work, f));
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], { cwd: root, encoding: 'utf8' }));
  tarball = path.join(work, packed.filename);
  const tarballSha = sha(tarball);

  const needInstall = Object.keys(APPS).filter((app) => {
    const stamp = readStamp(app);
    return !stamp || stamp.lock !== lockSha(app);
  });
  if (needInstall.some(hasDependencies)) {
    const unreachable = registryUnreachable();
    if (unreachable) {
      skipReason = `the npm registry is unreachable (${unreachable}), and the apps ${needInstall.filter(hasDependencies).join(', ')} ` +
        'need their pinned tools installed';
      console.log(`# SKIPPING the bundler suite: ${skipReason}`);
      return;
    }
  }
  for (const app of Object.keys(APPS)) {
    const dir = path.join(here, app);
    const stamp = readStamp(app);
    const lock = lockSha(app);
    if (!stamp || stamp.lock !== lock) {
      npm(['ci'], dir);
      writeStamp(app, { lock, tarball: null });
    }
    if (readStamp(app).tarball !== tarballSha) {
      // What `npm install <tarball>` does for a package without dependencies, minus re-checking the
      // app's whole tree (tests/js/pack.test.mjs runs the real `npm install` of the tarball).
      const target = path.join(dir, 'node_modules/wasmcnn');
      fs.rmSync(target, { recursive: true, force: true });
      fs.mkdirSync(target, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
      writeStamp(app, { lock, tarball: tarballSha });
    }
  }
  timings.install = performance.now() - started;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (!skipReason) console.log(`# timings: ${Object.entries(timings).map(([k, v]) => `${k} ${seconds(v)}`).join(', ')}`);
});

function lockSha(app) {
  const dir = path.join(here, app);
  return createHash('sha256').update(['package.json', 'package-lock.json']
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\0')).digest('hex');
}

function stampFile(app) {
  return path.join(here, app, 'node_modules/.wasmcnn-bundlers-stamp.json');
}
function readStamp(app) {
  try {
    return JSON.parse(fs.readFileSync(stampFile(app), 'utf8'));
  } catch {
    return null;
  }
}
function writeStamp(app, stamp) {
  fs.mkdirSync(path.dirname(stampFile(app)), { recursive: true });
  fs.writeFileSync(stampFile(app), JSON.stringify(stamp));
}

/** Runs the app's `npm run build`; returns its output, having checked it for warnings. */
function build(app) {
  const dir = path.join(here, app);
  fs.rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  const manifest = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
  const started = performance.now();
  const r = spawnSync('npm', ['run', 'build', '--loglevel=error'], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  timings[`build ${app}`] = performance.now() - started;
  const output = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `${app}: npm run build failed:\n${output}`);
  // A bundler that finds a Node global in the package (Parcel: a bare `process`) installs a polyfill
  // into the app, rewriting its package.json and node_modules: a zero-config app must not need one.
  const after = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
  if (after !== manifest) fs.writeFileSync(path.join(dir, 'package.json'), manifest);
  assert.equal(after, manifest, `${app}: the build changed the app's package.json (a polyfill for a Node global?)`);
  let rest = output;
  for (const known of KNOWN_WARNINGS.filter((k) => k.app === app)) rest = rest.replace(known.re, '');
  const warnings = rest.split('\n').filter((l) => /warn|\(!\)|⚠|critical dependency|error/i.test(l));
  assert.deepEqual(warnings, [], `${app}: the build printed warnings:\n${output}`);
  return output;
}

/** Opens the app, collecting page errors and every response (URL, type, size). */
async function open(url, { route } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  const responses = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('response', (r) => responses.push({ url: r.url(), status: r.status() }));
  if (route) await route(page);
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="true"]', { state: 'attached', timeout: 30000 });
  return { page, context, errors, responses };
}

async function runScenario(t, app, url, { measure = false } = {}) {
  const { page, context, errors, responses } = await open(url);
  try {
    const predicted = await page.evaluate(() => window.app.scenario.predictOnly(window.app.cnn));
    assert.deepEqual(predicted.shape, [2, 10]);
    assert.ok(predicted.sums.every((s) => Math.abs(s - 1) < 1e-5), String(predicted.sums));
    // A page that only predicts downloaded neither the sample nor the worker.
    const early = responses.map((r) => r.url);
    assert.deepEqual(early.filter((u) => /mnist-sample|\/worker[.-][^/]*$/.test(new URL(u).pathname)), [], `${app}: fetched before training`);
    if (measure) reportDownload(t, app, early);

    const started = performance.now();
    const r = await page.evaluate(() => window.app.scenario.train(window.app.cnn));
    t.diagnostic(`${app}: worker trained 1 epoch (${r.batches} batches) in ${seconds(performance.now() - started)} with the sample load; ` +
      `held-out accuracy ${r.heldOutAccuracy.toFixed(3)}`);
    assert.deepEqual(r.epochs, [0]);
    assert.ok(r.batches >= 60, `only ${r.batches} batches reported`);
    assert.ok(r.heldOutAccuracy > 0.8, `held-out accuracy ${r.heldOutAccuracy}`);
    assert.ok(Math.abs(r.argMaxAccuracy - r.heldOutAccuracy) < 1e-6, `predict and evaluate disagree: ${JSON.stringify(r)}`);
    assert.ok(r.savedBytes > 10000, `saved ${r.savedBytes} bytes`);
    assert.equal(r.sameAfterBytes, true, 'predictions changed after save + loadModel(bytes)');
    assert.equal(r.sameAfterIndexedDb, true, 'predictions changed after save + loadModel(indexeddb://)');
    assert.ok(responses.some((x) => /mnist-sample|\.bin$/.test(x.url) && x.status === 200), `${app}: the sample was never fetched`);
    assert.deepEqual(responses.filter((x) => x.status >= 400 && !x.url.endsWith('/favicon.ico')), [], `${app}: failed requests`);
    assert.deepEqual(errors, [], `${app}: page errors`);
  } finally {
    await context.close();
  }
}

/** What the page downloaded before training: JS and wasm, raw and gzipped (from the served files). */
function reportDownload(t, app, urls) {
  const dist = path.join(here, app, APPS[app].dist);
  const files = [...new Set(urls)].map((u) => new URL(u).pathname).filter((p) => /\.(m?js|wasm)$/.test(p))
    .map((p) => path.join(dist, decodeURIComponent(p))).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
  const raw = files.reduce((a, b) => a + b.length, 0);
  const gz = files.reduce((a, b) => a + zlib.gzipSync(b, { level: 9 }).length, 0);
  const wasm = [...new Set(urls)].filter((u) => u.endsWith('.wasm'))
    .map((u) => fs.statSync(path.join(dist, decodeURIComponent(new URL(u).pathname))).size).reduce((a, b) => a + b, 0);
  t.diagnostic(`${app}: a predict-only page downloads ${files.length} files, JS + wasm ${kb(raw)} raw, ${kb(gz)} gzipped ` +
    `(JS ${kb(raw - wasm)} raw)`);
  if (app === 'vite') assert.ok(raw - wasm < 1024 * 1024, `the predict-only page's JS is ${kb(raw - wasm)}`);
}

for (const app of ['vite', 'webpack', 'rollup', 'esbuild', 'parcel']) {
  test(`${app}: the stock production build has no warnings, and the page trains in a worker, predicts, saves and loads`, async (t) => {
    if (skipReason) return t.skip(skipReason);
    build(app);
    const server = await serve(path.join(here, app, 'dist'));
    try {
      const started = performance.now();
      await runScenario(t, app, `${server.url}/`, { measure: true });
      timings[`browser ${app}`] = performance.now() - started;
    } finally {
      await server.close();
    }
    return undefined;
  });
}

// Cross-origin isolated (COOP/COEP, as `npm start` serves the demo): in the Vite and webpack apps the
// pthreads build loads, its .wasm, glue and pool-thread script found through the bundle's rewritten
// URLs, and predicts the same bits as the single build on the same page served without the headers.
// Parcel rewrites the pthreads build's glue into bundles of its own (without its export): there the
// loader falls back to the single build, which must still work.
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin',
};
for (const [app, threaded] of [['vite', true], ['webpack', true], ['parcel', false]]) {
  const what = threaded ? 'the pthreads build loads' : 'the single build still runs';
  test(`${app}: served with COOP/COEP ${what} and predicts the same bits as without`, async (t) => {
    if (skipReason) return t.skip(skipReason);
    if (!fs.existsSync(path.join(here, app, APPS[app].dist, 'index.html'))) build(app);
    const dist = path.join(here, app, APPS[app].dist);
    const isolated = await serve(dist, { headers: ISOLATION });
    const plain = await serve(dist);
    try {
      const runs = {};
      for (const [name, server] of [['isolated', isolated], ['plain', plain]]) {
        const { page, context, errors, responses } = await open(`${server.url}/`);
        try {
          const r = await page.evaluate(() => window.app.scenario.predictBits(window.app.cnn, { threads: 2 }));
          const paths = responses.filter((x) => x.status === 200).map((x) => new URL(x.url).pathname);
          const workers = page.workers().map((w) => w.url());
          runs[name] = { ...r, paths, workers };
          assert.deepEqual(errors, [], `${app} (${name}): page errors`);
          assert.deepEqual(responses.filter((x) => x.status >= 400), [], `${app} (${name}): failed requests`);
        } finally {
          await context.close();
        }
      }
      const { isolated: iso, plain: plainRun } = runs;
      t.diagnostic(`${app}: isolated page fetched ${iso.paths.filter((p) => /\.(wasm|m?js)$/.test(p)).join(', ')}; ` +
        `workers ${iso.workers.map((w) => w.replace(/^(blob|data):.*/, '$1:…')).join(', ')}; backend ${JSON.stringify(iso.backend)}`);
      assert.equal(iso.isolated, true);
      assert.equal(plainRun.isolated, false);
      // The isolated page fetched the pthreads build's wasm, and not the single one's; the plain page the reverse.
      const wasmOf = (run) => run.paths.filter((p) => p.endsWith('.wasm'));
      // The package's files as packed (the app's installed copy is the same bytes; Parcel's build may
      // have moved that one away by now: it once failed with ENOENT here).
      const size = (file) => fs.statSync(path.join(here, '../../web/lib', file)).size;
      const loaded = (run) => wasmOf(run).map((p) => fs.statSync(path.join(dist, p)).size);
      assert.deepEqual(loaded(plainRun), [size('wasmcnn_core.wasm')], `plain: wasm fetched ${JSON.stringify(wasmOf(plainRun))}`);
      if (threaded) {
        // The isolated page fetched the pthreads build's wasm, and not the single one's.
        assert.deepEqual(loaded(iso), [size('wasmcnn_core_mt.wasm')], `isolated: wasm fetched ${JSON.stringify(wasmOf(iso))}`);
        // Its pool thread runs the pool-thread script (a file of the build, or a blob: made from Vite's inlined data: URL).
        assert.ok(iso.workers.length >= 1, 'the isolated page started no pool thread');
        if (iso.backend) {
          assert.equal(iso.backend.build, 'pthreads');
          assert.equal(iso.backend.strategy, 'pthreads');
          assert.equal(iso.backend.threads, 2);
        }
      } else {
        assert.ok(loaded(iso).includes(size('wasmcnn_core.wasm')), `isolated: wasm fetched ${JSON.stringify(wasmOf(iso))}`);
        if (iso.backend) assert.equal(iso.backend.build, 'single');
      }
      assert.equal(iso.bytes.length, 64 * 10 * 4);
      assert.ok(iso.bytes.every((b, i) => b === plainRun.bytes[i]), 'the pthreads build predicts other bits than the single build');
    } finally {
      await isolated.close();
      await plain.close();
    }
    return undefined;
  });
}

test('vite dev server: the same page, unbundled and pre-bundled as `vite` serves it', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = path.join(here, 'vite');
  // A fresh dependency pre-bundle each run, as on a first `npm run dev`.
  fs.rmSync(path.join(dir, 'node_modules/.vite'), { recursive: true, force: true });
  const vite = spawn(process.execPath, [path.join(dir, 'node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', '0', '--strictPort', 'false'], {
    cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let output = '';
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vite dev did not start:\n${output}`)), 30000);
      const read = (d) => {
        output += d;
        const m = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      vite.stdout.on('data', read);
      vite.stderr.on('data', read);
      vite.on('exit', (code) => reject(new Error(`vite dev exited (${code}):\n${output}`)));
    });
    await runScenario(t, 'vite dev', url);
    const warnings = output.split('\n').filter((l) => /warn|error|\(!\)/i.test(l));
    assert.deepEqual(warnings, [], `vite dev printed warnings:\n${output}`);
  } finally {
    try {
      process.kill(-vite.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  return undefined;
});

/** The import-map app: the page, the shared scenario, and the tarball's files as they are. */
function serveImportMap(options = {}) {
  const dir = path.join(here, 'importmap');
  return serve(dir, {
    ...options,
    extra: (url, res) => {
      if (url.pathname === '/scenario.js') {
        res.writeHead(200, { 'Content-Type': MIME['.js'] }).end(fs.readFileSync(SCENARIO));
        return true;
      }
      return options.extra?.(url, res);
    },
  });
}

test('a plain page with an import map: the unbundled files from the tarball', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const server = await serveImportMap();
  try {
    await runScenario(t, 'importmap', `${server.url}/`, { measure: true });
  } finally {
    await server.close();
  }
  return undefined;
});

test('CDN-style: the page on one origin, the package served as-is from another (with CORS)', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const pkg = path.join(here, 'importmap/node_modules/wasmcnn');
  const cdn = await serve(pkg, { headers: { 'Access-Control-Allow-Origin': '*' } });
  // localhost and 127.0.0.1 are different origins: the page can't start a worker from the CDN's URL.
  const cdnBase = `http://localhost:${cdn.port}/`;
  const page = await serveImportMap({
    extra: (url, res) => {
      if (url.pathname !== '/cdn.html') return false;
      const html = fs.readFileSync(path.join(here, 'importmap/index.html'), 'utf8')
        .replace('./node_modules/wasmcnn/', cdnBase);
      assert.ok(html.includes(cdnBase));
      res.writeHead(200, { 'Content-Type': MIME['.html'] }).end(html);
      return true;
    },
  });
  try {
    await runScenario(t, 'cdn', `${page.url}/cdn.html`);
  } finally {
    await page.close();
    await cdn.close();
  }
  return undefined;
});

// --- failures: an Error that names the URL and says what happened ---

test('a worker URL that 404s: trainInWorker rejects with an Error naming the URL and the status', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const server = await serveImportMap();
  const { page, context } = await open(`${server.url}/`);
  try {
    const message = await page.evaluate(() => window.app.scenario.train(window.app.cnn, { workerUrl: 'missing/worker.js' })
      .then(() => 'resolved', (e) => e.message));
    t.diagnostic(message);
    assert.match(message, new RegExp(`${server.url}/missing/worker\\.js`));
    assert.match(message, /HTTP 404/);
    assert.match(message, /workerUrl/);
  } finally {
    await context.close();
    await server.close();
  }
  return undefined;
});

test('a .wasm answered with an HTML page (text/html): ready() rejects with an Error naming the URL and the type', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const server = await serveImportMap();
  const { page, context } = await open(`${server.url}/`, {
    route: (p) => p.route('**/wasmcnn_core.wasm', (r) => r.fulfill({
      status: 200, contentType: 'text/html', body: '<!doctype html><title>Not here</title>',
    })),
  });
  try {
    const message = await page.evaluate(() => window.app.cnn.ready().then(() => 'resolved', (e) => e.message));
    t.diagnostic(message);
    assert.match(message, new RegExp(`${server.url}/node_modules/wasmcnn/web/lib/wasmcnn_core\\.wasm`));
    assert.match(message, /text\/html/);
    assert.match(message, /wasmUrl/);
    // The synchronous API says the same, instead of failing somewhere inside.
    const sync = await page.evaluate(() => {
      try {
        window.app.cnn.tensor([1], [1]);
        window.app.cnn.sequential({ inputShape: [1], layers: [window.app.cnn.layers.dense({ units: 1 })] });
        return 'no error';
      } catch (e) {
        return e.message;
      }
    });
    assert.match(sync, /wasmcnn_core\.wasm/);
  } finally {
    await context.close();
    await server.close();
  }
  return undefined;
});

test("a page whose Content-Security-Policy refuses wasm: ready() names the URL and 'wasm-unsafe-eval'", async (t) => {
  if (skipReason) return t.skip(skipReason);
  const server = await serveImportMap({ headers: { 'Content-Security-Policy': "script-src 'self' 'unsafe-inline'" } });
  const { page, context } = await open(`${server.url}/`);
  try {
    const message = await page.evaluate(() => window.app.cnn.ready().then(() => 'resolved', (e) => e.message));
    t.diagnostic(message);
    assert.match(message, new RegExp(`${server.url}/node_modules/wasmcnn/web/lib/wasmcnn_core\\.wasm`));
    assert.match(message, /'wasm-unsafe-eval'/);
  } finally {
    await context.close();
    await server.close();
  }
  return undefined;
});

test('the real .wasm served as application/octet-stream still loads (compiled from its bytes)', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const server = await serveImportMap();
  const wasm = fs.readFileSync(path.join(here, 'importmap/node_modules/wasmcnn/web/lib/wasmcnn_core.wasm'));
  const { page, context, errors } = await open(`${server.url}/`, {
    route: (p) => p.route('**/wasmcnn_core.wasm', (r) => r.fulfill({ status: 200, contentType: 'application/octet-stream', body: wasm })),
  });
  try {
    const predicted = await page.evaluate(() => window.app.scenario.predictOnly(window.app.cnn));
    assert.deepEqual(predicted.shape, [2, 10]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
  return undefined;
});
