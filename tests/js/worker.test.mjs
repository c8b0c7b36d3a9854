// trainInWorker under Node (worker_threads): specs and Model instances, the bundled sample by
// reference and real tensors, progress events and hooks, stop(), AbortSignal, terminate(), errors
// raised inside the worker, and built-in callbacks serialised into it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.js';
import { sameWeights } from './fixtures.mjs';

const L = cnn.layers;

// A small CNN that reaches >= 0.9 on held-out digits after one epoch on 2,000 (0.928 with seed 2;
// 0.91-0.93 over seeds 1-3).
const spec = {
  inputShape: [28, 28, 1],
  seed: 2,
  layers: [
    L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: 'heUniform' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: 'heUniform' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 10, activation: 'softmax' }),
  ],
};
const compile = { optimizer: cnn.optimizers.sgd({ learningRate: 0.02, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' };
const tiny = { inputShape: [28, 28, 1], seed: 1, layers: [L.flatten(), L.dense({ units: 10, activation: 'softmax' })] };
const tinyCompile = { loss: 'sparseCategoricalCrossentropy' };


let images;
let labels;
let xTest;
let yTest;
const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);

before(async () => {
  ({ images, labels } = await cnn.data.mnistSample());
  xTest = images.slice(8000);
  yTest = labels.slice(8000);
  process.on('unhandledRejection', onUnhandled);
});

after(() => {
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no promise rejection went unhandled');
});

/** Resolves once no worker (or its message port) keeps the process alive, or fails after 3 s. */
async function noWorkersLeft() {
  const busy = () => process.getActiveResourcesInfo().filter((r) => /MessagePort|Worker/.test(r));
  for (let i = 0; i < 60 && busy().length; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(busy(), [], 'a training worker is still alive');
}

test('a spec trains in a worker on sampleRef({count: 2000}), with progress events and hooks', async (t) => {
  const events = { trainBegin: 0, epochBegin: [], batch: [], epoch: [], done: 0 };
  const hooks = { epochEnd: [], batchEnd: 0 };
  const started = performance.now();
  let mainThreadTicks = 0;
  const timer = setInterval(() => mainThreadTicks++, 5);
  const job = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: 2000 }), null, {
    compile,
    epochs: 1,
    batchSize: 8,
    progressEvery: 0,
    onEpochEnd: (epoch, logs) => hooks.epochEnd.push([epoch, logs.loss]),
    onBatchEnd: (batch, logs) => { hooks.batchEnd++; assert.equal(logs.epoch, 0); },
  });
  assert.ok(job instanceof cnn.TrainingJob);
  job.on('trainBegin', () => events.trainBegin++)
    .on('epochBegin', (e) => events.epochBegin.push(e.epoch))
    .on('batch', (e) => events.batch.push(e))
    .on('epoch', (e) => events.epoch.push(e))
    .on('done', () => events.done++);
  const { model, history } = await job;
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const score = model.evaluate(xTest, yTest);
  t.diagnostic(`worker: ${seconds.toFixed(1)} s for 2,000 digits (startup included); ` +
    `held-out accuracy ${score.accuracy.toFixed(4)}; ${mainThreadTicks} main-thread timer ticks meanwhile`);
  assert.ok(score.accuracy >= 0.9, `accuracy ${score.accuracy}`);
  assert.equal(events.trainBegin, 1);
  assert.deepEqual(events.epochBegin, [0]);
  assert.equal(events.batch.length, 250);
  assert.deepEqual(events.batch.map((e) => e.batch), Array.from({ length: 250 }, (_, i) => i));
  assert.ok(events.batch.every((e) => e.epoch === 0 && Number.isFinite(e.logs.loss) && e.logs.size === 8));
  assert.equal(events.epoch.length, 1);
  assert.equal(events.epoch[0].logs.loss, history.history.loss[0]);
  assert.equal(events.done, 1);
  assert.deepEqual(hooks.epochEnd, [[0, history.history.loss[0]]]);
  assert.equal(hooks.batchEnd, 250);
  assert.deepEqual(history.epoch, [0]);
  assert.deepEqual(history.params, { epochs: 1, batchSize: 8, samples: 2000, steps: 250, doValidation: false });
  assert.ok(mainThreadTicks > 0, 'the main thread stayed free');
  model.dispose();
});

