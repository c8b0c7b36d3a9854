// TensorFlow.js layers-model format, both ways (web/lib/tfjs_format.js), checked against the real
// @tensorflow/tfjs 4.22 on its CPU backend: models exported by wasmcnn load with tf.loadLayersModel
// and predict the same; models built and trained by TF.js (saved with its own model.save) load into
// wasmcnn and predict the same; converter-style model.json + shards load from disk and over HTTP,
// reading nothing but the files the manifest names; unsupported layers and options are refused by name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as cnn from '../../web/lib/index.js';
import { maxAbsDiff, tfArtifacts } from './compare.mjs';

const TOLERANCE = 1e-5;
let tmp;
let digits;

before(async () => {
  tf.env().set('PROD', true); // quiets TF.js' "install tfjs-node" banner
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmcnn-tfjs-'));
  digits = await cnn.data.mnistSample({ count: 1200 });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Real MNIST digits the models were not trained on. */
const heldOut = () => digits.images.slice(1000, 200);

function tfPredict(tm, x) {
  return tf.tidy(() => tm.predict(tf.tensor(x.data, x.shape)).dataSync());
}

/** A wasmcnn model using every exportable layer, trained briefly so BatchNorm's statistics are real. */
async function trainedWasmcnnModel() {
  const L = cnn.layers;
  const model = cnn.sequential({ inputShape: [28, 28, 1], seed: 11, layers: [
    L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelRegularizer: cnn.regularizers.l2({ l2: 1e-4 }) }),
    L.batchNormalization(),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 8, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: 'heNormal' }),
    L.activation({ activation: 'tanh' }),
    L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    L.dropout({ rate: 0.2 }),
    L.gaussianNoise({ stddev: 0.05 }),
    L.flatten(),
    L.dense({ units: 32, activation: 'relu', lrMultiplier: 0.5 }),
    L.batchNormalization({ momentum: 0.9, epsilon: 1e-2, center: false }),
    L.dense({ units: 10, activation: 'softmax', biasRegularizer: cnn.regularizers.l1l2({ l1: 1e-5, l2: 1e-4 }) }),
  ] });
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 2e-3 }), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(digits.images.slice(0, 1000), digits.labels.slice(0, 1000), { epochs: 1, batchSize: 32 });
  model.getLayer(0).trainable = false;
  model.metadata = { classes: [...'0123456789'], note: 'round trip' };
  return model;
}

/**
 * TF.js models that between them use every layer class wasmcnn imports, two trained briefly with
 * TF.js' own fit (kept small: TF.js' CPU backend trains slowly). `c` has batch norm without center
 * or scale, which TF.js 4.22 cannot train ("Cannot read properties of undefined (reading 'read')"
 * in BatchNormalization.call), so it gets random weights and statistics instead.
 */
