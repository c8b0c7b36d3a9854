// The public API end to end, in Node: training LeNet-5 on the bundled MNIST sample, the History
// and logs, predict/evaluate/summary, determinism, the losses and optimizers, stopping, yielding,
// save/load, freezing, replacing the head, weights and tensors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as cnn from '../../web/lib/index.js';
import { lenet, small, sameBits, sameWeights } from './fixtures.mjs';

const L = cnn.layers;



const sparse = (lr = 1e-3) => ({ optimizer: cnn.optimizers.adam({ learningRate: lr }), loss: 'sparseCategoricalCrossentropy' });



function oneHot(labels, k = 10) {
  const out = new Float32Array(labels.length * k);
  labels.forEach((l, i) => { out[i * k + l] = 1; });
  return cnn.tensor(out, [labels.length, k]);
}

let images;
let labels;
let x512;
let y512;

before(async () => {
  ({ images, labels } = await cnn.data.mnistSample());
  x512 = images.slice(0, 512);
  y512 = labels.slice(0, 512);
});

// This recipe lands near 95% rather than far above it: over seeds 1-8 and 42 it scored 0.9445-0.96
// (mean 0.953), so the bar holds for the default seed (0.96), not for every seed. Training is
// deterministic, so the figure only moves when the core's arithmetic changes.
test('LeNet-5 trained on 8,000 digits for 2 epochs scores >= 95% on the 2,000 held out', async (t) => {
  const xTrain = images.slice(0, 8000);
  const yTrain = labels.slice(0, 8000);
  const xTest = images.slice(8000);
  const yTest = labels.slice(8000);
  const model = lenet();
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const started = performance.now();
  const history = await model.fit(xTrain, yTrain, { epochs: 2, batchSize: 32, validationData: [xTest, yTest] });
  const seconds = (performance.now() - started) / 1000;
  const score = model.evaluate(xTest, yTest);
  t.diagnostic(`test accuracy ${score.accuracy.toFixed(4)}, loss ${score.loss.toFixed(4)}; ` +
    `${(2 * 8000 / seconds).toFixed(0)} training images/s (validation included)`);
  assert.ok(score.accuracy >= 0.95, `accuracy ${score.accuracy}`);
  assert.equal(score.acc, score.accuracy);

  await t.test('history has loss, acc, val_loss and val_acc for each epoch', () => {
    assert.deepEqual(history.epoch, [0, 1]);
    for (const key of ['loss', 'acc', 'accuracy', 'val_loss', 'val_acc', 'val_accuracy', 'lr', 'seconds']) {
      const v = history.history[key];
      assert.equal(v?.length, 2, key);
      assert.ok(v.every(Number.isFinite), `${key}: ${v}`);
    }
    assert.ok(history.history.loss[1] < history.history.loss[0], 'training loss falls');
    assert.ok(history.history.acc.every((a) => a > 0.5 && a <= 1));
    assert.deepEqual(history.params, { epochs: 2, batchSize: 32, samples: 8000, steps: 250, doValidation: true });
    assert.equal(history.stopped, false);
    // Validation is evaluate() on the same data with the final weights of the epoch.
    assert.ok(Math.abs(history.history.val_acc[1] - score.accuracy) < 1e-12);
    assert.ok(Math.abs(history.history.val_loss[1] - score.loss) < 1e-9);
    assert.ok(Math.abs(history.history.lr[0] - 1e-3) < 1e-9);
  });

  await t.test('predict gives [n,10] rows of probabilities that agree with evaluate', () => {
    const p = model.predict(xTest);
    assert.deepEqual(p.shape, [2000, 10]);
    for (let i = 0; i < 2000; i++) {
      let sum = 0;
      for (let c = 0; c < 10; c++) {
        const v = p.data[i * 10 + c];
        assert.ok(v >= 0 && v <= 1);
        sum += v;
      }
      assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
    }
    const predicted = p.argMax();
    const correct = predicted.reduce((n, c, i) => n + (c === yTest[i]), 0);
    assert.ok(Math.abs(correct / 2000 - score.accuracy) < 1e-12, `${correct / 2000} vs ${score.accuracy}`);
    // Batching is an implementation detail: any batchSize gives the same numbers.
    assert.ok(sameBits(model.predict(xTest.slice(0, 37), { batchSize: 5 }).data, p.data.subarray(0, 370)));
  });

  await t.test('summary() mentions every layer, its output shape and the parameter count', () => {
    const s = model.summary();
    for (const layer of model.layers) {
      assert.ok(s.includes(layer.name), layer.name);
      assert.ok(s.includes(layer.className), layer.className);
      assert.ok(s.includes(JSON.stringify(layer.outputShape)), JSON.stringify(layer.outputShape));
    }
    assert.equal(model.countParams(), 61706);
    assert.ok(s.includes('61706'));
  });

  await t.test('save() and loadModel() round-trip: same predictions, compile config and metadata', async () => {
    model.metadata = { classes: [...'0123456789'], accuracy: score.accuracy, note: 'LeNet-5' };
    const bytes = model.save();
    assert.ok(bytes instanceof Uint8Array && bytes.length > 61706 * 4);
    const loaded = await cnn.loadModel(bytes);
    try {
      assert.ok(sameBits(loaded.predict(xTest).data, model.predict(xTest).data));
      assert.deepEqual(loaded.compileConfig, model.compileConfig);
      assert.deepEqual(loaded.metadata, model.metadata);
      assert.deepEqual(loaded.toSpec(), model.toSpec());
      assert.ok(sameWeights(loaded.getWeights(), model.getWeights()));
      assert.equal(loaded.summary(), model.summary());
      // Compiled on load: it evaluates and trains on at once.
      assert.deepEqual(loaded.evaluate(xTest, yTest), score);
      const h = await loaded.fit(x512, y512, { epochs: 1 });
      assert.equal(h.epoch.length, 1);
      // An ArrayBuffer (e.g. from fetch) loads too.
      const again = await cnn.loadModel(bytes.slice().buffer);
      assert.ok(sameBits(again.predict(xTest.slice(0, 10)).data, model.predict(xTest.slice(0, 10)).data));
      again.dispose();
    } finally {
      loaded.dispose();
    }
  });
  model.dispose();
});

