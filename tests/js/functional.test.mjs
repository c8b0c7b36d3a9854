// The functional API (web/lib/symbolic.js, functional.js): cnn.input, layer.apply, cnn.model, as in
// TF.js. A residual graph model does everything a sequential one does: compile, fit (with callbacks,
// regularisers, augmentation, validation), evaluate, predict, save/load in the own format (edges
// included), train in a worker; models nest (inlined), layers answer .input/.output, summary()
// prints a TF.js-like table, and what wasmcnn does not do (shared layers, several inputs or outputs)
// is refused with an Error that says so.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.node.js';
import { maxAbsDiff } from './compare.mjs';

const L = cnn.layers;
let digits;
let x600;
let y600;

before(async () => {
  digits = await cnn.data.mnistSample({ count: 1200 });
  x600 = digits.images.slice(0, 600);
  y600 = digits.labels.slice(0, 600);
});

const sameBits = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** A small residual CNN for 28x28 digits: conv, [conv, conv] + skip (Add), pool, dense. */
function residual({ seed = 5, name = 'resnet', regularize = false } = {}) {
  const x = cnn.input({ shape: [28, 28, 1], name: 'digits' });
  const reg = regularize ? { kernelRegularizer: cnn.regularizers.l2({ l2: 1e-3 }) } : {};
  const stem = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'stem', ...reg }).apply(x);
  const a = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a' }).apply(stem);
  const b = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'b' }).apply(a);
  const sum = L.add({ name: 'skip' }).apply([stem, b]);
  const pooled = L.maxPooling2d({ poolSize: 2 }).apply(L.activation({ activation: 'relu' }).apply(sum));
  const out = L.dense({ units: 10, activation: 'softmax', name: 'out', ...reg }).apply(L.flatten().apply(pooled));
  return { x, stem, sum, out, model: cnn.model({ inputs: x, outputs: out, name, seed }) };
}

test('input() and apply() give symbolic tensors with TF.js shapes, source layers, layer.input and layer.output', () => {
  const x = cnn.input({ shape: [28, 28, 1] });
  assert.ok(x instanceof cnn.SymbolicTensor);
  assert.deepEqual(x.shape, [null, 28, 28, 1]);
  assert.equal(x.sourceLayer.className, 'InputLayer');
  const conv = L.conv2d({ filters: 4, kernelSize: 5, strides: 2 });
  const y = conv.apply(x);
  assert.deepEqual(y.shape, [null, 12, 12, 4]);
  assert.equal(y.sourceLayer, conv);
  assert.equal(conv.output, y);
  assert.equal(conv.input, x);
  const merged = L.add().apply([y, y]);
  assert.deepEqual(merged.shape, [null, 12, 12, 4]);
  // The spec stays a plain record: JSON and structuredClone see only className and config.
  assert.deepEqual(JSON.parse(JSON.stringify(conv)), { className: 'Conv2D', config: { filters: 4, kernelSize: 5, strides: 2 } });
  assert.deepEqual(structuredClone(conv), { className: 'Conv2D', config: { filters: 4, kernelSize: 5, strides: 2 } });
  // Shapes are checked as the layer is applied, naming it and the input.
  assert.throws(() => L.dense({ units: 3 }).apply(x), /dense.*\[null,28,28,1\]/);
  assert.throws(() => L.add().apply([x, y]), /Add|add.*same shape/);
  assert.throws(() => L.add().apply(x), /two or more inputs, got 1/);
  assert.throws(() => L.dense({ units: 3 }).output, /has not been applied yet, so it has no output/);
  assert.throws(() => L.dense({ units: 3 }).apply(cnn.tensor([1, 2], [1, 2])), /expected symbolic tensors.*do not run eagerly/);
  assert.throws(() => cnn.input({ shape: [28, 28] , dtype: 'int32' }), /dtype "int32" is not supported/);
  assert.throws(() => cnn.input({ shape: [1, 2, 3, 4] }), /shape must be 1 to 3 positive integers/);
});