async function tfModels() {
  const a = tf.sequential({ layers: [
    // 'same' with stride 2 and with an even kernel: TensorFlow pads more at the bottom/right.
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }),
    tf.layers.batchNormalization({ momentum: 0.5 }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 8, kernelSize: 4, padding: 'same', kernelRegularizer: tf.regularizers.l2({ l2: 1e-4 }) }),
    tf.layers.activation({ activation: 'tanh' }),
    tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    tf.layers.dropout({ rate: 0.25 }),
    tf.layers.gaussianNoise({ stddev: 0.1 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 32, activation: 'relu' }),
    tf.layers.batchNormalization({ momentum: 0.5 }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
  const b = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, strides: 2, activation: 'sigmoid', useBias: false }),
    tf.layers.batchNormalization({ momentum: 0.5, epsilon: 1e-2 }),
    tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    tf.layers.averagePooling2d({ poolSize: 2 }),
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
  const c = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 3, activation: 'relu', trainable: false }),
    tf.layers.batchNormalization({ center: false }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 16 }),
    tf.layers.batchNormalization({ scale: false, epsilon: 0.1 }),
    tf.layers.activation({ activation: 'sigmoid' }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
  const n = 150;
  const x = tf.tensor(digits.images.data.subarray(0, n * 784), [n, 28, 28, 1]);
  const y = tf.tensor1d(Array.from(digits.labels.subarray(0, n)), 'float32');
  for (const m of [a, b]) {
    m.compile({ optimizer: tf.train.adam(3e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await m.fit(x, y, { epochs: 1, batchSize: 50, verbose: 0 });
  }
  tf.dispose([x, y]);
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  c.setWeights(c.weights.map((w) => tf.tensor(Float32Array.from({ length: w.shape.reduce((p, d) => p * d, 1) },
    () => (w.name.includes('variance') ? 0.5 + random() : random() - 0.5)), w.shape)));
  return { a, b, c };
}

let ours;
let theirs;

test('export: tf.loadLayersModel loads toTfjsArtifacts(model) and predicts the same', async (t) => {
  ours = await trainedWasmcnnModel();
  const artifacts = cnn.toTfjsArtifacts(ours);
  assert.equal(artifacts.format, 'layers-model');
  assert.equal(artifacts.modelTopology.class_name, 'Sequential');
  const first = artifacts.modelTopology.config.layers[0];
  assert.deepEqual(first.config.batch_input_shape, [null, 28, 28, 1]);
  assert.equal(first.config.data_format, 'channels_last');
  assert.deepEqual(first.config.kernel_regularizer, { class_name: 'L1L2', config: { l1: 0, l2: 0.0001 } });
  assert.equal(first.config.trainable, false);
  assert.deepEqual(artifacts.weightSpecs[0], { name: 'conv2d_1/kernel', shape: [5, 5, 1, 6], dtype: 'float32' });

  const tm = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  assert.deepEqual(tm.layers.map((l) => l.name), ours.layers.map((l) => l.name));
  assert.equal(tm.layers[0].trainable, false);
  assert.equal(tm.layers[10].getConfig().center, false);
  assert.equal(tm.optimizer.getClassName(), 'Adam', 'the compile settings become TF.js trainingConfig');
  const x = heldOut();
  const diff = maxAbsDiff(ours.predict(x).data, tfPredict(tm, x));
  t.diagnostic(`wasmcnn -> TF.js: max |difference| over ${x.shape[0]} MNIST digits x 10 classes = ${diff.toExponential(2)}`);
  assert.ok(diff < TOLERANCE, `max difference ${diff}`);
  tm.dispose();
});

test('export: io.tfjs(directory) writes model.json + weights.bin that TF.js and wasmcnn both load', async (t) => {
  const dir = path.join(tmp, 'exported');
  const result = await ours.save(cnn.io.tfjs(dir));
  assert.deepEqual(result.files, [path.join(dir, 'model.json'), path.join(dir, 'weights.bin')]);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.equal(json.generatedBy, 'wasmcnn');
  assert.deepEqual(json.weightsManifest.map((g) => g.paths), [['weights.bin']]);
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  assert.equal(bin.length, ours.countParams() * 4);

  // Also through a file: URL, to a model.json name of our choosing.
  await ours.save(cnn.io.tfjs(pathToFileURL(path.join(tmp, 'as-url', 'digits.json')).href));
  assert.ok(fs.existsSync(path.join(tmp, 'as-url', 'digits.json')) && fs.existsSync(path.join(tmp, 'as-url', 'weights.bin')));

  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length);
  const tm = await tf.loadLayersModel(tf.io.fromMemory({ ...json, weightSpecs: json.weightsManifest[0].weights, weightData }));
  const x = heldOut();
  const expected = ours.predict(x).data;
  const diff = maxAbsDiff(expected, tfPredict(tm, x));
  t.diagnostic(`model.json + weights.bin in TF.js: max |difference| = ${diff.toExponential(2)}`);
  assert.ok(diff < TOLERANCE);
  tm.dispose();

  // Back into wasmcnn three ways; nothing is lost (weights bit for bit, frozen flags, multipliers, compile, metadata).
  for (const source of [cnn.io.fromTfjs(dir), cnn.io.tfjs(dir), path.join(dir, 'model.json'), pathToFileURL(path.join(tmp, 'as-url', 'digits.json'))]) {
    const back = await cnn.loadModel(source);
    assert.deepEqual(back.predict(x).data, expected);
    assert.deepEqual(back.getWeights(), ours.getWeights());
    assert.deepEqual(back.toSpec(), ours.toSpec());
    assert.equal(back.getLayer('dense_1').lrMultiplier, 0.5);
    assert.deepEqual(back.compileConfig, ours.compileConfig);
    assert.deepEqual(back.metadata, ours.metadata);
    back.dispose();
  }
});

test('export: a model TF.js re-saves comes back bit-identical', async () => {
  const tm = await tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(ours)));
  const back = await cnn.loadModel(cnn.io.fromTfjs(await tfArtifacts(tm)));
  assert.deepEqual(back.getWeights(), ours.getWeights());
  const x = heldOut();
  assert.deepEqual(back.predict(x).data, ours.predict(x).data);
  back.dispose();
  tm.dispose();
});

