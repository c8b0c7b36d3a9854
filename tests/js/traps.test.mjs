// The silent traps a TensorFlow.js user met (issue #14), each now right or a clear Error:
// argMax's axis, model.trainable, imported weight constraints, getLayer(x).output, summary()
// printing, the varianceScaling initializer, rmsprop (checked step for step against TF.js),
// predict given a TF.js tensor, a custom loss function, sequential() without an input shape (now as
// tf.sequential(): the first add() brings it).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as cnn from '../../web/lib/index.node.js';

const L = cnn.layers;
let digits;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  digits = await cnn.data.mnistSample({ count: 300 });
});

const sameBits = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const lenet = (seed = 1) => cnn.sequential({ inputShape: [28, 28, 1], seed, layers: [
  L.conv2d({ filters: 4, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
  L.dense({ units: 10, activation: 'softmax' })] });

test('argMax takes an axis, as TF.js (it ignored it)', () => {
  // shape [2, 3, 2]: t[i][j][k] = data[i*6 + j*2 + k]
  const t = cnn.tensor([1, 9, 5, 2, 3, 4, 8, 0, 7, 6, 2, 9], [2, 3, 2]);
  assert.deepEqual(Array.from(t.argMax()), [1, 0, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(t.argMax(-1)), [1, 0, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(t.argMax(2)), [1, 0, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(t.argMax(1)), [1, 0, 0, 2]);
  assert.deepEqual(Array.from(t.argMax(0)), [1, 0, 1, 1, 0, 1]);
  assert.deepEqual(Array.from(t.argMax(-3)), [1, 0, 1, 1, 0, 1]);
  assert.throws(() => t.argMax(3), /^Error: argMax: axis must be an integer in \[-3, 2\] for a tensor of shape \[2,3,2\], got 3$/);
  assert.throws(() => t.argMax(0.5), /axis must be an integer/);
});

test('model.trainable = false freezes every layer for fit() and a worker; true trains them again', async () => {
  const m = lenet(3);
  m.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
  assert.equal(m.trainable, true);
  m.trainable = false;
  assert.equal(m.trainable, false);
  assert.ok(m.layers.every((l) => !l.trainable));
  const before = m.getWeights();
  await m.fit(digits.images.slice(0, 64), digits.labels.slice(0, 64), { epochs: 1, batchSize: 16 });
  assert.ok(m.getWeights().every((w, i) => sameBits(w.data, before[i].data)));
  const { model: fromWorker } = await cnn.trainInWorker(m, digits.images.slice(0, 64), digits.labels.slice(0, 64), { epochs: 1 });
  assert.equal(fromWorker.trainable, false);
  assert.ok(fromWorker.getWeights().every((w, i) => sameBits(w.data, before[i].data)));
  m.trainable = true;
  await m.fit(digits.images.slice(0, 64), digits.labels.slice(0, 64), { epochs: 1, batchSize: 16 });
  assert.ok(!sameBits(m.getWeights()[0].data, before[0].data));
  assert.throws(() => { m.trainable = 'no'; }, /model: trainable must be true or false, got "no"/);
  // A spec frozen before the model is built stays frozen in it.
  const x = cnn.input({ shape: [4] });
  const d = L.dense({ units: 2 });
  d.trainable = false;
  const g = cnn.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(d.apply(x)) });
  assert.deepEqual(g.layers.map((l) => l.trainable), [false, true]);
  d.trainable = true; // ...and follows the model it was built into afterwards
  assert.equal(g.layers[0].trainable, true);
  for (const model of [m, fromWorker, g]) model.dispose();
});

test('getLayer(x).output and .input are symbolic tensors (they were undefined), for sequential models too', () => {
  const m = lenet();
  const out = m.getLayer('flatten_1').output;
  assert.ok(out instanceof cnn.SymbolicTensor);
  assert.deepEqual(out.shape, [null, 576]);
  assert.equal(m.getLayer('dense_1').input, out);
  assert.equal(m.getLayer(0).input, m.inputs[0]);
  const cut = cnn.model({ inputs: m.inputs, outputs: out });
  assert.deepEqual(cut.outputShape, [null, 576]);
  cut.dispose();
  m.dispose();
});

test('summary() prints the table (it printed nothing) and returns it', () => {
  const m = lenet();
  const lines = [];
  const log = console.log;
  console.log = (line) => lines.push(line);
  let text;
  try {
    text = m.summary();
  } finally {
    console.log = log;
  }
  assert.equal(lines.join('\n') + '\n', text);
  assert.match(text, /^_+\nLayer \(type\) +Output shape +Param #\n=+\nconv2d_1 \(Conv2D\) +\[null,24,24,4\] +104\n/);
  assert.match(text, /Total params: 5874\nTrainable params: 5874\nNon-trainable params: 0\n_+\n$/);
  m.dispose();
});

test('varianceScaling is an initializer (Keras\' defaults: scale 1, fan_in, truncated normal); cnn.initializers maps the options', () => {
  const m = cnn.sequential({ inputShape: [400], seed: 5, layers: [L.dense({ units: 500, kernelInitializer: 'varianceScaling' })] });
  const w = m.getWeights()[0].data;
  const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
  // 200,000 draws: the sample deviation is within 1% of sqrt(1/400) = 0.05 with overwhelming probability.
  assert.ok(Math.abs(std - 0.05) < 0.0005, `std ${std}`);
  assert.ok(w.every((v) => Math.abs(v) <= 2 * 0.05 / 0.8796256610342398 + 1e-6), 'truncated at two standard deviations');
  m.dispose();
  assert.equal(cnn.initializers.varianceScaling(), 'varianceScaling');
  assert.equal(cnn.initializers.varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'truncatedNormal' }), 'heNormal');
  assert.equal(cnn.initializers.varianceScaling({ scale: 1, mode: 'fanAvg', distribution: 'uniform' }), 'glorotUniform');
  assert.equal(cnn.initializers.heUniform(), 'heUniform');
  assert.throws(() => cnn.initializers.varianceScaling({ scale: 3 }),
    /scale 3, mode 'fanIn', distribution 'normal' is not supported; wasmcnn has glorotUniform \(1, fanAvg, uniform\)/);
  assert.throws(() => cnn.initializers.varianceScaling({ seed: 1 }), /seed is not supported/);
});

test('rmsprop exists and steps exactly as TF.js\' tf.train.rmsprop', async () => {
  const x = cnn.tensor(Float32Array.from({ length: 5 * 4 }, (_, i) => Math.sin(i + 1)), [5, 4]);
  const y = [0, 2, 1, 2, 0];
  const m = cnn.sequential({ inputShape: [4], seed: 2, layers: [L.dense({ units: 3, activation: 'softmax' })] });
  m.compile({ optimizer: cnn.optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
  const tm = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
  tm.setWeights(m.getWeights().map((w) => tf.tensor(w.data, w.shape)));
  tm.compile({ optimizer: tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7), loss: 'sparseCategoricalCrossentropy' });
  for (let step = 0; step < 3; step++) {
    m.trainOnBatch(x, y);
    await tm.trainOnBatch(tf.tensor(x.data, x.shape), tf.tensor(y, [5, 1]));
  }
  const theirs = tm.getWeights().map((t) => t.dataSync());
  m.getWeights().forEach((w, i) => {
    const d = Math.max(...w.data.map((v, k) => Math.abs(v - theirs[i][k])));
    assert.ok(d < 1e-5, `${w.name}: max difference ${d}`);
  });
  assert.deepEqual(m.compileConfig.optimizer, { type: 'rmsprop', learningRate: 0.01, momentum: 0.5, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, rho: 0.9 });
  // By name too, and saved, reloaded and exported with its settings.
  const loaded = await cnn.loadModel(m.save());
  assert.deepEqual(loaded.compileConfig, m.compileConfig);
  assert.equal(cnn.toTfjsArtifacts(m).trainingConfig.optimizer_config.class_name, 'RMSProp');
  const named = lenet(4).compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy' });
  const h = await named.fit(digits.images, digits.labels, { epochs: 3, batchSize: 32 });
  assert.ok(h.history.loss[2] < h.history.loss[0] * 0.8, JSON.stringify(h.history.loss));
  assert.throws(() => cnn.optimizers.rmsprop({ rho: 1 }), /optimizers.rmsprop: rho must be in \[0, 1\), got 1/);
  for (const model of [m, loaded, named]) model.dispose();
  tm.dispose();
});

test('imported weight constraints warn (they were dropped without a word)', async () => {
  const tm = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, kernelConstraint: tf.constraints.maxNorm({ maxValue: 2 }), name: 'd' })] });
  let artifacts;
  await tm.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: {} }; }));
  const warnings = [];
  const warn = console.warn;
  console.warn = (msg) => warnings.push(msg);
  let m;
  try {
    m = cnn.fromTfjsArtifacts(artifacts);
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /tfjs import: wasmcnn does not apply weight constraints, so training this model will not enforce them \(d: kernel_constraint\); predictions are unaffected/);
  assert.deepEqual(m.metadata.tfjs.dropped, ['d: kernel_constraint']);
  m.dispose();
  tm.dispose();
});

