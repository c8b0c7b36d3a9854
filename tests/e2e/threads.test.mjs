// The two builds in Chromium. The demo served as `npm start` serves it (COOP/COEP) is cross-origin
// isolated: the page and a module worker load the pthreads build (wasmcnn_core_mt.wasm and its pool
// thread script), start a pool of 2 threads and predict; the page shows the threads training uses.
// The same demo served without those headers is not isolated: the single-thread build loads and the
// page still predicts a drawn digit. Both predict a seeded LeNet to the same bits.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openDemo, testid, drawDigit, readPrediction } from './browser.mjs';

const envs = [];
after(async () => {
  for (const env of envs) await env.close();
});

async function demo(isolated) {
  const env = await launch({ isolated });
  envs.push(env);
  const opened = await openDemo(env);
  await opened.page.waitForSelector(`${testid('status')}[data-state="ready"]`, { timeout: 30000 });
  return { env, ...opened };
}

// In a module worker started from the page (a Web Worker is where the demo trains): load the core,
// set `threads` pool threads with the core's own functions, wait for them, predict 64 seeded inputs
// with a seeded LeNet; returns what loaded and the predictions' bytes as an array.
async function predictInWorker(page, threads) {
  return page.evaluate(async (threads) => {
    const lib = new URL('/lib/', location.href).href;
    const source = `
      const core = await import(${JSON.stringify(`${lib}core.js`)});
      const cnn = await import(${JSON.stringify(`${lib}index.js`)});
      try {
        await core.ready();
        const c = core.getCore();
        core.call(() => c.setThreads(${threads}));
        const t0 = performance.now();
        while (c.threadsStarted() < ${threads} - 1) {
          if (performance.now() - t0 > 20000) throw new Error('pool threads did not start: ' + c.threadsStarted());
          await new Promise((r) => setTimeout(r, 5));
        }
        const L = cnn.layers;
        const model = cnn.sequential({ inputShape: [28, 28, 1], seed: 7, layers: [
          L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
          L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
          L.dense({ units: 84, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }) ] });
        const x = new Float32Array(64 * 784);
        for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 1000) / 1000;
        const p = model.predict(cnn.tensor(x, [64, 28, 28, 1]));
        postMessage({ isolated: crossOriginIsolated, build: core.build(), threads: c.threads(),
          started: c.threadsStarted(), bytes: Array.from(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength)) });
      } catch (e) {
        postMessage({ error: e.message });
      }`;
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url, { type: 'module' });
    const result = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
    });
    worker.terminate();
    return result;
  }, threads);
}

let isolatedBytes = null;

test('npm start serves the demo cross-origin isolated: the pthreads build runs 2 threads in a worker and the page', async (t) => {
  const { page, errors } = await demo(true);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);

  const w = await predictInWorker(page, 2);
  assert.equal(w.error, undefined, w.error);
  assert.deepEqual({ isolated: w.isolated, build: w.build, threads: w.threads, started: w.started },
    { isolated: true, build: 'pthreads', threads: 2, started: 1 });
  isolatedBytes = w.bytes;

  // The page itself (the library as the demo's modules import it).
  const p = await page.evaluate(async () => {
    const core = await import('/lib/core.js');
    await core.ready();
    return { build: core.build(), threadsBuild: core.getCore().threadsBuild() };
  });
  assert.deepEqual(p, { build: 'pthreads', threadsBuild: true });

  // What was fetched: the pthreads build's wasm, glue and pool-thread script, never the single build's wasm.
  const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
  t.diagnostic(`fetched: ${fetched.filter((f) => /wasmcnn_core/.test(f)).join(', ')}`);
  for (const f of ['/lib/wasmcnn_core_mt.wasm', '/lib/wasmcnn_core_mt.mjs', '/lib/wasmcnn_core_mt.worker.js']) {
    assert.ok(fetched.includes(f), `${f} was not fetched`);
  }
  assert.ok(!fetched.includes('/lib/wasmcnn_core.wasm'), 'the single-thread .wasm was fetched too');

  const shown = page.locator(testid('threads'));
  const text = (await shown.textContent()).trim();
  t.diagnostic(`the demo shows: ${text}`);
  assert.match(text, /^\d+ threads? \((pthreads|workers|single-threaded)\)$/);
  if (await shown.getAttribute('data-strategy') === 'pthreads') assert.equal(await shown.getAttribute('data-build'), 'pthreads');
  assert.deepEqual(errors, []);
});

test('served without COOP/COEP the page is not isolated: the single build loads, predicts the same bits, and the demo works', async () => {
  const { page, errors } = await demo(false);
  assert.equal(await page.evaluate(() => crossOriginIsolated), false);
  const w = await predictInWorker(page, 1);
  assert.equal(w.error, undefined, w.error);
  assert.deepEqual({ isolated: w.isolated, build: w.build, threads: w.threads }, { isolated: false, build: 'single', threads: 1 });
  if (isolatedBytes) assert.ok(w.bytes.length === isolatedBytes.length && w.bytes.every((b, i) => b === isolatedBytes[i]),
    'predictions of the single build differ from the pthreads build on 2 threads');
  // A pool of 2 is refused by the single build with the core's Error.
  const refused = await page.evaluate(async () => {
    const core = await import('/lib/core.js');
    await core.ready();
    try {
      core.call(() => core.getCore().setThreads(2));
      return 'no error';
    } catch (e) {
      return e.message;
    }
  });
  assert.match(refused, /single-threaded/);
  // The page preloads the pthreads .wasm (npm start serves it isolated); its glue and pool-thread
  // script are never fetched here.
  const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
  assert.ok(fetched.includes('/lib/wasmcnn_core.wasm'), `the single-thread .wasm was not fetched: ${fetched.join(', ')}`);
  assert.ok(!fetched.some((f) => /wasmcnn_core_mt\.(mjs|worker\.js)$/.test(f)), `fetched the pthreads build: ${fetched.join(', ')}`);

  await drawDigit(page, 7);
  const prediction = await readPrediction(page);
  assert.equal(prediction.digit, '7');
  assert.deepEqual(errors, []);
});