test('export: layers without a TF.js equivalent and unknown destinations are refused by name', async () => {
  const m = cnn.sequential({ inputShape: [8, 8, 1], layers: [cnn.layers.sumPooling2d({ name: 'lenet_pool' }), cnn.layers.flatten()] });
  assert.throws(() => cnn.toTfjsArtifacts(m), /layer 'lenet_pool' \(SumPooling2D\) has no TensorFlow\.js equivalent/);
  m.dispose();
  await assert.rejects(ours.save(cnn.io.tfjs('https://example.com/upload')), /can't save to https:.*tf\.io\.http/);
  await assert.rejects(ours.save(cnn.io.tfjs('downloads://digits')), /downloads:\/\/ only works in a page/);
  // Any TF.js IOHandler with save() (here tf.io.withSaveHandler) receives the artifacts.
  let received;
  await ours.save(cnn.io.tfjs(tf.io.withSaveHandler(async (a) => { received = a; return {}; })));
  assert.equal(received.weightSpecs.length, ours.getWeights().length);
});

test('import: models built and trained in TF.js predict the same in wasmcnn', async (t) => {
  theirs = await tfModels();
  const x = heldOut();
  for (const [key, tm] of Object.entries(theirs)) {
    const artifacts = await tfArtifacts(tm);
    const model = await cnn.loadModel(cnn.io.fromTfjs(artifacts));
    assert.deepEqual(model.layers.map((l) => l.name), tm.layers.map((l) => l.name));
    assert.equal(model.countParams(), tm.countParams());
    assert.deepEqual(model.layers.map((l) => l.trainable), tm.layers.map((l) => l.trainable));
    const diff = maxAbsDiff(model.predict(x).data, tfPredict(tm, x));
    t.diagnostic(`TF.js model ${key} (${tm.layers.map((l) => l.getClassName()).join(', ')}) -> wasmcnn: ` +
      `max |difference| = ${diff.toExponential(2)}`);
    assert.ok(diff < TOLERANCE, `model ${key}: max difference ${diff}`);
    // loadModel also takes the artifacts, or TF.js' own memory handler, directly.
    const again = await cnn.loadModel(artifacts);
    assert.deepEqual(again.predict(x).data, model.predict(x).data);
    const viaHandler = await cnn.loadModel(cnn.io.fromTfjs(tf.io.fromMemory(artifacts)));
    assert.deepEqual(viaHandler.getWeights(), model.getWeights());
    [model, again, viaHandler].forEach((m) => m.dispose());
  }
});

test('import: trainingConfig and optimizer weights (includeOptimizer) compile the model and are skipped as weights', async () => {
  const artifacts = await tfArtifacts(theirs.a, { includeOptimizer: true });
  assert.ok(artifacts.weightSpecs.some((s) => s.group === 'optimizer'));
  const model = await cnn.loadModel(cnn.io.fromTfjs(artifacts));
  assert.equal(model.compileConfig.loss, 'sparseCategoricalCrossentropy');
  assert.equal(model.compileConfig.optimizer.type, 'adam');
  assert.ok(Math.abs(model.compileConfig.optimizer.learningRate - 3e-3) < 1e-9);
  const r = model.evaluate(heldOut(), digits.labels.slice(1000, 1200));
  assert.ok(Number.isFinite(r.loss));
  model.dispose();
});

/** Writes artifacts as tensorflowjs_converter does: model.json and the weights in byte-split shards. */
function writeConverterDir(dir, artifacts, shards = 2) {
  fs.mkdirSync(dir, { recursive: true });
  const bytes = new Uint8Array(artifacts.weightData);
  const size = Math.ceil(bytes.length / shards);
  const paths = [];
  for (let i = 0; i < shards; i++) {
    const name = `group1-shard${i + 1}of${shards}.bin`;
    fs.writeFileSync(path.join(dir, name), bytes.subarray(i * size, (i + 1) * size));
    paths.push(name);
  }
  const { weightData, weightSpecs, ...rest } = artifacts;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...rest, convertedBy: 'TensorFlow.js Converter v4.22.0', weightsManifest: [{ paths, weights: weightSpecs }] }));
}

