// The spatial and convolution layers of issue 14 against TensorFlow.js 4.22 itself (CPU backend):
// each kind is built in TF.js with random weights, saved as TF.js saves it, imported with
// cnn.fromTfjsArtifacts, and must predict what TF.js predicts (<= 1e-4) on random inputs; then it is
// exported with cnn.toTfjsArtifacts, loaded back by tf.loadLayersModel, and must predict the same again.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as cnn from '../../web/lib/index.js';
import { maxAbsDiff, tfArtifacts } from './compare.mjs';

const TOLERANCE = 1e-4;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Deterministic values in [-1, 1). */
function random(n, seed) {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const tfPredict = (tm, x, shape) => tf.tidy(() => Array.from(tm.predict(tf.tensor(x, shape)).dataSync()));

/**
 * TF.js model -> wasmcnn (same predictions) -> TF.js (same predictions again). Returns the
 * imported wasmcnn model's first layer config, for checks on what the import read.
 */
async function roundTrip(tfLayers, inputShape, batch = 3, prepare = () => {}) {
  const tm = tf.sequential({ layers: tfLayers });
  prepare(tm);
  const shape = [batch, ...inputShape];
  const x = random(shape.reduce((a, b) => a * b, 1), 7);
  const want = tfPredict(tm, x, shape);

  const ours = cnn.fromTfjsArtifacts(await tfArtifacts(tm));
  const got = Array.from(ours.predict(cnn.tensor(x, shape)).data);
  assert.ok(maxAbsDiff(got, want) <= TOLERANCE, `import: max |diff| ${maxAbsDiff(got, want)}`);

  const back = await tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(ours)));
  const again = tfPredict(back, x, shape);
  assert.ok(maxAbsDiff(again, want) <= TOLERANCE, `export: max |diff| ${maxAbsDiff(again, want)}`);
  // Every layer comes back as its own class (ReLU included: it is a layer of its own, not an alias).
  assert.deepEqual(back.layers.map((l) => l.getClassName()), tm.layers.map((l) => l.getClassName()));
  const config = ours.layers[0].getConfig();
  back.dispose();
  tm.dispose();
  ours.dispose();
  return config;
}

const bias = { biasInitializer: 'randomNormal' };

test('DepthwiseConv2D: depthMultiplier, strides, padding, bias and activation match TF.js both ways', async () => {
  const L = tf.layers;
  const config = await roundTrip([L.depthwiseConv2d({ inputShape: [9, 8, 3], kernelSize: 3, depthMultiplier: 2, strides: 2,
    padding: 'same', activation: 'relu', ...bias })], [9, 8, 3]);
  assert.equal(config.depthMultiplier, 2);
  await roundTrip([L.depthwiseConv2d({ inputShape: [7, 7, 4], kernelSize: [3, 2], useBias: false }),
    L.depthwiseConv2d({ kernelSize: 5, padding: 'same', activation: 'tanh', ...bias })], [7, 7, 4]);
});

test('DepthwiseConv2D with dilationRate matches tf.depthwiseConv2d (TF.js\' layer ignores the rate)', async () => {
  const model = cnn.sequential({ inputShape: [9, 10, 3], seed: 4, layers: [
    cnn.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, dilationRate: [2, 3], padding: 'same', biasInitializer: 'glorotUniform' })] });
  const [w, b] = model.getWeights();
  const x = random(2 * 9 * 10 * 3, 11);
  const want = tf.tidy(() => Array.from(tf.depthwiseConv2d(tf.tensor(x, [2, 9, 10, 3]), tf.tensor(w.data, w.shape), 1, 'same', 'NHWC', [2, 3])
    .add(tf.tensor(b.data, b.shape)).dataSync()));
  assert.ok(maxAbsDiff(Array.from(model.predict(cnn.tensor(x, [2, 9, 10, 3])).data), want) <= TOLERANCE);
  model.dispose();
});