test('a Model with real tensors and validationSplit: trained exactly as fit() on this thread would', async (t) => {
  const original = cnn.sequential(spec);
  original.compile(compile);
  const initial = original.getWeights();
  // 2,223 digits with validationSplit 0.1: 2,000 to train on, 223 to validate.
  const x = images.slice(0, 2223);
  const y = labels.slice(0, 2223);
  const local = [];
  const started = performance.now();
  const { model, history } = await cnn.trainInWorker(original, x, y, {
    epochs: 1,
    batchSize: 8,
    validationSplit: 0.1,
    callbacks: [{ onEpochEnd: (epoch, logs) => local.push([epoch, logs.val_acc]) }],
  });
  t.diagnostic(`worker: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(history.params.samples, 2000);
  assert.ok(history.history.val_acc[0] > 0.85, `val_acc ${history.history.val_acc[0]}`);
  assert.deepEqual(local, [[0, history.history.val_acc[0]]]);
  assert.deepEqual(model.compileConfig, original.compileConfig);
  // The original is untouched and its data still usable (copied, not transferred).
  assert.ok(sameWeights(original.getWeights(), initial));
  assert.equal(x.data.length, 2223 * 784);
  const score = model.evaluate(xTest, yTest);
  assert.ok(score.accuracy >= 0.9, `accuracy ${score.accuracy}`);
  // Same seed, data and options: the worker's weights are this thread's, bit for bit.
  const here = await original.fit(x, y, { epochs: 1, batchSize: 8, validationSplit: 0.1 });
  assert.deepEqual(here.history.loss, history.history.loss);
  assert.ok(sameWeights(model.getWeights(), original.getWeights()));
  original.dispose();
  model.dispose();
});

test('transfer: true hands the buffers over instead of copying them', async () => {
  const x = images.slice(0, 64);
  const y = labels.slice(0, 64);
  const { model } = await cnn.trainInWorker(tiny, x, y, { compile: tinyCompile, transfer: true });
  assert.equal(x.data.byteLength, 0, 'x was copied');
  assert.equal(y.byteLength, 0, 'y was copied');
  model.dispose();
});

test('stop() resolves with the model trained so far', async () => {
  const initial = cnn.sequential(spec);
  const initialWeights = initial.getWeights();
  initial.dispose();

  const job = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: 5000 }), null, { compile, epochs: 20, batchSize: 16, progressEvery: 0 });
  let stopped = 0;
  let asked = false;
  job.on('stopped', () => stopped++);
  job.on('batch', (e) => { if (e.batch >= 30 && !asked) { asked = true; job.stop(); } });
  const { model, history } = await job;
  assert.equal(stopped, 1);
  assert.equal(history.stopped, true);
  assert.deepEqual(history.epoch, [0], 'stopped within the first epoch');
  assert.ok(!sameWeights(model.getWeights(), initialWeights));
  const score = model.evaluate(xTest, yTest);
  assert.ok(score.accuracy > 0.5, `a few dozen batches should beat chance: ${score.accuracy}`);
  model.dispose();

  // stop() before the worker has even started: nothing is trained, and the job still resolves.
  const early = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: 500 }), null, { compile, epochs: 5 });
  early.stop();
  const r = await early;
  assert.deepEqual(r.history.epoch, []);
  assert.equal(r.history.stopped, true);
  assert.ok(sameWeights(r.model.getWeights(), initialWeights));
  r.model.dispose();
});

test('an AbortSignal stops the worker too, even one aborted before the call', async () => {
  const controller = new AbortController();
  const job = cnn.trainInWorker(tiny, cnn.data.sampleRef({ count: 2000 }), null, {
    compile: tinyCompile, epochs: 100, batchSize: 8, progressEvery: 0, signal: controller.signal,
  });
  job.on('batch', (e) => { if (e.batch === 5) controller.abort(); });
  const r = await job;
  assert.equal(r.history.stopped, true);
  assert.ok(r.history.epoch.length < 100);
  r.model.dispose();

  const r2 = await cnn.trainInWorker(tiny, cnn.data.sampleRef({ count: 100 }), null, { compile: tinyCompile, epochs: 3, signal: AbortSignal.abort() });
  assert.deepEqual(r2.history.epoch, []);
  r2.model.dispose();
});

test('terminate() rejects the job and ends the worker, also right after the call', async () => {
  const job = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: 5000 }), null, { compile, epochs: 20, progressEvery: 0 });
  const errors = [];
  job.on('error', (e) => errors.push(e));
  job.on('batch', (e) => { if (e.batch === 3) job.terminate(); });
  await assert.rejects(job, { message: 'trainInWorker: the training worker was terminated' });
  assert.equal(errors.length, 1);
  await assert.rejects(job.promise, /terminated/);

  const early = cnn.trainInWorker(tiny, cnn.data.sampleRef({ count: 100 }), null, { compile: tinyCompile });
  early.terminate();
  await assert.rejects(early, /terminated/);
  await noWorkersLeft();
});

test('bad options and data inside the worker reject with an Error naming the problem', async () => {
  const cases = [
    // Specs built by hand (or parsed from JSON) skip the factories' checks: the worker checks them.
    [{ ...tiny, layers: [L.flatten(), { className: 'Dense', config: { units: 10, unit: 3 } }] }, {}, /dense: unknown option 'unit'/],
    [{ ...tiny, layers: [{ className: 'Dense2', config: { units: 10 } }] }, {}, /unknown layer class 'Dense2'/],
    [{ ...tiny, layers: [L.conv2d({ filters: 2, kernelSize: 3 }), L.dense({ units: 10 })] }, {},
      /dense 'dense_1': expected a flat input \[features\], got \[26,26,2\]; add a flatten layer/],
    [tiny, { batchSize: 0 }, /fit: batchSize must be a positive integer, got 0/],
    [tiny, { epochs: 1.5 }, /fit: epochs must be a positive integer, got 1.5/],
    [tiny, { shuffel: false }, /fit: unknown option 'shuffel'/],
    [tiny, { compile: { loss: 'hinge' } }, /compile: unknown loss "hinge"/],
    [tiny, { validationSplit: 1 }, /validationSplit must be a number in \[0, 1\), got 1/],
  ];
  for (const [model, options, message] of cases) {
    const job = cnn.trainInWorker(model, cnn.data.sampleRef({ count: 100 }), null, { compile: tinyCompile, ...options });
    const seen = [];
    job.on('error', (e) => seen.push(e));
    await assert.rejects(job, (e) => e instanceof Error && /^trainInWorker: /.test(e.message) && message.test(e.message),
      `expected ${message}`);
    assert.equal(seen.length, 1);
  }
  // Bad data.
  await assert.rejects(cnn.trainInWorker(tiny, cnn.data.sampleRef({ count: 20000 }), null, { compile: tinyCompile }),
    /count must be an integer in \[1, 10000\], got 20000/);
  await assert.rejects(cnn.trainInWorker(tiny, images.slice(0, 3), [1, 12, 2], { compile: tinyCompile }),
    /label 12 of sample 1 is not a class index in \[0, 9\]/);
  await assert.rejects(cnn.trainInWorker(tiny, images.slice(0, 3), [1, 2], { compile: tinyCompile }), /x has 3 samples but y has 2/);
  // Checked on this thread, before any worker starts.
  await assert.rejects(cnn.trainInWorker(tiny, images.slice(0, 3), [1, 2, 3], {}), /a model spec needs options.compile/);
  await assert.rejects(cnn.trainInWorker({ layers: [] }, images, labels, { compile: tinyCompile }), /model must be a Model or a spec/);
  await assert.rejects(cnn.trainInWorker(tiny, images.slice(0, 3), [1, 2, 3], { compile: tinyCompile, onEpochEnd: 5 }),
    /onEpochEnd must be a function/);
  const disposed = cnn.sequential(tiny);
  disposed.dispose();
  await assert.rejects(cnn.trainInWorker(disposed, images.slice(0, 3), [1, 2, 3]), /disposed/);
  await assert.rejects(cnn.trainInWorker(tiny, images.slice(0, 3), [1, 2, 3], {
    compile: tinyCompile, callbacks: [cnn.callbacks.learningRateScheduler((epoch) => 0.1 / (epoch + 1))],
  }), /only schedules from cnn.schedules can be sent to a worker/);
  // A hook on this thread that throws fails the job (and is not left as an unhandled rejection).
  await assert.rejects(cnn.trainInWorker(tiny, images.slice(0, 64), labels.slice(0, 64), {
    compile: tinyCompile, epochs: 2, onEpochEnd() { throw new Error('hook failed'); },
  }), /hook failed/);
  await noWorkersLeft();
});

test('built-in callbacks are serialised into the worker: earlyStopping, schedules, reduceLROnPlateau', async () => {
  const frozenLr = { loss: 'sparseCategoricalCrossentropy', optimizer: cnn.optimizers.sgd({ learningRate: 0 }) };
  const initial = cnn.sequential(tiny);
  const w0 = initial.getWeights();
  initial.dispose();
  const es = await cnn.trainInWorker(tiny, cnn.data.sampleRef({ count: 500 }), null, {
    compile: frozenLr,
    epochs: 10,
    validationSplit: 0.2,
    callbacks: [cnn.callbacks.earlyStopping({ monitor: 'val_loss', patience: 1, restoreBestWeights: true })],
  });
  // Nothing improves with a learning rate of 0: epoch 0 is the best, then one epoch of patience runs out.
  assert.deepEqual(es.history.epoch, [0, 1]);
  assert.equal(es.history.stopped, true);
  assert.ok(sameWeights(es.model.getWeights(), w0));
  es.model.dispose();

  const sched = await cnn.trainInWorker(tiny, cnn.data.sampleRef({ count: 200 }), null, {
    compile: tinyCompile,
    epochs: 4,
    callbacks: [cnn.callbacks.learningRateScheduler(cnn.schedules.step({ initial: 0.01, factor: 0.1, every: 2 }))],
  });
  assert.deepEqual(sched.history.history.lr.map((lr) => Number(lr.toPrecision(6))), [0.01, 0.01, 0.001, 0.001]);
  assert.equal(sched.model.learningRate, Math.fround(0.001));
  sched.model.dispose();

  // A learning rate too small to move the loss by minDelta: a plateau from epoch 1 on.
  const plateau = await cnn.trainInWorker(tiny, cnn.data.sampleRef({ count: 200 }), null, {
    compile: { loss: 'sparseCategoricalCrossentropy', optimizer: cnn.optimizers.sgd({ learningRate: 1e-9 }) },
    epochs: 3,
    callbacks: [cnn.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5 })],
  });
  assert.deepEqual(plateau.history.history.lr.map((lr) => Number(lr.toPrecision(6))), [1e-9, 1e-9, 5e-10]);
  assert.equal(Number(plateau.model.learningRate.toPrecision(6)), 2.5e-10);
  plateau.model.dispose();
});