test('import: converter output (model.json + shards) from disk and over HTTP, fetching nothing else', async () => {
  const dir = path.join(tmp, 'converted', 'b');
  const artifacts = await tfArtifacts(theirs.b);
  writeConverterDir(dir, artifacts, 3);
  fs.writeFileSync(path.join(tmp, 'converted', 'secret.bin'), Buffer.alloc(64));
  const x = heldOut();
  const expected = tfPredict(theirs.b, x);

  for (const source of [dir, path.join(dir, 'model.json'), pathToFileURL(dir).href]) {
    const m = await cnn.loadModel(cnn.io.fromTfjs(source));
    assert.ok(maxAbsDiff(m.predict(x).data, expected) < TOLERANCE);
    m.dispose();
  }

  // As a page gets them from a file input or a drop: File objects, matched by name.
  const files = fs.readdirSync(dir).map((name) => new File([fs.readFileSync(path.join(dir, name))], name));
  const fromFiles = await cnn.loadModel(cnn.io.fromTfjs(files));
  assert.ok(maxAbsDiff(fromFiles.predict(x).data, expected) < TOLERANCE);
  fromFiles.dispose();
  await assert.rejects(cnn.loadModel(cnn.io.fromTfjs(files.filter((f) => f.name !== 'group1-shard2of3.bin'))),
    /weight file 'group1-shard2of3.bin' is not among the files/);

  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    const file = path.join(tmp, 'converted', decodeURIComponent(req.url));
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const m = await cnn.loadModel(`${base}/b/model.json`);
    assert.ok(maxAbsDiff(m.predict(x).data, expected) < TOLERANCE);
    m.dispose();
    assert.deepEqual(requests, ['/b/model.json', '/b/group1-shard1of3.bin', '/b/group1-shard2of3.bin', '/b/group1-shard3of3.bin']);

    // A manifest naming anything outside model.json's directory is refused before any weight is read.
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    for (const evil of ['../secret.bin', '%2e%2e/secret.bin', '/secret.bin', 'http://example.com/w.bin', `${base}/secret.bin`, 'file:///etc/passwd']) {
      const evilDir = path.join(tmp, 'converted', 'evil');
      fs.mkdirSync(evilDir, { recursive: true });
      fs.writeFileSync(path.join(evilDir, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ paths: [evil], weights: json.weightsManifest[0].weights }] }));
      requests.length = 0;
      await assert.rejects(cnn.loadModel(`${base}/evil/model.json`), /outside the model's directory/, evil);
      assert.deepEqual(requests, ['/evil/model.json'], evil);
      await assert.rejects(cnn.loadModel(cnn.io.fromTfjs(evilDir)), /outside the model's directory/, evil);
    }
    await assert.rejects(cnn.loadModel(`${base}/missing/model.json`), /could not fetch .*HTTP 404/);
  } finally {
    server.close();
  }
});

/** Half-precision bits of a normal float or zero (round to nearest even), to write float16-quantized weights. */
function toHalf(v) {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0];
  const sign = (u >> 16) & 0x8000;
  if ((u & 0x7fffffff) === 0) return sign;
  const exp = ((u >> 23) & 0xff) - 127 + 15;
  assert.ok(exp > 0 && exp < 31, `${v} is not a normal float16`);
  let h = sign | (exp << 10) | ((u & 0x7fffff) >> 13);
  const rest = u & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h += 1;
  return h;
}

