// Holding up under faults and long use: divergence, memory exhaustion, and a soak of 100,000
// predicts and 1,000 create/fit-one-batch/dispose cycles with wasm memory and the JS heap measured
// before and after (reported with t.diagnostic; README "Reliability" quotes them).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as cnn from '../../web/lib/index.js';
import { lenet, small, sameWeights } from './fixtures.mjs';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const L = cnn.layers;
const mib = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`;


let images;
let labels;
let reference; // a trained model every test checks the module still predicts correctly with
let expected;

before(async () => {
  ({ images, labels } = await cnn.data.mnistSample({ count: 1024 }));
  reference = lenet(3);
  reference.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
  await reference.fit(images.slice(0, 896), labels.slice(0, 896), { epochs: 2 });
  expected = reference.predict(images.slice(896, 32)).data;
});

function stillWorks() {
  const now = reference.predict(images.slice(896, 32)).data;
  assert.deepEqual(now, expected, 'the module still predicts exactly as before');
}

function allFinite(model) {
  return model.getWeights().every((w) => w.data.every(Number.isFinite));
}

test('a learning rate that blows the loss up stops fit with a clear error and keeps the last finite weights', async () => {
  // No ReLU to die: logits grow without bound until exp() overflows and the loss is NaN.
  const model = cnn.sequential({ inputShape: [28, 28, 1], seed: 5, layers: [L.flatten(), L.dense({ units: 32 }), L.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 1e8, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
  let lastFinite = null;
  const err = await model.fit(images.slice(0, 512), labels.slice(0, 512), {
    epochs: 5, batchSize: 32,
    callbacks: { onBatchEnd: () => { lastFinite = model.getWeights(); } },
  }).then(() => null, (e) => e);
  assert.ok(err instanceof Error, 'fit rejects');
  assert.match(err.message, /diverged/);
  assert.match(err.message, /Lower the learning rate/);
  assert.ok(err.history, 'the error carries the history so far');
  assert.ok(allFinite(model), 'no NaN or Infinity in the kept weights');
  assert.deepEqual(model.getWeights().map((w) => w.data), lastFinite.map((w) => w.data),
    'the weights are those after the last finite step');
  // Finite weights this large may still overflow float32 activations: predict then says so
  // instead of returning NaN as a prediction.
  try {
    assert.ok(model.predict(images.slice(0, 4)).data.every(Number.isFinite));
  } catch (e) {
    assert.match(e.message, /not finite.*weights are too large/);
  }
  model.dispose();
  stillWorks();
});

test('divergence inside a training worker rejects the job with the same clear error', async () => {
  const job = cnn.trainInWorker(
    { inputShape: [28, 28, 1], seed: 5, layers: [L.flatten(), L.dense({ units: 32 }), L.dense({ units: 10, activation: 'softmax' })] },
    images.slice(0, 256), labels.slice(0, 256),
    { epochs: 5, compile: { optimizer: cnn.optimizers.sgd({ learningRate: 1e8, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' } },
  );
  const events = [];
  job.on('error', (e) => events.push(e));
  await assert.rejects(job.promise, /diverged/);
  assert.equal(events.length, 1, 'one error event');
});

test('a second fit, trainOnBatch or compile while fit runs is refused; the running fit ends as if alone', async () => {
  const x = images.slice(0, 256);
  const y = labels.slice(0, 256);
  const train = (m) => m.fit(x, y, { epochs: 2, batchSize: 32, yieldEvery: 0 });
  const alone = small(9);
  alone.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await train(alone);

  const m = small(9);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  assert.equal(m.isTraining, false);
  const running = train(m);
  assert.equal(m.isTraining, true);
  await assert.rejects(train(m), /^Error: fit: fit\(\) is still running on this model/);
  assert.throws(() => m.trainOnBatch(x.slice(0, 8), y.slice(0, 8)), /trainOnBatch: fit\(\) is still running/);
  assert.throws(() => m.compile({ loss: 'meanSquaredError' }), /compile: fit\(\) is still running/);
  assert.throws(() => m.add(L.dense({ units: 3 })), /add: fit\(\) is still running/);
  assert.throws(() => m.pop(), /pop: fit\(\) is still running/);
  assert.equal(m.predict(x.slice(0, 4)).shape[0], 4, 'predict still works meanwhile');
  const history = await running;
  assert.equal(m.isTraining, false);
  assert.equal(history.epoch.length, 2);
  assert.ok(sameWeights(m.getWeights(), alone.getWeights()), 'the refused calls did not touch the running fit');
  await train(m); // and it can train again afterwards
  alone.dispose();
  m.dispose();
  stillWorks();
});

test('a model disposed while fit runs ends that fit with the disposed error', async () => {
  const m = small(4);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const running = m.fit(images.slice(0, 256), labels.slice(0, 256), { epochs: 3, batchSize: 8, yieldEvery: 0,
    augment: { rotation: 5 } });
  m.dispose();
  await assert.rejects(running, /model: this model was disposed/);
  stillWorks();
});

test('soak: 100,000 predicts and 1,000 create/fit-one-batch/dispose cycles leave memory flat', async (t) => {
  const one = images.slice(0, 1);
  const batchX = images.slice(0, 32);
  const batchY = labels.slice(0, 32);
  const model = lenet(7);
  for (let i = 0; i < 500; i++) model.predict(one); // warm-up: caches, staging, V8 tiers
  gc();
  const before = { ...cnn.memory(), js: process.memoryUsage().heapUsed };
  const started = performance.now();
  for (let i = 0; i < 100000; i++) model.predict(one);
  const predictSeconds = (performance.now() - started) / 1000;
  gc();
  const afterPredicts = { ...cnn.memory(), js: process.memoryUsage().heapUsed };
  model.dispose();

  const cycle = () => {
    const m = lenet(11);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    m.trainOnBatch(batchX, batchY);
    m.dispose();
  };
  for (let i = 0; i < 20; i++) cycle();
  gc();
  const beforeCycles = { ...cnn.memory(), js: process.memoryUsage().heapUsed };
  const cyclesStarted = performance.now();
  for (let i = 0; i < 1000; i++) cycle();
  const cycleSeconds = (performance.now() - cyclesStarted) / 1000;
  gc();
  const afterCycles = { ...cnn.memory(), js: process.memoryUsage().heapUsed };

  t.diagnostic(`100,000 predicts in ${predictSeconds.toFixed(1)} s: wasm memory ${mib(before.wasmBytes)} -> ${mib(afterPredicts.wasmBytes)}, ` +
    `wasm heap in use ${before.heapUsed} -> ${afterPredicts.heapUsed} B, JS heap ${mib(before.js)} -> ${mib(afterPredicts.js)}`);
  t.diagnostic(`1,000 create/fit-one-batch/dispose cycles in ${cycleSeconds.toFixed(1)} s: wasm memory ${mib(beforeCycles.wasmBytes)} -> ` +
    `${mib(afterCycles.wasmBytes)}, wasm heap in use ${beforeCycles.heapUsed} -> ${afterCycles.heapUsed} B, JS heap ${mib(beforeCycles.js)} -> ${mib(afterCycles.js)}`);
  assert.equal(afterPredicts.wasmBytes, before.wasmBytes, 'wasm memory did not grow over 100,000 predicts');
  assert.ok(Math.abs(afterPredicts.heapUsed - before.heapUsed) <= 256, 'the wasm heap is flat (256 B wobble, see memory.test.mjs)');
  assert.equal(afterCycles.wasmBytes, beforeCycles.wasmBytes, 'wasm memory did not grow over 1,000 cycles');
  assert.equal(afterCycles.heapUsed, beforeCycles.heapUsed, 'every cycle gives back every byte of the wasm heap');
  // The JS heap holds no per-call garbage after a full GC: allow 1 MiB for V8's own caches
  // (compiled code, inline caches), a thousandth of what leaking one 784-float input per call would hold.
  assert.ok(afterPredicts.js - before.js < 2 ** 20, `JS heap flat over predicts (${mib(afterPredicts.js - before.js)})`);
  assert.ok(afterCycles.js - beforeCycles.js < 2 ** 20, `JS heap flat over cycles (${mib(afterCycles.js - beforeCycles.js)})`);
  stillWorks();
});

test('an allocation that cannot be satisfied is an Error, not Aborted(OOM), and the module stays usable', () => {
  // Two 12,000 x 12,000 dense layers: 576 MB of kernel and 576 MB of gradient each, past the
  // 2 GiB of wasm32 memory. (Last in this file: wasm memory never shrinks once grown.)
  const build = () => cnn.sequential({ inputShape: [12000], layers: [L.dense({ units: 12000 }), L.dense({ units: 12000 })] });
  assert.throws(build, (e) => e instanceof Error && /out of memory|too large|2\^28/i.test(e.message));
  stillWorks();
  // A staging buffer the size of the address space: refused before the core sees it.
  const big = cnn.sequential({ inputShape: [2048, 2048, 3], layers: [L.globalAveragePooling2d()] });
  const x = new cnn.Tensor(new Float32Array(1), [64, 2048, 2048, 3]);
  assert.throws(() => big.predict(x), Error);
  big.dispose();
  stillWorks();
});