test('the same seed and data give bit-identical weights; another seed does not', async () => {
  const train = async (seed) => {
    const m = small(seed);
    m.compile(sparse());
    await m.fit(x512, y512, { epochs: 1, batchSize: 32 });
    const w = m.getWeights();
    m.dispose();
    return w;
  };
  const a = await train(123);
  const b = await train(123);
  const c = await train(124);
  assert.ok(sameWeights(a, b), 'same seed, different weights');
  assert.ok(!sameWeights(a, c), 'a different seed gave the same weights');
  // LeNet too (more layers, two convolutions, three dense layers).
  const lenetWeights = [];
  for (let i = 0; i < 2; i++) {
    const m = lenet(5);
    m.compile(sparse());
    await m.fit(x512, y512, { epochs: 1, batchSize: 32 });
    lenetWeights.push(m.getWeights());
    m.dispose();
  }
  assert.ok(sameWeights(lenetWeights[0], lenetWeights[1]));
});

test('categoricalCrossentropy with one-hot tensors trains like sparse labels', async () => {
  const a = small(3);
  const b = small(3);
  a.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  b.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const y = oneHot(y512);
  const ha = await a.fit(x512, y, { epochs: 3, batchSize: 32 });
  const hb = await b.fit(x512, y512, { epochs: 3, batchSize: 32 });
  assert.ok(ha.history.loss[2] < ha.history.loss[0]);
  // Same gradients (softmax output minus one-hot row), so the same training to float rounding.
  for (let e = 0; e < 3; e++) assert.ok(Math.abs(ha.history.loss[e] - hb.history.loss[e]) < 1e-4, `epoch ${e}`);
  const ea = a.evaluate(x512, y);
  const eb = b.evaluate(x512, y512);
  assert.ok(Math.abs(ea.loss - eb.loss) < 1e-4 && Math.abs(ea.accuracy - eb.accuracy) < 0.01, `${JSON.stringify([ea, eb])}`);
  assert.ok(ea.accuracy > 0.6, `accuracy ${ea.accuracy}`);
  // Sparse labels where one-hot rows are expected is an error that says so.
  assert.throws(() => a.evaluate(x512, y512), /expected y of shape \[512,10\]/);
  a.dispose();
  b.dispose();
});