test('import: Keras-style model.json (model_config, InputLayer, index names, quantized shards)', async () => {
  // The form tensorflowjs_converter writes for a Keras model: names like 'conv2d/kernel' or, from
  // Keras 3, 'conv2d/0'; the topology inside model_config; the input shape on an InputLayer.
  const L = cnn.layers;
  const src = cnn.sequential({ inputShape: [6, 6, 2], seed: 5, layers: [
    L.conv2d({ name: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' }),
    L.batchNormalization({ name: 'batch_normalization' }),
    L.flatten({ name: 'flatten' }),
    L.dense({ name: 'dense', units: 4, activation: 'softmax' }),
  ] });
  const w = src.getWeights();
  w[1].data.set([0.1, -0.2, 0.3]);     // conv2d bias
  w[3].data.set([0.5, -0.25, 1.5]);    // beta
  w[7].data.set([0.05, -0.05, 0.1, 0]); // dense bias
  w[4].data.set([0.1, 0.2, -0.3]);     // moving_mean
  w[5].data.set([0.9, 1.1, 1.3]);      // moving_variance
  src.setWeights(w);
  const topology = cnn.toTfjsArtifacts(src).modelTopology;
  const layers = topology.config.layers.map((l) => ({ ...l, config: { ...l.config } }));
  const { batch_input_shape: shape } = layers[0].config;
  delete layers[0].config.batch_input_shape;
  delete layers[0].config.dtype;
  const kerasTopology = {
    keras_version: '2.15.0', backend: 'tensorflow',
    model_config: { class_name: 'Sequential', config: { name: 'sequential', layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: shape, dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } },
      layers[0],
      // Identities here (relu after relu, dense's softmax moved into a layer), Keras' ReLU options written out.
      { class_name: 'ReLU', config: { name: 're_lu', trainable: true, dtype: 'float32', max_value: null, negative_slope: 0, threshold: 0 } },
      ...layers.slice(1, 3),
      { ...layers[3], config: { ...layers[3].config, activation: 'linear' } },
      { class_name: 'Softmax', config: { name: 'softmax', trainable: true, dtype: 'float32', axis: -1 } },
    ] } },
  };
  // conv2d kernel as float32 under a Keras 3 index name, its bias float16-quantized, batch norm's
  // statistics out of their usual order, the dense kernel uint8-quantized, the dense bias under a
  // name that matches nothing (taken by order within the layer).
  const parts = [];
  const specs = [];
  const f32 = (name, data, shape) => {
    specs.push({ name, shape, dtype: 'float32' });
    parts.push(new Uint8Array(Float32Array.from(data).buffer));
  };
  const byName = Object.fromEntries(w.map((x) => [`${x.layer}/${x.name}`, x]));
  f32('conv2d/0', byName['conv2d/kernel'].data, [3, 3, 2, 3]);
  const biasHalf = Uint16Array.from(byName['conv2d/bias'].data, toHalf);
  specs.push({ name: 'conv2d/1', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } });
  parts.push(new Uint8Array(biasHalf.buffer));
  for (const n of ['moving_variance', 'gamma', 'moving_mean', 'beta']) f32(`batch_normalization/${n}:0`, byName[`batch_normalization/${n}`].data, [3]);
  const kernel = byName['dense/kernel'].data;
  const min = Math.min(...kernel);
  const scale = (Math.max(...kernel) - min) / 255;
  specs.push({ name: 'dense/kernel', shape: byName['dense/kernel'].shape, dtype: 'float32', quantization: { dtype: 'uint8', min, scale } });
  parts.push(Uint8Array.from(kernel, (v) => Math.round((v - min) / scale)));
  f32('dense/b', byName['dense/bias'].data, [4]);

  const dir = path.join(tmp, 'keras');
  fs.mkdirSync(dir, { recursive: true });
  parts.forEach((p, i) => fs.writeFileSync(path.join(dir, `group1-shard${i + 1}of${parts.length}.bin`), p));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0', modelTopology: kerasTopology,
    weightsManifest: [{ paths: parts.map((p, i) => `group1-shard${i + 1}of${parts.length}.bin`), weights: specs }],
  }));

  const model = await cnn.loadModel(path.join(dir, 'model.json'));
  const got = Object.fromEntries(model.getWeights().map((x) => [`${x.layer}/${x.name}`, x.data]));
  assert.deepEqual(got['conv2d/kernel'], byName['conv2d/kernel'].data);
  for (const n of ['gamma', 'beta', 'moving_mean', 'moving_variance']) assert.deepEqual(got[`batch_normalization/${n}`], byName[`batch_normalization/${n}`].data);
  assert.deepEqual(got['dense/bias'], byName['dense/bias'].data);
  got['conv2d/bias'].forEach((v, i) => assert.ok(Math.abs(v - byName['conv2d/bias'].data[i]) <= 1e-3 * Math.abs(v) + 1e-7, 'float16 bias'));
  got['dense/kernel'].forEach((v, i) => assert.ok(Math.abs(v - kernel[i]) <= scale / 2 + 1e-6, 'uint8 kernel'));
  assert.equal(model.metadata.tfjs.convertedBy, 'TensorFlow.js Converter v4.22.0');
  assert.deepEqual(model.layers.map((l) => `${l.name}:${l.className}`),
    ['conv2d:Conv2D', 're_lu:ReLU', 'batch_normalization:BatchNormalization', 'flatten:Flatten', 'dense:Dense', 'softmax:Softmax']);
  const x = cnn.tensor(Float32Array.from({ length: 5 * 72 }, (_, i) => Math.sin(i)), [5, 6, 6, 2]);
  const diff = maxAbsDiff(model.predict(x).data, src.predict(x).data);
  assert.ok(diff < 0.02, `only quantisation separates the two, got ${diff}`);
  model.dispose();
  src.dispose();
});

