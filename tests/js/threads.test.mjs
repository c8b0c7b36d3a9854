// Threads (issue 15) under Node: cnn.setThreads / threads / backendInfo, and the two strategies.
// A seed gives the same trained weights, history and predictions, bit for bit, on 1, 2, 3 or 4
// threads, with helper workers ('workers') and with the threaded build's pool ('pthreads', when
// that build is loaded); predictAsync gives predict()'s bits; trainInWorker({ threads: 2 }) gives
// fit()'s on one thread. A helper that dies or fails mid-epoch rejects with an Error naming it,
// the model keeps the last finished step and trains again; stop() leaves no helper busy; dispose()
// drops the helpers' replicas; nothing leaks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.js';
import { _helpers } from '../../web/lib/helper_pool.js';
import { sameBits, sameWeights } from './fixtures.mjs';

const L = cnn.layers;

// LeNet-like, with everything whose randomness or statistics depend on the batch: BatchNorm (ghost
// batches of 16 in training), Dropout, an L2 penalty; trained with augmentation.
function net(seed = 5) {
  const model = cnn.sequential({ inputShape: [28, 28, 1], seed, layers: [
    L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', kernelRegularizer: cnn.regularizers.l2({ l2: 1e-4 }) }),
    L.batchNormalization(),
    L.reLU(),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 12, kernelSize: 5, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dropout({ rate: 0.25 }),
    L.dense({ units: 32, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

const AUGMENT = { rotation: 10, zoom: 0.1, translate: 0.1 };

let images;
let labels;
let x;
let y;
let xTest;
const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);

before(async () => {
  ({ images, labels } = await cnn.data.mnistSample({ count: 1000 }));
  x = images.slice(0, 512);
  y = labels.slice(0, 512);
  xTest = images.slice(900, 100);
  process.on('unhandledRejection', onUnhandled);
});

after(async () => {
  await cnn.setThreads(1);
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no promise rejection went unhandled');
});

/** Trains net() for 2 epochs on the 512 digits with `threads` and `strategy`; returns what must not depend on them. */
async function train(threads, strategy, batchSize) {
  await cnn.setThreads(threads, { strategy });
  const model = net();
  try {
    const history = await model.fit(x, y, { epochs: 2, batchSize, augment: AUGMENT, validationSplit: 0.1 });
    return { weights: model.getWeights(), history: numbers(history.history), predictions: model.predict(xTest).data };
  } finally {
    model.dispose();
  }
}

/** A history without its timings (`seconds`): what must not depend on the threads. */
function numbers(history) {
  const { seconds, ...rest } = history;
  assert.equal(seconds.length, rest.loss.length);
  return rest;
}

function assertSame(a, b, what) {
  assert.ok(sameWeights(a.weights, b.weights), `${what}: the weights differ`);
  assert.deepEqual(a.history, b.history, `${what}: the history differs`);
  assert.ok(sameBits(a.predictions, b.predictions), `${what}: the predictions differ`);
}

/** Resolves once every helper is idle and holds no replica, or fails after 3 s. */
async function helpersIdle() {
  const state = async () => Promise.all(_helpers().map((h) => h.request({ type: 'memory' })));
  let last;
  for (let i = 0; i < 60; i++) {
    last = await state();
    if (last.every((m) => m.replicas === 0)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`a helper still holds replicas: ${JSON.stringify(last)}`);
  return last;
}

test('setThreads checks its arguments; threads() and backendInfo() say what runs', async () => {
  const info = cnn.backendInfo();
  assert.deepEqual(Object.keys(info).sort(),
    ['build', 'crossOriginIsolated', 'hardwareConcurrency', 'shardSize', 'simd', 'strategy', 'threads'].sort());
  assert.equal(info.shardSize, 16);
  assert.equal(info.simd, true);
  assert.equal(info.crossOriginIsolated, false, 'Node is not a page');
  assert.ok(Number.isInteger(info.hardwareConcurrency) && info.hardwareConcurrency >= 1);
  // The default, before any setThreads: all hardware threads up to 4.
  assert.equal(cnn.threads(), Math.min(info.hardwareConcurrency, 4));
  assert.equal(info.threads, cnn.threads());
  assert.equal(info.strategy, cnn.threads() === 1 ? 'single' : info.build === 'pthreads' ? 'pthreads' : 'workers');

  for (const bad of [0, 17, 1.5, '2', null, NaN]) {
    await assert.rejects(cnn.setThreads(bad), { message: `setThreads: the thread count must be an integer from 1 to 16, got ${JSON.stringify(bad)}` });
  }
  await assert.rejects(cnn.setThreads(2, { strategy: 'fibers' }), { message: 'setThreads: unknown strategy "fibers" (known: auto, pthreads, workers)' });
  await assert.rejects(cnn.setThreads(2, { threads: 2 }), { message: 'setThreads: unknown option \'threads\' (known: strategy)' });
  if (info.build === 'single') {
    await assert.rejects(cnn.setThreads(2, { strategy: 'pthreads' }), /strategy 'pthreads' needs the threaded build of wasmcnn/);
  }
  assert.equal(cnn.threads(), info.threads, 'a refused call changes nothing');

  await cnn.setThreads(3, { strategy: 'workers' });
  assert.equal(cnn.threads(), 3);
  assert.equal(cnn.backendInfo().strategy, 'workers');
  await cnn.setThreads(1);
  assert.deepEqual([cnn.threads(), cnn.backendInfo().strategy], [1, 'single']);
  assert.equal(_helpers().length, 0, 'n = 1 ends the helpers');
});

for (const batchSize of [64, 40]) {
  test(`workers: the same weights, history and predictions on 1, 2, 3 and 4 threads (batch ${batchSize})`, async (t) => {
    const one = await train(1, 'auto', batchSize);
    for (const threads of [2, 3, 4]) {
      const started = performance.now();
      const many = await train(threads, 'workers', batchSize);
      t.diagnostic(`${threads} threads: ${(performance.now() - started).toFixed(0)} ms (helpers started in the first run)`);
      assertSame(many, one, `${threads} threads`);
      // Helpers for as many shards as a batch has (40 samples: 3 shards), never more than threads - 1.
      const used = Math.min(threads, Math.ceil(batchSize / 16)) - 1;
      assert.ok(_helpers().length >= used && _helpers().length <= threads - 1, `${_helpers().length} helpers`);
    }
    assert.ok(one.history.loss[1] < one.history.loss[0], `it learns: ${one.history.loss}`);
  });
}

test('pthreads: the same bits on 1 to 4 threads, and the same as the workers strategy', async (t) => {
  if (cnn.backendInfo().build !== 'pthreads') {
    t.skip('the threaded build is not loaded here');
    return;
  }
  const one = await train(1, 'auto', 20);
  for (const threads of [2, 3, 4]) assertSame(await train(threads, 'pthreads', 20), one, `${threads} pthreads`);
  assertSame(await train(2, 'workers', 20), one, 'workers next to pthreads');
});

test('predictAsync gives predict()\'s bits on every split, and is predict() on one thread', async () => {
  await cnn.setThreads(1);
  const model = net(9);
  await model.fit(x, y, { epochs: 1, batchSize: 32 });  // BatchNorm's moving statistics are not the initial ones
  try {
    const sizes = [1, 7, 9, 100];
    const expected = sizes.map((n) => model.predict(xTest.slice(0, n), { batchSize: 16 }).data);
    for (const threads of [1, 2, 4]) {
      await cnn.setThreads(threads, { strategy: 'workers' });
      for (const [k, n] of sizes.entries()) {
        const p = await model.predictAsync(xTest.slice(0, n), { batchSize: 16 });
        assert.deepEqual(p.shape, [n, 10]);
        assert.ok(sameBits(p.data, expected[k]), `${threads} threads, ${n} images`);
      }
    }
    // New weights reach the replicas: the helpers predict with the model as it is now.
    model.trainOnBatch(x.slice(0, 16), y.slice(0, 16));
    const after = await model.predictAsync(xTest);
    assert.ok(sameBits(after.data, model.predict(xTest).data), 'after a training step');
    await assert.rejects(model.predictAsync(cnn.tensor(new Float32Array(2 * 784), [2, 784])),
      { message: 'predictAsync: expected x of shape [n,28,28,1], got [2,784]' });
    await assert.rejects(model.predictAsync(xTest, { batch: 3 }), { message: 'predictAsync: unknown option \'batch\' (known: batchSize, verbose)' });
  } finally {
    model.dispose();
  }
  await helpersIdle();
});

test('trainInWorker({ threads: 2 }) trains on helper workers to the same bits as fit() on one thread', async () => {
  const one = await train(1, 'auto', 20);
  await cnn.setThreads(2, { strategy: 'workers' });
  const job = cnn.trainInWorker(net(), x, y, { threads: 2, epochs: 2, batchSize: 20, augment: AUGMENT, validationSplit: 0.1 });
  let info = null;
  job.on('trainBegin', (e) => { info = e.backendInfo; });
  const { model, history } = await job;
  assert.deepEqual([info.strategy, info.threads], ['workers', 2], 'the training worker says what it runs');
  try {
    assert.equal(job._helperWorkers.length, 1, 'one helper, started here');
    assertSame({ weights: model.getWeights(), history: numbers(history.history), predictions: model.predict(xTest).data }, one, 'trainInWorker');
  } finally {
    model.dispose();
  }
  // The default is this context's threads(): 2.
  const again = cnn.trainInWorker(net(), x, y, { epochs: 1, batchSize: 32 });
  (await again).model.dispose();
  assert.equal(again._helperWorkers.length, 1);
  await assert.rejects(cnn.trainInWorker(net(), x, y, { threads: 0 }),
    { message: 'trainInWorker: the thread count must be an integer from 1 to 16, got 0' });
});

test('a helper that dies mid-epoch rejects fit with an Error naming it; the model keeps the last step and trains again', async () => {
  await cnn.setThreads(3, { strategy: 'workers' });
  const model = net();
  try {
    let kept = null;
    const fit = model.fit(x, y, { epochs: 2, batchSize: 48, callbacks: [{
      onBatchEnd: (batch) => {
        if (batch !== 3) return;
        kept = model.getWeights();
        _helpers()[1]._kill();
      },
    }] });
    await assert.rejects(fit, (e) => {
      assert.match(e.message, /^wasmcnn: helper worker 2 of 2 died during training \(.*exited.*\)$/);
      assert.ok(e.history, 'the history so far comes along');
      return true;
    });
    assert.ok(sameWeights(model.getWeights(), kept), 'the weights of the last finished step');
    assert.equal(model.isTraining, false);
    assert.equal(_helpers().length, 1, 'the dead helper left the pool');
    const history = await model.fit(x, y, { epochs: 1, batchSize: 48 });
    assert.ok(Number.isFinite(history.history.loss[0]));
    assert.equal(_helpers().length, 2, 'a fresh helper took its place');
  } finally {
    model.dispose();
  }
});

test('a helper that fails (its replica gone) rejects fit with an Error naming it and the cause', async () => {
  await cnn.setThreads(2, { strategy: 'workers' });
  const model = net();
  try {
    const fit = model.fit(x, y, { epochs: 1, batchSize: 32, callbacks: [{
      onBatchEnd: (batch) => {
        if (batch === 2) for (const h of _helpers()) for (const key of h.replicas.keys()) h.tell({ type: 'drop', key });
      },
    }] });
    await assert.rejects(fit, /^Error: wasmcnn: helper worker 1 of 1 failed during training: no replica '\d+:fit' in this helper/);
    assert.equal(_helpers().length, 1, 'a helper that answered stays');
    await model.fit(x, y, { epochs: 1, batchSize: 32 });
  } finally {
    model.dispose();
  }
});

test('a helper that dies during predictAsync, or during trainInWorker, rejects with an Error naming it', async () => {
  await cnn.setThreads(2, { strategy: 'workers' });
  const model = net();
  try {
    await model.predictAsync(xTest);
    const pending = model.predictAsync(images);
    _helpers()[0]._kill();
    await assert.rejects(pending, /^Error: wasmcnn: helper worker 1 of 1 died during predictAsync/);
    assert.ok(sameBits((await model.predictAsync(xTest)).data, model.predict(xTest).data), 'a fresh helper predicts');
  } finally {
    model.dispose();
  }
  const job = cnn.trainInWorker(net(), x, y, { threads: 2, epochs: 3, batchSize: 32, progressEvery: 0 });
  job.on('batch', () => job._helperWorkers[0].terminate());
  await assert.rejects(job, /^Error: trainInWorker: wasmcnn: helper worker 1 of 1 died during training \(.*exited.*\)$/);
});

test('a helper whose script does not load rejects with an Error naming it and the URL', async () => {
  await cnn.setThreads(1);
  await cnn.ready({ workerUrl: 'missing/worker.js' });
  const model = net();
  try {
    await cnn.setThreads(2, { strategy: 'workers' });
    await assert.rejects(model.predictAsync(images),
      /^Error: wasmcnn: helper worker 1 of 1 did not start \(.*missing\/worker\.js.*\)$/);
    await assert.rejects(model.fit(x, y, { epochs: 1, batchSize: 32 }), /helper worker 1 of 1 did not start/);
    assert.equal(model.isTraining, false);
  } finally {
    await cnn.ready({ workerUrl: new URL('../../web/lib/worker.js', import.meta.url) });
  }
  assert.ok(sameBits((await model.predictAsync(xTest)).data, model.predict(xTest).data), 'with the script found again');
  model.dispose();
});

test('stop() ends after the current step with no helper busy; dispose() drops the replicas; no wasm memory leaks', async () => {
  await cnn.setThreads(2, { strategy: 'workers' });
  const warm = net();
  await warm.fit(x, y, { epochs: 1, batchSize: 32 });
  await warm.predictAsync(xTest);
  warm.dispose();
  const base = cnn.memory().heapUsed;
  const helperBase = (await helpersIdle())[0].heapUsed;

  const model = net();
  let steps = 0;
  const history = await model.fit(x, y, { epochs: 2, batchSize: 32, callbacks: [{
    onBatchEnd: () => {
      steps++;
      if (steps === 5) model.stopTraining = true;
    },
  }] });
  assert.equal(history.stopped, true);
  assert.equal(steps, 5, 'no step after stop');
  await model.predictAsync(xTest);
  model.dispose();
  const [helper] = await helpersIdle();
  assert.equal(cnn.memory().heapUsed, base, 'this context\'s heap is back where it was');
  assert.equal(helper.heapUsed, helperBase, 'the helper\'s heap is back where it was');

  // An AbortSignal too.
  const again = net();
  const controller = new AbortController();
  const stopped = await again.fit(x, y, { epochs: 2, batchSize: 32, signal: controller.signal,
    callbacks: [{ onBatchEnd: (b) => b === 1 && controller.abort() }] });
  assert.equal(stopped.stopped, true);
  again.dispose();
  await helpersIdle();
});

test('helpers do not keep Node running, and setThreads(1) ends them', async () => {
  await cnn.setThreads(4, { strategy: 'workers' });
  const model = net();
  await model.predictAsync(images);
  model.dispose();
  assert.equal(_helpers().length, 3);
  const alive = () => process.getActiveResourcesInfo().filter((r) => /Worker|MessagePort/.test(r));
  assert.deepEqual(alive(), [], 'idle helpers are unref()ed');
  await cnn.setThreads(1);
  assert.equal(_helpers().length, 0);
});