test('meanSquaredError trains on target rows', async () => {
  const m = small(4);
  m.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'mse' });
  assert.equal(m.compileConfig.loss, 'meanSquaredError');
  const y = oneHot(y512);
  const before = m.evaluate(x512, y);
  const h = await m.fit(x512, y, { epochs: 3, batchSize: 16 });
  const after = m.evaluate(x512, y);
  assert.ok(h.history.loss.every(Number.isFinite));
  assert.ok(after.loss < before.loss * 0.7, `${before.loss} -> ${after.loss}`);
  assert.ok(after.accuracy > 0.5, `accuracy ${after.accuracy}`);
  m.dispose();
});

test('sgd with momentum and Nesterov momentum trains, and each option changes the result', async () => {
  const run = async (options) => {
    const m = small(5);
    m.compile({ optimizer: cnn.optimizers.sgd(options), loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fit(x512, y512, { epochs: 3, batchSize: 16 });
    const r = { h, score: m.evaluate(x512, y512), w: m.getWeights(), config: m.compileConfig.optimizer };
    m.dispose();
    return r;
  };
  const plain = await run({ learningRate: 0.05 });
  const momentum = await run({ learningRate: 0.05, momentum: 0.9 });
  const nesterov = await run({ learningRate: 0.05, momentum: 0.9, nesterov: true });
  for (const r of [plain, momentum, nesterov]) {
    assert.ok(r.h.history.loss[2] < r.h.history.loss[0], JSON.stringify(r.h.history.loss));
    assert.ok(r.score.accuracy > 0.7, `accuracy ${r.score.accuracy}`);
  }
  assert.deepEqual(nesterov.config, { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  assert.ok(!sameWeights(plain.w, momentum.w));
  assert.ok(!sameWeights(momentum.w, nesterov.w));
  // 'sgd' by name takes Keras' defaults.
  const m = small();
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  assert.equal(m.learningRate, Math.fround(0.01));
  m.dispose();
});

test('model.stopTraining = true in onBatchEnd ends fit() after that batch', async () => {
  const m = small();
  m.compile(sparse());
  const seen = [];
  const history = await m.fit(x512, y512, {
    epochs: 5,
    batchSize: 16,
    callbacks: { onBatchEnd(batch) { seen.push(batch); if (batch === 3) m.stopTraining = true; } },
  });
  assert.deepEqual(seen, [0, 1, 2, 3]);
  assert.equal(history.stopped, true);
  assert.deepEqual(history.epoch, [0], 'the partial epoch is recorded, as Keras does');
  // The next fit() starts afresh.
  const again = await m.fit(x512, y512, { epochs: 2, batchSize: 128 });
  assert.deepEqual(again.epoch, [0, 1]);
  assert.equal(again.stopped, false);
  m.dispose();
});

test('an AbortSignal stops fit() after the current batch; an aborted one trains nothing', async () => {
  const m = small();
  m.compile(sparse());
  const controller = new AbortController();
  let batches = 0;
  const history = await m.fit(x512, y512, {
    epochs: 50,
    batchSize: 8,
    signal: controller.signal,
    callbacks: { onBatchEnd() { if (++batches === 10) controller.abort(); } },
  });
  assert.equal(batches, 10);
  assert.equal(history.stopped, true);

  // Aborted from elsewhere (a timer) while fit() is running.
  const timed = new AbortController();
  const timer = setTimeout(() => timed.abort(), 30);
  const started = performance.now();
  const h2 = await m.fit(x512, y512, { epochs: 1000, batchSize: 8, signal: timed.signal });
  clearTimeout(timer);
  assert.equal(h2.stopped, true);
  assert.ok(h2.epoch.length < 1000 && performance.now() - started < 10000);

  const w = m.getWeights();
  const h3 = await m.fit(x512, y512, { epochs: 3, signal: AbortSignal.abort() });
  assert.deepEqual(h3.epoch, []);
  assert.equal(h3.stopped, true);
  assert.ok(sameWeights(m.getWeights(), w));
  m.dispose();
});

test('fit() yields to the event loop: a timer keeps firing while it trains', async (t) => {
  const m = lenet(1);
  m.compile(sparse());
  let batches = 0;
  const ticksAt = [];
  const timer = setInterval(() => ticksAt.push(batches), 2);
  const started = performance.now();
  const history = await m.fit(images.slice(0, 1024), labels.slice(0, 1024), {
    epochs: 1,
    batchSize: 16,
    callbacks: { onBatchEnd() { batches++; } },
  });
  clearInterval(timer);
  const ms = performance.now() - started;
  const during = ticksAt.filter((b) => b > 0 && b < 64);
  t.diagnostic(`${ticksAt.length} timer ticks during ${ms.toFixed(0)} ms of fit (64 batches)`);
  assert.equal(history.params.steps, 64);
  // yieldEvery is 10 ms by default: roughly one tick per 10 ms of training.
  assert.ok(during.length >= Math.min(5, ms / 40), `only ${during.length} ticks while training`);
  m.dispose();
});

test('callbacks: hooks run in Keras order with Keras-style logs; params and model are passed', async () => {
  const m = small();
  m.compile(sparse());
  const calls = [];
  let params;
  let model;
  await m.fit(x512.slice(0, 64), y512.slice(0, 64), {
    epochs: 2,
    batchSize: 32,
    validationSplit: 0.25,
    callbacks: [{
      setModel(v) { model = v; },
      setParams(v) { params = v; },
      onTrainBegin() { calls.push('trainBegin'); },
      onEpochBegin(e) { calls.push(`epochBegin ${e}`); },
      onBatchBegin(b, logs) { calls.push(`batchBegin ${b} ${logs.size}`); },
      async onBatchEnd(b, logs) {
        await new Promise((resolve) => setTimeout(resolve, 1)); // hooks may be async
        assert.ok(Number.isFinite(logs.loss) && logs.acc === logs.accuracy && logs.samplesSeen > 0);
        calls.push(`batchEnd ${b}`);
      },
      onEpochEnd(e, logs) {
        assert.ok(['loss', 'acc', 'val_loss', 'val_acc', 'lr', 'seconds'].every((k) => Number.isFinite(logs[k])));
        calls.push(`epochEnd ${e}`);
      },
      onTrainEnd() { calls.push('trainEnd'); },
    }],
  });
  assert.equal(model, m);
  assert.deepEqual(params, { epochs: 2, batchSize: 32, samples: 48, steps: 2, doValidation: true });
  assert.deepEqual(calls, ['trainBegin',
    'epochBegin 0', 'batchBegin 0 32', 'batchEnd 0', 'batchBegin 1 16', 'batchEnd 1', 'epochEnd 0',
    'epochBegin 1', 'batchBegin 0 32', 'batchEnd 0', 'batchBegin 1 16', 'batchEnd 1', 'epochEnd 1', 'trainEnd']);
  // A hook that throws rejects fit() with its error.
  await assert.rejects(m.fit(x512, y512, { callbacks: { onEpochEnd() { throw new Error('hook failed'); } } }), /hook failed/);
  m.dispose();
});

test('earlyStopping restores the best weights; schedules set the learning rate per epoch', async () => {
  const m = small(8);
  m.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 0 }), loss: 'sparseCategoricalCrossentropy' });
  const w = m.getWeights();
  const h = await m.fit(x512, y512, {
    epochs: 10,
    validationSplit: 0.25,
    callbacks: [cnn.callbacks.earlyStopping({ monitor: 'val_loss', patience: 1, restoreBestWeights: true })],
  });
  // Nothing improves with a learning rate of 0: epoch 0 is the best, and with patience 1 the first
  // epoch without improvement (1) ends training, as in Keras.
  assert.deepEqual(h.epoch, [0, 1]);
  assert.equal(h.stopped, true);
  assert.ok(sameWeights(m.getWeights(), w));

  m.compile(sparse());
  const h2 = await m.fit(x512, y512, {
    epochs: 3,
    batchSize: 128,
    callbacks: [cnn.callbacks.learningRateScheduler(cnn.schedules.exponential({ initial: 0.01, rate: 0.5 }))],
  });
  assert.deepEqual(h2.history.lr.map((lr) => Number(lr.toPrecision(6))), [0.01, 0.005, 0.0025]);
  // The current learning rate is what compileConfig reports and what save() keeps.
  assert.equal(m.compileConfig.optimizer.learningRate, 0.0025);
  const loaded = await cnn.loadModel(m.save());
  assert.equal(loaded.learningRate, m.learningRate);
  loaded.dispose();
  m.dispose();
});