test('import: unsupported layers and options are refused, naming the layer and the option', async () => {
  const artifacts = await tfArtifacts(theirs.a);
  const edit = (fn) => {
    const copy = structuredClone({ ...artifacts, weightData: null });
    fn(copy.modelTopology.config.layers);
    return { ...copy, weightData: artifacts.weightData };
  };
  const conv = artifacts.modelTopology.config.layers[0].config.name;
  const dense = artifacts.modelTopology.config.layers[9].config.name;
  const cases = [
    [(l) => l.splice(9, 0, { class_name: 'LSTM', config: { name: 'lstm_1', units: 8 } }), /layer 'lstm_1' \(LSTM\): layer class 'LSTM' is not supported/],
    [(l) => { l[0].config.data_format = 'channels_first'; }, new RegExp(`layer '${conv}' \\(Conv2D\\): data_format "channels_first" is not supported`)],
    [(l) => { l[0].config.dilation_rate = [2, 2]; l[0].config.strides = [2, 2]; }, /strides \[2,2\] and dilationRate \[2,2\] cannot both be above 1/],
    [(l) => { l[9].config.activation = 'logSoftmax'; }, new RegExp(`layer '${dense}' \\(Dense\\): activation "logSoftmax" is not supported`)],
    [(l) => { l[3].config.padding = 'causal'; }, /\(Conv2D\): padding "causal" is not supported/],
    [(l) => { l[1].config.axis = 1; }, /\(BatchNormalization\): axis 1 is not supported/],
    [(l) => { l[0].config.dtype = 'float16'; }, /\(Conv2D\): dtype "float16" is not supported/],
    [(l) => { l[9].config.some_future_option = 3; }, /\(Dense\): some_future_option 3 is not supported/],
    [(l) => { l[0].config.batch_input_shape = [null, null, null, 1]; }, /input shape must be fully known/],
  ];
  for (const [fn, message] of cases) await assert.rejects(cnn.loadModel(edit(fn)), message);

  // Functional models are read (tests/js/tfjs_graph.test.mjs); a Sequential's layer list relabelled
  // 'Functional' lacks what a functional topology must have.
  const functional = { ...artifacts, modelTopology: { ...artifacts.modelTopology, class_name: 'Functional' } };
  await assert.rejects(cnn.loadModel(functional), /model 'sequential_1' has no input_layers \(a functional topology lists its inputs and outputs\)/);
  const unknown = { ...artifacts, modelTopology: { ...artifacts.modelTopology, class_name: 'Graph' } };
  await assert.rejects(cnn.loadModel(unknown), /model class 'Graph' is not supported \(wasmcnn reads Sequential and functional Model topologies\)/);
  const last = artifacts.weightSpecs.at(-1);
  assert.match(last.name, /moving_variance$/);
  await assert.rejects(cnn.loadModel({ ...artifacts, weightSpecs: artifacts.weightSpecs.slice(0, -1), weightData: artifacts.weightData.slice(0, -4 * last.shape[0]) }),
    new RegExp(`no weight data for ${last.name}`));
  const wrongShape = structuredClone(artifacts.weightSpecs);
  wrongShape[0].shape = [5, 5, 4, 1];
  await assert.rejects(cnn.loadModel({ ...artifacts, weightSpecs: wrongShape }), /has shape \[5,5,4,1\], layer .* expects kernel of shape \[5,5,1,4\]/);
  await assert.rejects(cnn.loadModel({ ...artifacts, weightData: artifacts.weightData.slice(0, 100) }), /weight data ends at byte 100/);
  await assert.rejects(cnn.loadModel({ ...artifacts, format: 'graph-model' }), /graph models can't be imported/);
  // A constraint only steers training: the model loads and says what it dropped.
  const m = await cnn.loadModel(edit((l) => { l[0].config.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } }; }));
  assert.deepEqual(m.metadata.tfjs.dropped, [`${conv}: kernel_constraint`]);
  m.dispose();
});

test('import and export dispose every model they make (no wasm memory growth)', async () => {
  const artifacts = await tfArtifacts(theirs.b);
  const m = await cnn.loadModel(artifacts);
  m.dispose();
  const before = cnn.memory().heapUsed;
  for (let i = 0; i < 20; i++) {
    const model = await cnn.loadModel(artifacts);
    cnn.toTfjsArtifacts(model);
    model.dispose();
    await assert.rejects(cnn.loadModel({ ...artifacts, weightData: artifacts.weightData.slice(0, 8) }));
  }
  assert.equal(cnn.memory().heapUsed, before);
  ours.dispose();
  Object.values(theirs).forEach((tm) => tm.dispose());
});
