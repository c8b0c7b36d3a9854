// A graph model (cnn.model with a residual Add) trained with trainInWorker in Chromium: the library
// loaded as plain modules from the served web/lib/, the worker a module Web Worker. The model that
// comes back keeps its graph, trained, and has the same weights, bit for bit, as fit() in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openDemo } from './browser.mjs';

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

test('a residual graph model trains in a Web Worker: same weights as fit() in the page, graph kept', async () => {
  const { page, errors } = await openDemo(env);
  const r = await page.evaluate(async () => {
    const cnn = await import('/lib/index.js');
    const L = cnn.layers;
    const build = () => {
      const x = cnn.input({ shape: [28, 28, 1], name: 'digits' });
      const stem = L.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
      const branch = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'branch' }).apply(stem);
      const sum = L.add({ name: 'skip' }).apply([stem, branch]);
      const out = L.dense({ units: 10, activation: 'softmax' }).apply(L.flatten().apply(L.maxPooling2d({ poolSize: 2 }).apply(sum)));
      const m = cnn.model({ inputs: x, outputs: out, seed: 12 });
      m.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const { images, labels } = await cnn.data.mnistSample({ count: 600 });
    const options = { epochs: 2, batchSize: 32 };
    const { model: trained, history } = await cnn.trainInWorker(build(), cnn.data.sampleRef({ count: 600 }), null, options);
    const here = build();
    const local = await here.fit(images, labels, options);
    const a = trained.getWeights();
    const b = here.getWeights();
    return {
      isGraph: trained.isGraph,
      skipInputs: trained.getLayer('skip').input.map((t) => t.sourceLayer.name),
      losses: history.history.loss,
      localLosses: local.history.loss,
      sameWeights: a.length === b.length && a.every((w, i) => w.data.every((v, k) => Object.is(v, b[i].data[k]))),
    };
  });
  assert.equal(r.isGraph, true);
  assert.deepEqual(r.skipInputs, ['stem', 'branch']);
  assert.ok(r.losses[1] < r.losses[0], JSON.stringify(r.losses));
  assert.deepEqual(r.losses, r.localLosses);
  assert.ok(r.sameWeights);
  assert.deepEqual(errors, []);
  await page.close();
});