test('freeze() keeps the frozen layers bit-identical through fit(); unfreeze() trains them again', async () => {
  const m = small(9);
  m.compile(sparse());
  m.freeze(['conv2d_1']);
  assert.equal(m.getLayer('conv2d_1').trainable, false);
  assert.ok(m.summary().includes('frozen'));
  const before = m.getWeights();
  await m.fit(x512, y512, { epochs: 1, batchSize: 32 });
  const after = m.getWeights();
  for (const [i, w] of before.entries()) {
    assert.equal(sameBits(w.data, after[i].data), w.layer === 'conv2d_1', `${w.layer}/${w.name}`);
    assert.equal(after[i].trainable, w.layer !== 'conv2d_1');
  }
  m.freeze();
  const frozen = m.getWeights();
  await m.fit(x512, y512, { epochs: 1, batchSize: 32 });
  assert.ok(sameWeights(m.getWeights(), frozen));
  assert.equal(m.countParams(), 4 * 9 + 4 + 676 * 10 + 10);
  m.unfreeze();
  await m.fit(x512, y512, { epochs: 1, batchSize: 32 });
  assert.ok(m.getWeights().every((w, i) => !sameBits(w.data, frozen[i].data)));
  m.dispose();
});

test('pop() and add() put a new head on a trained model', async () => {
  const m = small(10);
  m.compile(sparse(3e-3));
  await m.fit(x512, y512, { epochs: 2 });
  const base = m.getWeights().filter((w) => w.layer === 'conv2d_1');
  m.pop();
  assert.deepEqual(m.outputShape, [null, 676]);
  m.add(L.dense({ units: 2, activation: 'softmax', name: 'odd_even' }));
  assert.deepEqual(m.outputShape, [null, 2]);
  assert.deepEqual(m.layers.map((l) => l.name), ['conv2d_1', 'max_pooling2d_1', 'flatten_1', 'odd_even']);
  m.freeze(['conv2d_1']);
  const parity = y512.map((d) => d % 2);
  const h = await m.fit(x512, parity, { epochs: 3 });
  assert.ok(h.history.acc[2] > 0.7, `accuracy ${h.history.acc[2]}`);
  assert.ok(sameWeights(m.getWeights().filter((w) => w.layer === 'conv2d_1'), base));
  assert.deepEqual(m.predict(x512.slice(0, 3)).shape, [3, 2]);
  // Labels of the old head are now out of range, and the error says so.
  await assert.rejects(m.fit(x512, y512), /label \d of sample \d+ is not a class index in \[0, 1\]/);

  // Going through a shape the loss can't take (pop, pop) is fine while editing; training says why it can't.
  m.pop();
  m.pop();
  assert.deepEqual(m.outputShape, [null, 13, 13, 4]);
  await assert.rejects(m.fit(x512, parity), /flat output/);
  assert.deepEqual(m.predict(x512.slice(0, 1)).shape, [1, 13, 13, 4]);
  const saved = await cnn.loadModel(m.save());
  assert.deepEqual(saved.outputShape, [null, 13, 13, 4]);
  saved.dispose();
  m.add(L.globalAveragePooling2d()).add(L.dense({ units: 10, activation: 'softmax' }));
  const h2 = await m.fit(x512, y512, { epochs: 1 });
  assert.ok(Number.isFinite(h2.history.loss[0]));
  m.dispose();
});

