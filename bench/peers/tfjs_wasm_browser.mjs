// TF.js-wasm in Debian's Chromium, for the threads bench: TF.js 4.22 runs its threaded XNNPACK build
// only in a cross-origin isolated page (never under Node, see bench/README.md), so this serves one
// (COOP same-origin + COEP require-corp) from 127.0.0.1 with TF.js' browser bundles from
// node_modules, and drives it with playwright-core. Chromium inherits the CPU affinity of the
// process that starts it, so `taskset` pins it like the Node columns. Timing loops run inside the page
// (a playwright round trip per call would swamp a 0.3 ms latency); nothing is downloaded.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// What runs in the page: models and inputs by name, each timing loop in one evaluate call.
const PAGE_SCRIPT = `
const b64 = (s) => { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return u; };
const toB64 = (f) => { const u = new Uint8Array(f.buffer, f.byteOffset, f.byteLength); let s = ''; for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000)); return btoa(s); };
const models = {};
const data = {};
function run(name, x, shape) {
  const xt = tf.tensor(x, shape);
  const y = models[name].predict(xt, { batchSize: shape[0] });
  const out = y.dataSync();
  tf.dispose([xt, y]);
  return out;
}
window.bench = {
  async setup(threads) {
    tf.enableProdMode();
    tf.wasm.setWasmPaths('/wasm/');
    tf.wasm.setThreadsCount(threads);
    const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    // One thread: the SIMD build without threads, as in Node (the threaded build would load otherwise).
    if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const ok = await tf.setBackend('wasm');
    const binary = performance.getEntriesByType('resource').map((e) => e.name.split('/').pop()).find((f) => f.endsWith('.wasm'));
    return { ok, multithread, binary, threads: ok ? tf.wasm.getThreadsCount() : null, isolated: self.crossOriginIsolated, version: tf.version.tfjs,
      hardwareConcurrency: navigator.hardwareConcurrency };
  },
  async load(name, artifacts, weights) {
    const w = b64(weights);
    models[name] = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts, weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) }));
  },
  put(name, s) { const u = b64(s); data[name] = new Float32Array(u.buffer, u.byteOffset, u.byteLength / 4); },
  predict(name, dataName, n, shape) {
    const size = shape.reduce((a, b) => a * b, 1);
    return toB64(run(name, data[dataName].subarray(0, n * size), [n, ...shape]));
  },
  // Seconds per call over \`calls\` calls of n images.
  warm(name, dataName, n, shape, calls) {
    const size = shape.reduce((a, b) => a * b, 1);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) run(name, data[dataName].subarray(0, n * size), [n, ...shape]);
    return (performance.now() - t0) / 1e3 / Math.max(1, calls);
  },
  // Seconds for \`calls\` batches of n images; call i starts at image (i * n) % wrap.
  batches(name, dataName, n, shape, calls, wrap) {
    const size = shape.reduce((a, b) => a * b, 1);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) { const o = (i * n) % wrap; run(name, data[dataName].subarray(o * size, (o + n) * size), [n, ...shape]); }
    return (performance.now() - t0) / 1e3;
  },
  // Milliseconds of each 1-image call; call i runs image i % wrap.
  latencies(name, dataName, shape, calls, wrap) {
    const size = shape.reduce((a, b) => a * b, 1);
    const ms = [];
    for (let i = 0; i < calls; i++) { const o = i % wrap; const t0 = performance.now(); run(name, data[dataName].subarray(o * size, (o + 1) * size), [1, ...shape]); ms.push(performance.now() - t0); }
    return ms;
  },
};
`;

function serve() {
  const require = createRequire(import.meta.url);
  const tfDist = dirname(require.resolve('@tensorflow/tfjs/dist/tf.min.js'));
  const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const files = {
    '/': ['text/html', '<!doctype html><meta charset="utf-8"><script src="/tf.min.js"></script><script src="/tf-backend-wasm.min.js"></script><script src="/bench.js"></script>'],
    '/tf.min.js': ['text/javascript', () => readFileSync(join(tfDist, 'tf.min.js'))],
    '/tf-backend-wasm.min.js': ['text/javascript', () => readFileSync(join(wasmDist, 'tf-backend-wasm.min.js'))],
    '/bench.js': ['text/javascript', PAGE_SCRIPT],
  };
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    files[`/wasm/${f}`] = ['application/wasm', () => readFileSync(join(wasmDist, f))];
  }
  const server = createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
    if (!f) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': f[0] }).end(typeof f[1] === 'function' ? f[1]() : f[1]);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Starts the page with TF.js-wasm on `threads` threads. Resolves to a handle, or throws naming what failed. */
export async function openTfjsWasmPage(threads) {
  const { chromium } = await import('playwright-core');
  const server = await serve();
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const info = await page.evaluate((n) => window.bench.setup(n), threads);
    if (!info.ok) throw new Error(`tf.setBackend('wasm') failed in Chromium (${errors.slice(0, 2).join('; ') || 'no message'})`);
    const browserVersion = browser.version();
    return {
      info: { ...info, browser: `Chromium ${browserVersion}` },
      page,
      async close() {
        await browser.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
}