test('predict() given a TF.js tensor says what it got and how to convert it (it said "needs 784 values, got 0")', () => {
  const m = lenet();
  const t = tf.zeros([2, 28, 28, 1]);
  assert.throws(() => m.predict(t), /^Error: predict: got a TensorFlow\.js tensor \(shape \[2,28,28,1\], dtype float32\); wasmcnn takes its own tensors: convert it with cnn\.tensor\(await t\.data\(\), t\.shape\)/);
  assert.throws(() => m.predict(m.inputs[0]), /predict: expected a tensor/);
  t.dispose();
  m.dispose();
});

test('a custom loss function is refused as such (it said "unknown loss undefined")', () => {
  const m = lenet();
  assert.throws(() => m.compile({ optimizer: 'adam', loss: (yTrue, yPred) => yPred }),
    /^Error: compile: custom loss functions are not supported \(the loss and its gradient run inside the core\); use one of sparseCategoricalCrossentropy, categoricalCrossentropy, meanSquaredError$/);
  assert.throws(() => m.compile({ loss: 'sparseCategoricalCrossentropy', metrics: [() => 0] }), /custom metric functions are not supported/);
  m.dispose();
});

test('sequential() without an input shape works as tf.sequential(): the first add() brings it; else the Error says where it goes', () => {
  assert.throws(() => cnn.sequential({ layers: [L.dense({ units: 2 })] }),
    /^Error: sequential: the input shape is unknown: pass sequential\(\{ inputShape: \[28, 28, 1\], layers \}\) or give the first layer one/);
  const m = cnn.sequential({ seed: 3 });
  assert.deepEqual(m.layers, []);
  assert.equal(m.disposed, false);
  assert.throws(() => m.predict(cnn.tensor([1, 2], [1, 2])), /has no layers yet, so no input shape: add a first layer with one/);
  assert.throws(() => m.add(L.dense({ units: 2 })), /the first layer of a sequential model without inputShape needs one: Dense has none/);
  assert.throws(() => m.add(L.conv2d({ inputShape: [4], filters: 2, kernelSize: 3 })), /conv2d/);
  m.add(L.dense({ inputShape: [4], units: 3, activation: 'relu' })).add(L.dense({ units: 2 }));
  assert.deepEqual(m.inputShape, [null, 4]);
  const same = cnn.sequential({ inputShape: [4], seed: 3, layers: [L.dense({ units: 3, activation: 'relu' }), L.dense({ units: 2 })] });
  const x = cnn.tensor([1, -2, 3, 0.5], [1, 4]);
  assert.ok(sameBits(m.predict(x).data, same.predict(x).data));
  m.dispose();
  same.dispose();
  assert.equal(m.disposed, true);
  const never = cnn.sequential();
  never.dispose();
  assert.throws(() => never.add(L.dense({ inputShape: [4], units: 2 })), /this model was disposed/);
});