test('setWeights(getWeights()) round-trips, from records or plain arrays', () => {
  const a = small(11);
  const b = small(12);
  const x = x512.slice(0, 20);
  assert.ok(!sameBits(a.predict(x).data, b.predict(x).data));
  b.setWeights(a.getWeights());
  assert.ok(sameBits(a.predict(x).data, b.predict(x).data));
  assert.ok(sameWeights(a.getWeights(), b.getWeights()));
  const c = small(13);
  c.setWeights(a.getWeights().map((w) => Array.from(w.data)));
  assert.ok(sameBits(a.predict(x).data, c.predict(x).data));
  const w = a.getWeights();
  assert.deepEqual(w.map((r) => [r.layer, r.name, r.shape]), [
    ['conv2d_1', 'kernel', [3, 3, 1, 4]], ['conv2d_1', 'bias', [4]], ['dense_1', 'kernel', [676, 10]], ['dense_1', 'bias', [10]],
  ]);
  // getWeights() hands out copies.
  w[0].data.fill(0);
  assert.ok(!a.getWeights()[0].data.every((v) => v === 0));
  for (const m of [a, b, c]) m.dispose();
});

test('tensor() takes Uint8Array pixels with a scale, number arrays and Float32Arrays', () => {
  const pixels = new Uint8Array([0, 51, 102, 255]);
  const t = cnn.tensor(pixels, [1, 2, 2, 1], { scale: 1 / 255 });
  assert.ok(t instanceof cnn.Tensor);
  assert.deepEqual(t.shape, [1, 2, 2, 1]);
  assert.equal(t.dtype, 'float32');
  assert.equal(t.size, 4);
  assert.equal(t.rank, 4);
  assert.deepEqual(Array.from(t.data), [0, 0.2, 0.4, 1].map(Math.fround));
  const raw = cnn.tensor(pixels, [4]);
  assert.deepEqual(Array.from(raw.data), [0, 51, 102, 255]);
  const clamped = cnn.tensor(new Uint8ClampedArray([255, 0]), [2, 1], { scale: 1 / 255 });
  assert.deepEqual(Array.from(clamped.data), [1, 0]);
  const f = new Float32Array([1, 2, 3, 4, 5, 6]);
  const ft = cnn.tensor(f, [2, 3]);
  assert.equal(ft.data, f, 'a Float32Array without scale is used as is');
  assert.deepEqual(ft.slice(1).shape, [1, 3]);
  assert.deepEqual(Array.from(ft.slice(1).data), [4, 5, 6]);
  assert.deepEqual(Array.from(cnn.tensor([[1, 2]].flat(), [1, 2]).data), [1, 2]);
  assert.deepEqual(Array.from(cnn.tensor(new Float32Array([1, 9, 3, 7, 8, 2]), [2, 3]).argMax()), [1, 1]);
  // The sample's own images are the 0..255 pixels over 255.
  assert.throws(() => cnn.tensor(pixels, [2, 3]), /shape \[2,3\] needs 6 values, got 4/);
  // A scaled MNIST digit predicts like the sample's float version.
  const m = small();
  const digit = cnn.tensor(Uint8Array.from(images.data.subarray(0, 784), (v) => Math.round(v * 255)), [1, 28, 28, 1], { scale: 1 / 255 });
  const p1 = m.predict(digit).data;
  const p2 = m.predict(images.slice(0, 1)).data;
  assert.ok(p1.every((v, i) => Math.abs(v - p2[i]) < 1e-6));
  m.dispose();
});