test('DepthwiseConv2D dilationRate across the format: TF.js-written models import as TF.js computes them; export refuses a rate TF.js would ignore', async () => {
  const L = tf.layers;
  const tm = tf.sequential({ layers: [L.depthwiseConv2d({ inputShape: [7, 7, 2], kernelSize: 3, dilationRate: 2, ...bias }),
    L.flatten(), L.dense({ units: 3 })] });
  const artifacts = await tfArtifacts(tm);
  const ours = cnn.fromTfjsArtifacts(artifacts);
  const x = random(2 * 7 * 7 * 2, 3);
  assert.ok(maxAbsDiff(Array.from(ours.predict(cnn.tensor(x, [2, 7, 7, 2])).data), tfPredict(tm, x, [2, 7, 7, 2])) <= TOLERANCE);
  const name = tm.layers[0].name;
  assert.ok(ours.metadata.tfjs.dropped.includes(`${name}: dilation_rate [2,2] (TF.js' DepthwiseConv2D ignores it)`));
  ours.dispose();
  // The same file as tensorflowjs_converter writes it for a Keras model: Keras dilates.
  const keras = cnn.fromTfjsArtifacts({ ...artifacts, convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { ...artifacts.modelTopology, config: { ...artifacts.modelTopology.config,
      layers: artifacts.modelTopology.config.layers.slice(0, 1) } },
    weightSpecs: artifacts.weightSpecs.slice(0, 2),
    weightData: artifacts.weightData.slice(0, 4 * (3 * 3 * 2 + 2)) });
  assert.deepEqual(keras.layers[0].getConfig().dilationRate, [2, 2]);
  assert.deepEqual(keras.outputShape, [null, 3, 3, 2]);
  assert.throws(() => cnn.toTfjsArtifacts(keras), /tfjs export: layer '.*' \(DepthwiseConv2D\): dilationRate \[2,2\] would be ignored by TF.js 4.22's DepthwiseConv2D/);
  keras.dispose();
  tm.dispose();
});

test('SeparableConv2D: weights in TF.js order, strides, dilation, depthMultiplier match TF.js both ways', async () => {
  const L = tf.layers;
  await roundTrip([L.separableConv2d({ inputShape: [8, 9, 3], filters: 5, kernelSize: 3, depthMultiplier: 2, strides: 2,
    padding: 'same', activation: 'relu', ...bias })], [8, 9, 3]);
  await roundTrip([L.separableConv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, dilationRate: 2, ...bias })], [10, 10, 2]);
});

test('Conv2D with dilationRate matches TF.js both ways', async () => {
  const L = tf.layers;
  const config = await roundTrip([L.conv2d({ inputShape: [11, 10, 3], filters: 4, kernelSize: 3, dilationRate: [2, 3], ...bias }),
    L.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'relu', ...bias })], [11, 10, 3]);
  assert.deepEqual(config.dilationRate, [2, 3]);
});

test('ZeroPadding2D (asymmetric) and Cropping2D match TF.js both ways', async () => {
  const L = tf.layers;
  const pad = await roundTrip([L.zeroPadding2d({ inputShape: [5, 4, 2], padding: [[0, 2], [1, 3]] }),
    L.conv2d({ filters: 2, kernelSize: 3, ...bias }), L.zeroPadding2d({ padding: 1 }),
    L.cropping2D({ cropping: [[1, 0], [2, 1]] }), L.cropping2D({ cropping: 1 })], [5, 4, 2]);
  assert.deepEqual(pad.padding, [[0, 2], [1, 3]]);
  // MobileNet v1's stride-2 blocks: ZeroPadding2D(((0, 1), (0, 1))) then a 'valid' depthwise conv.
  await roundTrip([L.zeroPadding2d({ inputShape: [8, 8, 3], padding: [[0, 1], [0, 1]] }),
    L.depthwiseConv2d({ kernelSize: 3, strides: 2, ...bias })], [8, 8, 3]);
});

test('UpSampling2D nearest and bilinear, GlobalMaxPooling2D and Reshape (with -1) match TF.js both ways', async () => {
  const L = tf.layers;
  await roundTrip([L.upSampling2d({ inputShape: [3, 4, 2], size: [2, 3] }), L.upSampling2d({ interpolation: 'bilinear' })], [3, 4, 2]);
  await roundTrip([L.conv2d({ inputShape: [6, 5, 2], filters: 3, kernelSize: 2, ...bias }), L.globalMaxPooling2d({})], [6, 5, 2]);
  const config = await roundTrip([L.reshape({ inputShape: [12], targetShape: [-1, 2, 2] }), L.upSampling2d({})], [12]);
  assert.deepEqual(config.targetShape, [-1, 2, 2]);
});

test('the new options are checked by the core, naming the layer and the option', () => {
  assert.throws(() => cnn.layers.zeroPadding2d({ name: 'p', padding: [[1, 2], [3]] }), /^Error: zeroPadding2d 'p': padding must be an integer in \[0, 1048576\], a pair \[height, width\] of them or \[\[top, bottom\], \[left, right\]\], got \[\[1,2\],\[3\]\]/);
  assert.throws(() => cnn.layers.reshape({ targetShape: [-1, -1] }), /targetShape must be an array of 1 to 3 positive integers \(below 2\^31\), one of which may be -1/);
  assert.throws(() => cnn.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 0 }), /depthwiseConv2d: depthMultiplier/);
  assert.throws(() => cnn.layers.upSampling2d({ interpolation: 'bicubic' }), /upSampling2d: unknown interpolation "bicubic" \(known: nearest, bilinear\)/);
  assert.throws(() => cnn.sequential({ inputShape: [4, 4, 1], layers: [cnn.layers.cropping2d({ cropping: [[2, 2], [0, 0]] })] }),
    /cropping2d 'cropping2d_1': cropping \[\[2,2\],\[0,0\]\] leaves nothing of the input \[4,4,1\]/);
  assert.throws(() => cnn.sequential({ inputShape: [8, 8, 1], layers: [cnn.layers.conv2d({ filters: 1, kernelSize: 3, strides: 2, dilationRate: 2 })] }),
    /strides \[2,2\] and dilationRate \[2,2\] cannot both be above 1/);
});

