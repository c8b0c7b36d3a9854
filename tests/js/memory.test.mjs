// Wasm memory does not creep: a long loop of single-image predicts, and many model lifetimes
// (create, compile, predict, dispose; also train, save and load), leave memory().wasmBytes and
// memory().heapUsed exactly where they were after a warm-up.
//
// The warm-up matters: the first calls create lasting allocations on purpose — a model's per-batch
// caches and the JS side's staging buffers (reused, grown only for a larger batch), and the core's
// buffer of the last saved model file (embind.cpp's g_saved, reused by the next save()). Measured
// after it, a disposed model gives back every byte exactly; only a live model's heap wobbles by a
// few bytes between calls (see SLACK).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as cnn from '../../web/lib/index.js';
import { lenet } from './fixtures.mjs';

const L = cnn.layers;


let images;
let labels;

before(async () => {
  ({ images, labels } = await cnn.data.mnistSample({ count: 64 }));
});

const mb = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`;

// One allowance, for a live model only: the core keeps each layer's output tensor between calls
// and gives it a freshly allocated shape (a std::vector<int> of 2-4 ints) on every call. dlmalloc
// serves each such small request from whichever free chunk fits and hands a chunk out whole when
// what is left over is too small to split, so the same live set reads a few bytes more or less from
// one call to the next (seen here: a periodic wobble within 24 B). SLACK bounds that wobble at
// 8 B per live tensor of a small model: far below the 10 kB that a leak of even one byte per call
// would add over 10,000 calls, and the no-trend check below catches slower leaks.
const SLACK = 256;

test('10,000 predicts of one image: wasm memory and heap stay flat after a warm-up', (t) => {
  const model = lenet(1);
  try {
    const one = images.slice(0, 1);
    for (let i = 0; i < 100; i++) model.predict(one);
    const base = cnn.memory();
    const first = model.predict(one).data;
    const heap = [];
    const started = performance.now();
    for (let i = 0; i < 10000; i++) {
      const p = model.predict(one);
      heap.push(cnn.memory().heapUsed);
      if (i === 9999) assert.ok(Buffer.from(p.data.buffer).equals(Buffer.from(first.buffer)), 'predictions drift');
    }
    const us = ((performance.now() - started) * 1000) / 10000;
    const end = cnn.memory();
    const lo = Math.min(...heap);
    const hi = Math.max(...heap);
    t.diagnostic(`after warm-up: wasm ${mb(base.wasmBytes)}, heap ${base.heapUsed} B; over 10,000 predicts heap stayed in ` +
      `[${lo - base.heapUsed}, +${hi - base.heapUsed}] B of it, wasm ${mb(end.wasmBytes)}; ${us.toFixed(0)} µs per predict`);
    assert.equal(end.wasmBytes, base.wasmBytes);
    assert.ok(hi - base.heapUsed <= SLACK && base.heapUsed - lo <= SLACK, `heap moved by [${lo - base.heapUsed}, ${hi - base.heapUsed}] B`);
    // No trend: the last thousand calls reach no higher than the first thousand.
    assert.ok(Math.max(...heap.slice(-1000)) <= Math.max(...heap.slice(0, 1000)));
  } finally {
    model.dispose();
  }
});

test('200 create/compile/predict/dispose cycles: memory returns to its baseline every time', (t) => {
  const cycle = () => {
    const m = lenet(1);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const p = m.predict(images.slice(0, 8));
    m.dispose();
    return p;
  };
  for (let i = 0; i < 10; i++) cycle();
  const base = cnn.memory();
  const started = performance.now();
  for (let i = 0; i < 200; i++) {
    cycle();
    // Exact after each cycle: a disposed model gives back every byte it took.
    assert.equal(cnn.memory().heapUsed, base.heapUsed, `cycle ${i}`);
  }
  const end = cnn.memory();
  t.diagnostic(`baseline heap ${base.heapUsed} B, wasm ${mb(base.wasmBytes)}; after 200 cycles heap ${end.heapUsed} B, ` +
    `wasm ${mb(end.wasmBytes)}; ${((performance.now() - started) / 200).toFixed(1)} ms per cycle`);
  assert.equal(end.wasmBytes, base.wasmBytes);
});

test('training, save() and loadModel() cycles leave no memory behind either', async (t) => {
  const cycle = async () => {
    const m = lenet(1);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await m.fit(images, labels, { epochs: 1, batchSize: 16, validationSplit: 0.25, augment: { rotation: 5 } });
    const copy = await cnn.loadModel(m.save());
    copy.evaluate(images, labels);
    const activations = copy.activations(images.slice(0, 1));
    copy.dispose();
    m.dispose();
    return activations;
  };
  const empty = cnn.memory();
  for (let i = 0; i < 3; i++) await cycle();
  const base = cnn.memory();
  for (let i = 0; i < 30; i++) await cycle();
  const end = cnn.memory();
  t.diagnostic(`heap with no model alive: ${empty.heapUsed} B before the first save(), ${base.heapUsed} B after ` +
    `(the core keeps the last saved file's buffer for the next save), ${end.heapUsed} B after 30 more cycles`);
  assert.equal(end.heapUsed, base.heapUsed);
  assert.equal(end.wasmBytes, base.wasmBytes);
  // What stays is bounded by one model file (its buffer may have grown by doubling): not a leak.
  const m = lenet(1);
  const fileBytes = m.save().length;
  m.dispose();
  assert.ok(base.heapUsed - empty.heapUsed <= 2 * fileBytes + 4096, `${base.heapUsed - empty.heapUsed} B kept`);
});

test('a model that is never disposed is freed by the garbage collector (a safety net, not a substitute)', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const base = cnn.memory().heapUsed;
  (() => { lenet(1).predict(images.slice(0, 1)); })();
  assert.ok(cnn.memory().heapUsed > base);
  for (let i = 0; i < 50 && cnn.memory().heapUsed !== base; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(cnn.memory().heapUsed, base);
});