test('loadModel() reads a .wcnn path relative to the working directory, or a file: URL', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmcnn-api-'));
  try {
    const m = small(14);
    const file = path.join(dir, 'small.wcnn');
    fs.writeFileSync(file, m.save());
    const relative = path.relative(process.cwd(), file);
    for (const source of [file, relative, new URL(`file://${file}`)]) {
      const loaded = await cnn.loadModel(source);
      assert.ok(sameBits(loaded.predict(x512.slice(0, 4)).data, m.predict(x512.slice(0, 4)).data), String(source));
      loaded.dispose();
    }
    await assert.rejects(cnn.loadModel(path.join(dir, 'missing.wcnn')), /loadModel: could not read .*missing\.wcnn \(ENOENT\)/);
    m.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('layer views: shapes, configs, trainability and learning-rate multipliers', () => {
  const m = small(15);
  const [conv, pool, flat, dense] = m.layers;
  assert.deepEqual(m.inputShape, [null, 28, 28, 1]);
  assert.deepEqual([conv.inputShape, conv.outputShape, pool.outputShape, flat.outputShape, dense.outputShape],
    [[null, 28, 28, 1], [null, 26, 26, 4], [null, 13, 13, 4], [null, 676], [null, 10]]);
  assert.deepEqual([conv.className, pool.className, flat.className, dense.className], ['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
  assert.equal(conv.getConfig().filters, 4);
  assert.deepEqual(conv.getConfig().kernelSize, [3, 3]);
  assert.equal(dense.countParams(), 6770);
  assert.equal(m.getLayer(3).name, 'dense_1');
  assert.equal(m.getLayer('dense_1').model, m);
  dense.lrMultiplier = 0.5;
  assert.equal(m.getLayer('dense_1').lrMultiplier, 0.5);
  assert.equal(m.toSpec().layers[3].config.lrMultiplier, 0.5);
  // toSpec() builds the same architecture back.
  const copy = cnn.sequential(m.toSpec());
  assert.deepEqual(copy.toSpec(), m.toSpec());
  assert.ok(sameWeights(copy.getWeights(), m.getWeights()), 'same seed, same initial weights');
  const acts = m.activations(x512.slice(0, 2));
  assert.deepEqual(acts.map((a) => a.shape), [[1, 26, 26, 4], [1, 13, 13, 4], [1, 676], [1, 10]]);
  assert.ok(sameBits(acts[3].data, m.predict(x512.slice(0, 1)).data));
  copy.dispose();
  m.dispose();
});
