// The workers strategy in Chromium, on a page that is NOT cross-origin isolated (no COOP/COEP
// headers, so no SharedArrayBuffer): most apps that install wasmcnn from npm. The library says it
// runs 'workers'; fit() on 2 threads (this page and a helper Web Worker) gives the weights of fit()
// on one, bit for bit; trainInWorker({ threads: 2 }) too (its helper started by the page, connected
// to the training worker by a MessagePort); predictAsync gives predict()'s bits; a helper that dies
// mid-epoch rejects fit with an Error naming it, and the model keeps its last finished step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './browser.mjs';
import { WEB_ROOT, mimeType, resolveRequestPath } from '../../scripts/serve.mjs';

// An app's page: the library from /lib/ through an import map, as a plain page uses it.
const APP = `<!doctype html><meta charset="utf-8"><title>app</title>
<script type="importmap">{ "imports": { "wasmcnn": "/lib/index.js" } }</script>
<p>an app without cross-origin isolation</p>`;

const missing = [];

/** A static server for web/ that sends no Cross-Origin-* headers at all (unlike scripts/serve.mjs). */
function plainServer() {
  const server = http.createServer((req, res) => {
    if (req.url === '/app/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(APP);
      return;
    }
    const target = resolveRequestPath(req.url, WEB_ROOT);
    if (!target.file || !fs.existsSync(target.file) || !fs.statSync(target.file).isFile()) {
      if (req.url !== '/favicon.ico') missing.push(req.url);
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': mimeType(target.file) });
    fs.createReadStream(target.file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let server;
let context;
let profile;
let url;

before(async () => {
  server = await plainServer();
  url = `http://127.0.0.1:${server.address().port}`;
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmcnn-e2e-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

test('a page without COOP/COEP trains on helper workers: the same bits as one thread', async () => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // (The browser asks for /favicon.ico, which 404s; `missing` lists any other file not found.)
  page.on('console', (m) => m.type() === 'error' && !/status of 404/.test(m.text()) && errors.push(m.text()));
  await page.goto(`${url}/app/`);
  const r = await page.evaluate(async () => {
    const cnn = await import('wasmcnn');
    const L = cnn.layers;
    const net = () => {
      const m = cnn.sequential({ inputShape: [28, 28, 1], seed: 3, layers: [
        L.conv2d({ filters: 6, kernelSize: 5, padding: 'same' }),
        L.batchNormalization(),
        L.reLU(),
        L.maxPooling2d({ poolSize: 2 }),
        L.flatten(),
        L.dropout({ rate: 0.2 }),
        L.dense({ units: 10, activation: 'softmax' }),
      ] });
      m.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const bits = (ws) => ws.map((w) => Array.from(new Uint32Array(w.data.buffer, w.data.byteOffset, w.data.length)).join(',')).join(';');
    const { images, labels } = await cnn.data.mnistSample({ count: 400 });
    const x = images.slice(0, 300);
    const y = labels.slice(0, 300);
    const options = { epochs: 2, batchSize: 20, augment: { rotation: 8, translate: 0.1 } };
    const info = cnn.backendInfo();

    await cnn.setThreads(1);
    const one = net();
    const oneHistory = await one.fit(x, y, options);

    await cnn.setThreads(2, { strategy: 'auto' });
    const infoTwo = cnn.backendInfo();
    const two = net();
    const twoHistory = await two.fit(x, y, options);
    const test = images.slice(300, 100);
    const predicted = await two.predictAsync(test, { batchSize: 16 });
    const direct = two.predict(test);

    const { model: inWorker } = await cnn.trainInWorker(net(), x, y, { ...options, threads: 2 });
    const sameFit = bits(one.getWeights()) === bits(two.getWeights());
    const sameWorker = bits(one.getWeights()) === bits(inWorker.getWeights());

    // A helper that dies mid-epoch (killed after the third step).
    const { _helpers } = await import('/lib/helper_pool.js');
    const before = bits(two.getWeights());
    let kept = null;
    const death = await two.fit(x, y, { epochs: 1, batchSize: 20, callbacks: [{ onBatchEnd: (b) => {
      if (b !== 2) return;
      kept = bits(two.getWeights());
      _helpers()[0]._kill();
    } }] }).then(() => 'no error', (e) => e.message);
    const keptLastStep = kept !== before && bits(two.getWeights()) === kept;
    const afterDeath = await two.predictAsync(test);
    const direct2 = two.predict(test);
    return {
      info, infoTwo,
      sameFit,
      sameLoss: JSON.stringify(oneHistory.history.loss) === JSON.stringify(twoHistory.history.loss),
      sameWorker,
      samePredict: predicted.data.every((v, i) => Object.is(v, direct.data[i])),
      death,
      keptLastStep,
      afterDeath: afterDeath.data.every((v, i) => Object.is(v, direct2.data[i])),
      learns: oneHistory.history.loss[1] < oneHistory.history.loss[0],
    };
  });
  assert.equal(r.info.crossOriginIsolated, false);
  assert.equal(r.info.build, 'single');
  assert.equal(r.info.strategy, r.info.threads === 1 ? 'single' : 'workers', JSON.stringify(r.info));
  assert.deepEqual([r.infoTwo.strategy, r.infoTwo.threads], ['workers', 2]);
  assert.ok(r.learns);
  assert.ok(r.sameFit, 'fit on 2 threads (workers) gives the weights of fit on 1');
  assert.ok(r.sameLoss);
  assert.ok(r.sameWorker, 'trainInWorker({ threads: 2 }) gives the same weights');
  assert.ok(r.samePredict, 'predictAsync gives predict()\'s bits');
  assert.match(r.death, /^wasmcnn: helper worker 1 of 1 died during training \(the worker was terminated\)$/);
  assert.ok(r.keptLastStep, 'the model keeps the weights of the last finished step');
  assert.ok(r.afterDeath, 'a fresh helper takes over');
  assert.deepEqual(errors, []);
  assert.deepEqual(missing, []);
  await page.close();
});