/** A small MobileNet-style model and a two-class task it can learn. */
function mobileNetish() {
  const L = cnn.layers;
  const model = cnn.sequential({ inputShape: [8, 8, 1], seed: 5, layers: [
    L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    L.zeroPadding2d({ padding: [[0, 1], [0, 1]] }),
    L.depthwiseConv2d({ kernelSize: 3, strides: 2, activation: 'relu' }),
    L.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    L.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2 }),
    L.cropping2d({ cropping: [[1, 1], [1, 1]] }),
    L.upSampling2d({ interpolation: 'bilinear' }),
    L.globalMaxPooling2d(),
    L.dense({ units: 2, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy' });
  // Class 1: a bright square in the top-left quadrant; class 0: in the bottom right.
  const n = 64;
  const x = new Float32Array(n * 64);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    const r0 = y[i] ? 1 : 5, c0 = y[i] ? 1 : 5;
    for (let r = r0; r < r0 + 2; r++) for (let c = c0; c < c0 + 2; c++) x[i * 64 + r * 8 + c] = 1;
  }
  return { model, x: cnn.tensor(x, [n, 8, 8, 1]), y: cnn.tensor(y, [n]) };
}

test('a small MobileNet-style stack of the new layers trains (loss falls), and in a worker to the same weights bit for bit', async () => {
  const { model, x, y } = mobileNetish();
  const { model: trained, history: remote } = await cnn.trainInWorker(model, x, y, { epochs: 30, batchSize: 16 });
  const history = await model.fit(x, y, { epochs: 30, batchSize: 16 });
  const losses = history.history.loss;
  assert.ok(losses.at(-1) < losses[0] * 0.3, `loss ${losses[0]} -> ${losses.at(-1)}`);
  assert.deepEqual(remote.history.loss, losses);
  const [a, b] = [model.getWeights(), trained.getWeights()];
  assert.ok(a.length === b.length && a.every((w, i) => w.data.every((v, k) => v === b[i].data[k])), 'worker weights differ');
  model.dispose();
  trained.dispose();
});

test('Conv2DTranspose (same and valid, strides) and Permute match TF.js both ways', async () => {
  const L = tf.layers;
  await roundTrip([L.conv2dTranspose({ inputShape: [4, 5, 3], filters: 2, kernelSize: 3, strides: 2, padding: 'same', ...bias }),
    L.conv2dTranspose({ filters: 3, kernelSize: [2, 3], strides: [1, 2], activation: 'relu', ...bias })], [4, 5, 3]);
  await roundTrip([L.conv2dTranspose({ inputShape: [3, 3, 2], filters: 2, kernelSize: 1, strides: 3, ...bias })], [3, 3, 2]);
  const config = await roundTrip([L.permute({ inputShape: [2, 3, 4], dims: [3, 1, 2] }), L.flatten(), L.dense({ units: 3, ...bias })], [2, 3, 4]);
  assert.deepEqual(config.dims, [3, 1, 2]);
});

test('a MobileNetV1-style stack built in TF.js (alpha 0.25 blocks, ZeroPadding2D before stride 2) imports and exports', async () => {
  const L = tf.layers;
  const block = (filters, strides) => [
    ...(strides === 2 ? [L.zeroPadding2d({ padding: [[0, 1], [0, 1]] })] : []),
    L.depthwiseConv2d({ kernelSize: 3, strides, padding: strides === 2 ? 'valid' : 'same', useBias: false }),
    L.batchNormalization(), L.reLU(),
    L.conv2d({ filters, kernelSize: 1, useBias: false }), L.batchNormalization(), L.reLU(),
  ];
  const layers = [
    L.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
    L.batchNormalization(), L.reLU(),
    ...block(16, 1), ...block(32, 2), ...block(32, 1), ...block(64, 2), ...block(64, 1),
    L.globalAveragePooling2d({}), L.dropout({ rate: 0.1 }), L.dense({ units: 5, activation: 'softmax' }),
  ];
  // Batch-norm statistics as a trained model has them (TF.js' fresh ones are 0 and 1).
  const trainedNorms = (tm) => {
    let seed = 20;
    for (const l of tm.layers.filter((x) => x.getClassName() === 'BatchNormalization')) {
      const c = l.getWeights()[0].shape[0];
      const [gamma, beta, mean] = [random(c, seed++), random(c, seed++), random(c, seed++)];
      const variance = random(c, seed++).map((v) => 0.5 + v * v);
      l.setWeights([gamma, beta, mean, variance].map((v) => tf.tensor(v, [c])));
    }
  };
  await roundTrip(layers, [32, 32, 3], 4, trainedNorms);
});