test('model() builds the graph: layers in topological order with their inputs, getLayer, inputs/outputs, summary', () => {
  const { x, out, model } = residual();
  try {
    assert.equal(model.name, 'resnet');
    assert.ok(model.isGraph);
    assert.deepEqual(model.layers.map((l) => l.name), ['stem', 'a', 'b', 'skip', 'activation_1', 'max_pooling2d_1', 'flatten_1', 'out']);
    assert.deepEqual(model.inputShape, [null, 28, 28, 1]);
    assert.deepEqual(model.outputShape, [null, 10]);
    assert.equal(model.inputs[0], x);
    assert.deepEqual(model.outputs[0].shape, out.shape);
    const skip = model.getLayer('skip');
    assert.equal(skip, model.getLayer(3));
    assert.deepEqual(skip.input.map((t) => t.sourceLayer.name), ['stem', 'b']);
    assert.deepEqual(skip.inputShape, [[null, 14, 14, 8], [null, 14, 14, 8]]);
    assert.equal(skip.output, model.getLayer('activation_1').input);
    assert.equal(model.getLayer('stem').input, x);
    assert.deepEqual(model.getLayer('out').output.shape, [null, 10]);
    // The spec objects answer for the model they were built into.
    assert.equal(out.sourceLayer.name, 'out');

    const printed = [];
    const text = model.summary(undefined, undefined, (line) => printed.push(line));
    assert.equal(text, `${printed.join('\n')}\n`);
    assert.match(text, /Layer \(type\) +Output shape +Param # +Connected to/);
    assert.match(text, /digits \(InputLayer\) +\[null,28,28,1\] +0/);
    assert.match(text, /skip \(Add\) +\[null,14,14,8\] +0 +stem\[0\]\[0\]\n +b\[0\]\[0\]/);
    assert.match(text, /out \(Dense\) +\[null,10\] +3930 +flatten_1\[0\]\[0\]/);
    assert.match(text, new RegExp(`Total params: ${model.countParams()}\\nTrainable params: ${model.countParams()}\\nNon-trainable params: 0`));
    // As TF.js: with lineLength and positions, columns end there and long fields are cut.
    const narrow = model.summary(60, [0.4, 0.7, 0.8, 1], () => {});
    assert.ok(narrow.split('\n').every((line) => line.length <= 60));
  } finally {
    model.dispose();
  }
});

test('a graph model trains like a sequential one: fit with callbacks, regulariser, augmentation, validation; evaluate; predict', async () => {
  const { model } = residual({ seed: 3, regularize: true });
  try {
    model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const before = model.evaluate(digits.images.slice(1000, 200), digits.labels.slice(1000, 1200));
    let batches = 0;
    const history = await model.fit(x600, y600, {
      epochs: 4, batchSize: 32, validationSplit: 0.1, augment: { rotation: 5, translate: 0.05 },
      callbacks: [{ onBatchEnd: () => { batches++; } }, cnn.callbacks.earlyStopping({ patience: 3 })],
    });
    assert.equal(batches, 4 * Math.ceil(540 / 32));
    const losses = history.history.loss;
    assert.ok(losses.at(-1) < losses[0] * 0.7, `loss fell from ${losses[0]} to ${losses.at(-1)}`);
    const after = model.evaluate(digits.images.slice(1000, 200), digits.labels.slice(1000, 1200));
    assert.ok(after.loss < before.loss && after.accuracy > 0.75, JSON.stringify({ before, after }));
    const p = model.predict(digits.images.slice(1000, 20));
    assert.deepEqual(p.shape, [20, 10]);
    assert.ok(sameBits(model.predict(digits.images.slice(1000, 20), { batchSize: 3 }).data, p.data));
    const one = model.trainOnBatch(x600.slice(0, 16), y600.slice(0, 16));
    assert.ok(Number.isFinite(one.loss));
  } finally {
    model.dispose();
  }
});

test('save() and loadModel() keep the graph: edges, name, input name, weights, predictions to the bit', async () => {
  const { model } = residual({ seed: 8 });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  await model.fit(x600.slice(0, 128), y600.slice(0, 128), { epochs: 1 });
  const loaded = await cnn.loadModel(model.save());
  try {
    assert.ok(loaded.isGraph);
    assert.equal(loaded.name, 'resnet');
    assert.equal(loaded.inputs[0].name, 'digits');
    assert.deepEqual(loaded.getLayer('skip').input.map((t) => t.sourceLayer.name), ['stem', 'b']);
    assert.equal(loaded.summary(undefined, undefined, () => {}), model.summary(undefined, undefined, () => {}));
    const x = digits.images.slice(1000, 50);
    assert.ok(sameBits(loaded.predict(x).data, model.predict(x).data));
    assert.deepEqual(loaded.compileConfig, model.compileConfig);
  } finally {
    loaded.dispose();
    model.dispose();
  }
});

test('trainInWorker trains a graph model: the same weights, bit for bit, as fit() in this thread', async () => {
  const { model } = residual({ seed: 21 });
  model.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
  const here = await cnn.loadModel(model.save());
  const job = cnn.trainInWorker(model, x600, y600, { epochs: 2, batchSize: 32 });
  const { model: trained, history } = await job;
  const local = await here.fit(x600, y600, { epochs: 2, batchSize: 32 });
  try {
    assert.ok(trained.isGraph);
    assert.deepEqual(trained.getLayer('skip').input.map((t) => t.sourceLayer.name), ['stem', 'b']);
    assert.ok(history.history.loss[1] < history.history.loss[0]);
    assert.deepEqual(history.history.loss, local.history.loss);
    const a = trained.getWeights();
    const b = here.getWeights();
    assert.ok(a.every((w, i) => sameBits(w.data, b[i].data)));
  } finally {
    for (const m of [model, here, trained]) m.dispose();
  }
});

test('a model used as a layer is inlined: same predictions as running the two models one after the other', () => {
  const x = cnn.input({ shape: [28, 28, 1] });
  const features = L.flatten().apply(L.conv2d({ filters: 4, kernelSize: 5, strides: 3, activation: 'relu' }).apply(x));
  const extractor = cnn.model({ inputs: x, outputs: features, name: 'extractor', seed: 2 });
  const hin = cnn.input({ shape: extractor.outputShape.slice(1) });
  const head = cnn.model({ inputs: hin, outputs: L.dense({ units: 10, activation: 'softmax' }).apply(hin), name: 'head', seed: 3 });
  const image = cnn.input({ shape: [28, 28, 1], name: 'image' });
  const whole = cnn.model({ inputs: image, outputs: head.apply(extractor.apply(image)), name: 'whole' });
  try {
    assert.deepEqual(whole.layers.map((l) => l.className), ['Conv2D', 'Flatten', 'Dense']);
    const xs = digits.images.slice(0, 30);
    const twoSteps = head.predict(extractor.predict(xs));
    assert.ok(maxAbsDiff(whole.predict(xs).data, twoSteps.data) <= 1e-6);
    // Copies, not shares: training the whole model leaves the parts as they were.
    whole.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    whole.trainOnBatch(x600.slice(0, 32), y600.slice(0, 32));
    assert.ok(sameBits(head.predict(extractor.predict(xs)).data, twoSteps.data));
    // Applying the same model twice in one graph would share its layers: refused.
    const twice = head.apply(extractor.apply(image));
    assert.throws(() => cnn.model({ inputs: image, outputs: L.add().apply([twice, head.apply(extractor.apply(image))]) }),
      /appears twice in the graph \(a shared layer, or a model applied twice\)/);
  } finally {
    for (const m of [extractor, head, whole]) m.dispose();
  }
});

test('what wasmcnn does not do is refused by name: shared layers, several inputs or outputs, disconnected graphs', () => {
  const x = cnn.input({ shape: [4] });
  const d = L.dense({ units: 4 });
  const y = d.apply(x);
  assert.throws(() => d.apply(y), /already applied to input_1: wasmcnn does not share a layer \(and its weights\)/);
  const x2 = cnn.input({ shape: [4], name: 'other' });
  assert.throws(() => cnn.model({ inputs: [x, x2], outputs: y }), /one input, got 2 \(input_1, other\)/);
  assert.throws(() => cnn.model({ inputs: x, outputs: [y, L.dense({ units: 2 }).apply(x)] }), /one output, got 2/);
  assert.throws(() => cnn.model({ inputs: x2, outputs: y }), /depends on the input 'input_1' \[null,4\], which is not the model's input 'other'/);
  assert.throws(() => cnn.model({ inputs: y, outputs: y }), /inputs must come from cnn.input\(\)/);
  assert.throws(() => cnn.model({ inputs: x, outputs: x }), /the output is the input itself/);
  assert.throws(() => cnn.model({ inputs: x, outputs: y, seed: -1 }), /seed must be a non-negative integer/);
  assert.throws(() => cnn.model({ inputs: x, outputs: y, input: x }), /unknown option 'input'/);
  // A failed build leaves nothing behind: the graph still builds.
  const m = cnn.model({ inputs: x, outputs: L.add().apply([y, L.dense({ units: 4, name: 'second' }).apply(x)]) });
  assert.deepEqual(m.layers.map((l) => l.name), ['dense_1', 'second', 'add_1']);
  m.dispose();
});

test('the same graph built twice gives two models; the second starts from the first one\'s weights', () => {
  const x = cnn.input({ shape: [6] });
  const h = L.dense({ units: 5, activation: 'relu', name: 'h' }).apply(x);
  const out = L.dense({ units: 3, name: 'o' }).apply(h);
  const first = cnn.model({ inputs: x, outputs: out, seed: 1 });
  const second = cnn.model({ inputs: x, outputs: out, seed: 99 });
  try {
    const w1 = first.getWeights();
    const w2 = second.getWeights();
    assert.ok(w1.every((w, i) => sameBits(w.data, w2[i].data)));
    const data = cnn.tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [2, 6]);
    assert.ok(sameBits(first.predict(data).data, second.predict(data).data));
  } finally {
    first.dispose();
    second.dispose();
  }
});

test('building, applying and disposing graph models leaves no wasm memory behind', () => {
  const cycle = () => {
    const x = cnn.input({ shape: [8, 8, 1] });
    const c = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x);
    const y = L.dense({ units: 3 }).apply(L.flatten().apply(L.add().apply([c, L.conv2d({ filters: 2, kernelSize: 1 }).apply(c)])));
    const m = cnn.model({ inputs: x, outputs: y });
    const cut = cnn.model({ inputs: m.inputs, outputs: m.getLayer(1).output });
    assert.throws(() => L.dense({ units: 1e9 }).apply(L.flatten().apply(x)), /out of memory|too large|2\^/);
    m.predict(cnn.tensor(new Float32Array(64), [1, 8, 8, 1]));
    m.dispose();
    cut.dispose();
  };
  for (let i = 0; i < 20; i++) cycle();
  const before = cnn.memory();
  for (let i = 0; i < 200; i++) cycle();
  const after = cnn.memory();
  assert.equal(after.heapUsed, before.heapUsed);
  assert.equal(after.wasmBytes, before.wasmBytes);
});
