// TF.js functional ('Model') topologies both ways, against @tensorflow/tfjs 4.22 itself (cpu backend):
// models built with tf.model() — a residual block (conv, batch norm, add), zero padding, reshape, a
// nested model — load into wasmcnn with the same predictions (<= 1e-4), in the Keras 2 form TF.js
// writes and in the Keras 3 form; wasmcnn graph models export as class 'Model' that
// tf.loadLayersModel reads back with the same predictions, and round-trip. Several inputs or outputs
// are refused by name; a shared layer becomes one copy per place (same weights, a warning).
// MobileNetV1, a MobileNetV2-style model and a model with every merge layer import, export, train
// and train in a worker.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as cnn from '../../web/lib/index.node.js';
import { maxAbsDiff, tfArtifacts } from './compare.mjs';

const TOLERANCE = 1e-4;
let digits;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  digits = await cnn.data.mnistSample({ count: 64 });
});

const tfPredict = (tm, x) => tf.tidy(() => tm.predict(tf.tensor(x.data, x.shape)).dataSync());

/** The imported model m predicts as TF.js' tm on xs, and so does TF.js given m exported back. */
async function assertSamePredictionsBothWays(m, tm, xs) {
  const want = tfPredict(tm, xs);
  assert.ok(maxAbsDiff(m.predict(xs).data, want) <= TOLERANCE, 'import');
  const back = await tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(m)));
  try {
    assert.ok(maxAbsDiff(tfPredict(back, xs), want) <= TOLERANCE, 'export');
  } finally {
    back.dispose();
  }
}

/** Random inputs in [0, 1), the same on every run. */
function images(n, shape, seed = 1) {
  let s = seed;
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n * size }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  });
  return cnn.tensor(data, [n, ...shape]);
}

/** Gives every BatchNormalization of a TF.js model statistics and scales that are not the identity. */
function randomizeBatchNorm(tm) {
  tm.layers.filter((l) => l.getClassName() === 'BatchNormalization').forEach((l, k) => {
    const c = l.getWeights()[0].shape[0];
    l.setWeights([
      tf.randomUniform([c], 0.5, 1.5, 'float32', 10 + k), tf.randomUniform([c], -0.3, 0.3, 'float32', 20 + k),
      tf.randomUniform([c], -0.5, 0.5, 'float32', 30 + k), tf.randomUniform([c], 0.5, 2, 'float32', 40 + k),
    ]);
  });
}

/** A residual TF.js model: conv, batch norm, conv, add (skip), zero padding, pooling, reshape, nested dense model. */
function tfResidual() {
  const x = tf.input({ shape: [12, 12, 3] });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', seed: 1 }).apply(x);
  const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(c1);
  const c2 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c2', biasInitializer: 'randomNormal' }).apply(bn);
  const sum = tf.layers.add({ name: 'skip' }).apply([c1, c2]);
  const padded = tf.layers.zeroPadding2d({ padding: 1, name: 'pad' }).apply(sum);
  const pooled = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(padded);
  const flat = tf.layers.reshape({ targetShape: [7 * 7 * 4], name: 'flat' }).apply(pooled);
  const hin = tf.input({ shape: [196] });
  const head = tf.model({ inputs: hin, outputs: tf.layers.dense({ units: 5, activation: 'softmax', name: 'probs' }).apply(hin), name: 'head' });
  const tm = tf.model({ inputs: x, outputs: head.apply(flat), name: 'residual' });
  randomizeBatchNorm(tm);
  return tm;
}

/** The same topology in Keras 3's form: Functional, batch_shape, DTypePolicy, { args, kwargs } nodes with keras_history. */
function toKeras3(topology) {
  const t = structuredClone(topology);
  const convert = (config) => {
    for (const l of config.layers) {
      const c = l.config;
      if (l.class_name === 'InputLayer') {
        c.batch_shape = c.batch_input_shape;
        delete c.batch_input_shape;
      } else if (l.class_name !== 'Model') {
        c.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
      }
      l.inbound_nodes = l.inbound_nodes.map((node) => {
        const tensors = node.map(([name, i, k]) => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [name, i, k] } }));
        return { args: tensors.length === 1 ? tensors : [tensors], kwargs: l.class_name === 'BatchNormalization' ? { training: false } : {} };
      });
      if (l.class_name === 'Model') {
        l.class_name = 'Functional';
        convert(c);
      }
    }
    config.input_layers = config.input_layers[0];
    config.output_layers = config.output_layers[0];
  };
  t.class_name = 'Functional';
  convert(t.config);
  return t;
}

test('a TF.js residual model with a nested model imports (Keras 2 form, as TF.js saves it) and predicts the same', async () => {
  const tm = tfResidual();
  const artifacts = await tfArtifacts(tm);
  assert.equal(artifacts.modelTopology.class_name, 'Model');
  const m = await cnn.loadModel(cnn.io.fromTfjs(artifacts));
  try {
    assert.ok(m.isGraph);
    assert.equal(m.name, 'residual');
    // The nested model is flattened: its dense layer reads the reshape directly.
    assert.deepEqual(m.layers.map((l) => l.name), ['c1', 'bn', 'c2', 'skip', 'pad', 'pool', 'flat', 'probs']);
    assert.deepEqual(m.getLayer('skip').input.map((t) => t.sourceLayer.name), ['c1', 'c2']);
    assert.equal(m.countParams(), tm.countParams());
    const x = images(16, [12, 12, 3]);
    assert.ok(maxAbsDiff(m.predict(x).data, tfPredict(tm, x)) <= TOLERANCE);
  } finally {
    m.dispose();
  }
});

test('the same model in the Keras 3 form (Functional, keras_history, batch_shape) imports and predicts the same', async () => {
  const tm = tfResidual();
  const artifacts = await tfArtifacts(tm);
  const keras3 = { ...artifacts, modelTopology: toKeras3(artifacts.modelTopology) };
  assert.ok(keras3.modelTopology.config.layers[1].inbound_nodes[0].args[0].config.keras_history);
  const m = cnn.fromTfjsArtifacts(keras3);
  try {
    assert.deepEqual(m.getLayer('skip').input.map((t) => t.sourceLayer.name), ['c1', 'c2']);
    const x = images(8, [12, 12, 3], 7);
    assert.ok(maxAbsDiff(m.predict(x).data, tfPredict(tm, x)) <= TOLERANCE);
  } finally {
    m.dispose();
  }
});

test('a wasmcnn graph model exports as a TF.js Model that tf.loadLayersModel reads with the same predictions; and back', async () => {
  const L = cnn.layers;
  const x = cnn.input({ shape: [28, 28, 1], name: 'pixels' });
  const stem = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  const branch = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'branch' }).apply(L.batchNormalization({ name: 'norm' }).apply(stem));
  const merged = L.add({ name: 'merge' }).apply([stem, branch]);
  const padded = L.zeroPadding2d({ padding: [1, 2] }).apply(merged);
  const pooled = L.averagePooling2d({ poolSize: 2 }).apply(padded);
  const out = L.dense({ units: 10, activation: 'softmax' }).apply(L.reshape({ targetShape: [15 * 16 * 6] }).apply(pooled));
  const model = cnn.model({ inputs: x, outputs: out, name: 'exported', seed: 4 });
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
  await model.fit(digits.images.slice(0, 64), digits.labels.slice(0, 64), { epochs: 1, batchSize: 16 }); // real BatchNorm statistics
  const artifacts = cnn.toTfjsArtifacts(model);
  assert.equal(artifacts.modelTopology.class_name, 'Model');
  assert.deepEqual(artifacts.modelTopology.config.input_layers, [['pixels', 0, 0]]);
  const tm = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const back = cnn.fromTfjsArtifacts(await tfArtifacts(tm));
  try {
    assert.equal(tm.layers.find((l) => l.name === 'merge').getClassName(), 'Add');
    const xs = digits.images.slice(0, 32);
    const ours = model.predict(xs).data;
    assert.ok(maxAbsDiff(tfPredict(tm, xs), ours) <= TOLERANCE);
    // TF.js saved it again; wasmcnn reads that: the same graph and the same numbers.
    assert.deepEqual(back.layers.map((l) => l.name), model.layers.map((l) => l.name));
    assert.deepEqual(back.getLayer('merge').input.map((t) => t.sourceLayer.name), ['stem', 'branch']);
    assert.ok(maxAbsDiff(back.predict(xs).data, ours) <= TOLERANCE);
    // Round trip through our own artifacts keeps everything, compile settings included.
    const again = cnn.fromTfjsArtifacts(artifacts);
    assert.deepEqual(again.compileConfig, model.compileConfig);
    assert.equal(again.name, 'exported');
    assert.ok(maxAbsDiff(again.predict(xs).data, ours) === 0);
    again.dispose();
  } finally {
    model.dispose();
    back.dispose();
    tm.dispose();
  }
});

test('a nested wasmcnn model exports flattened and TF.js predicts the same', async () => {
  const L = cnn.layers;
  const x = cnn.input({ shape: [28, 28, 1] });
  const body = cnn.model({ inputs: x, outputs: L.flatten().apply(L.conv2d({ filters: 3, kernelSize: 4, strides: 4, activation: 'relu' }).apply(x)), name: 'body', seed: 5 });
  const image = cnn.input({ shape: [28, 28, 1] });
  const whole = cnn.model({ inputs: image, outputs: L.dense({ units: 4 }).apply(body.apply(image)), name: 'whole', seed: 6 });
  const tm = await tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(whole)));
  try {
    const xs = digits.images.slice(0, 16);
    assert.ok(maxAbsDiff(tfPredict(tm, xs), whole.predict(xs).data) <= TOLERANCE);
  } finally {
    body.dispose();
    whole.dispose();
    tm.dispose();
  }
});

test('a Teachable-Machine-style export (a Sequential holding a functional base and a Sequential head) imports flattened', async () => {
  // Teachable Machine saves tf.sequential([truncatedMobileNet (a tf.model), head (a tf.sequential)]).
  const x = tf.input({ shape: [16, 16, 3] });
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'base_conv' }).apply(x);
  const r = tf.layers.add({ name: 'base_add' }).apply([c, tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'base_pw' }).apply(c)]);
  const base = tf.model({ inputs: x, outputs: tf.layers.globalAveragePooling2d({ name: 'base_pool' }).apply(r), name: 'truncated' });
  const head = tf.sequential({ name: 'head', layers: [
    tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu', name: 'head_hidden' }),
    tf.layers.dense({ units: 3, activation: 'softmax', name: 'head_out' }),
  ] });
  const tm = tf.sequential({ name: 'teachable' });
  tm.add(base);
  tm.add(head);
  const artifacts = await tfArtifacts(tm);
  assert.equal(artifacts.modelTopology.class_name, 'Sequential');
  const m = cnn.fromTfjsArtifacts(artifacts);
  try {
    assert.deepEqual(m.layers.map((l) => l.name), ['base_conv', 'base_pw', 'base_add', 'base_pool', 'head_hidden', 'head_out']);
    assert.deepEqual(m.inputShape, [null, 16, 16, 3]);
    await assertSamePredictionsBothWays(m, tm, images(8, [16, 16, 3], 5));
  } finally {
    m.dispose();
    tm.dispose();
  }
});

test('sequential models still export as Sequential', () => {
  const m = cnn.sequential({ inputShape: [4], layers: [cnn.layers.dense({ units: 2 })] });
  assert.equal(cnn.toTfjsArtifacts(m).modelTopology.class_name, 'Sequential');
  m.dispose();
});

test('a shared layer imports as one copy per place with the same weights, and says so', async () => {
  const x = tf.input({ shape: [6] });
  const shared = tf.layers.dense({ units: 6, activation: 'tanh', name: 'shared', biasInitializer: 'randomNormal' });
  const once = shared.apply(x);
  const merged = tf.layers.add({ name: 'sum' }).apply([once, shared.apply(once)]);
  const tm = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 3, name: 'out' }).apply(merged) });
  const warnings = [];
  const warn = console.warn;
  console.warn = (m) => warnings.push(m);
  let m;
  try {
    m = cnn.fromTfjsArtifacts(await tfArtifacts(tm));
  } finally {
    console.warn = warn;
  }
  try {
    assert.deepEqual(m.layers.map((l) => l.name), ['shared', 'shared_shared1', 'sum', 'out']);
    assert.deepEqual(m.getLayer('sum').input.map((t) => t.sourceLayer.name), ['shared', 'shared_shared1']);
    assert.match(warnings.join('\n'), /'shared' is a shared layer \(applied more than once\); wasmcnn gives each place its own copy with the same weights \(shared_shared1\)/);
    // Exported, the copies are two layers; TF.js predicts the same.
    await assertSamePredictionsBothWays(m, tm, images(10, [6], 9));
  } finally {
    m.dispose();
    tm.dispose();
  }
});

test('several inputs or outputs are refused by name on import', async () => {
  const a = tf.input({ shape: [4], name: 'a' });
  const b = tf.input({ shape: [4], name: 'b' });
  const two = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([a, b]) });
  assert.throws(() => cnn.fromTfjsArtifacts({ modelTopology: two.toJSON(null, false), weightSpecs: [], weightData: new ArrayBuffer(0) }),
    /has 2 inputs \(a, b\); wasmcnn models have one input and one output/);
  const outs = tf.model({ inputs: a, outputs: [tf.layers.dense({ units: 1 }).apply(a), tf.layers.dense({ units: 2 }).apply(a)] });
  assert.throws(() => cnn.fromTfjsArtifacts({ modelTopology: outs.toJSON(null, false), weightSpecs: [], weightData: new ArrayBuffer(0) }),
    /has 2 outputs/);
});

// --- MobileNet-class models: they need depthwiseConv2d (added on another branch) ---

/** MobileNetV1 as keras.applications builds it (alpha 0.25, 128x128x3), with TF.js layers and random weights. */
function tfMobileNetV1({ alpha = 0.25, size = 128, classes = 10 } = {}) {
  const relu6 = (name) => tf.layers.reLU({ maxValue: 6, name });
  const x = tf.input({ shape: [size, size, 3] });
  let h = tf.layers.conv2d({ filters: 32 * alpha, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1' }).apply(x);
  h = relu6('conv1_relu').apply(tf.layers.batchNormalization({ name: 'conv1_bn' }).apply(h));
  const blocks = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  blocks.forEach(([filters, stride], i) => {
    const id = i + 1;
    if (stride === 2) h = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: `conv_pad_${id}` }).apply(h);
    h = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 1 ? 'same' : 'valid', useBias: false, name: `conv_dw_${id}` }).apply(h);
    h = relu6(`conv_dw_${id}_relu`).apply(tf.layers.batchNormalization({ name: `conv_dw_${id}_bn` }).apply(h));
    h = tf.layers.conv2d({ filters: filters * alpha, kernelSize: 1, padding: 'same', useBias: false, name: `conv_pw_${id}` }).apply(h);
    h = relu6(`conv_pw_${id}_relu`).apply(tf.layers.batchNormalization({ name: `conv_pw_${id}_bn` }).apply(h));
  });
  h = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(h);
  const out = tf.layers.dense({ units: classes, activation: 'softmax', name: 'predictions' }).apply(h);
  const tm = tf.model({ inputs: x, outputs: out, name: 'mobilenet_0.25_128' });
  randomizeBatchNorm(tm);
  return tm;
}

/** A MobileNetV2-style model: inverted residual blocks (expand 1x1, depthwise 3x3, project 1x1, add). */
function tfMobileNetV2Style({ size = 32, classes = 10 } = {}) {
  const x = tf.input({ shape: [size, size, 3] });
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'stem' }).apply(x);
  h = tf.layers.reLU({ maxValue: 6 }).apply(tf.layers.batchNormalization({}).apply(h));
  const block = (input, channels, expand, stride, id) => {
    let y = tf.layers.conv2d({ filters: channels * expand, kernelSize: 1, useBias: false, name: `b${id}_expand` }).apply(input);
    y = tf.layers.reLU({ maxValue: 6 }).apply(tf.layers.batchNormalization({}).apply(y));
    y = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false, name: `b${id}_dw` }).apply(y);
    y = tf.layers.reLU({ maxValue: 6 }).apply(tf.layers.batchNormalization({}).apply(y));
    y = tf.layers.conv2d({ filters: channels, kernelSize: 1, useBias: false, name: `b${id}_project` }).apply(y);
    y = tf.layers.batchNormalization({}).apply(y);
    return stride === 1 && input.shape[3] === channels ? tf.layers.add({ name: `b${id}_add` }).apply([input, y]) : y;
  };
  h = block(h, 8, 3, 1, 1);
  h = block(h, 12, 3, 2, 2);
  h = block(h, 12, 3, 1, 3);
  h = tf.layers.globalAveragePooling2d({}).apply(h);
  const tm = tf.model({ inputs: x, outputs: tf.layers.dense({ units: classes, activation: 'softmax' }).apply(h) });
  randomizeBatchNorm(tm);
  return tm;
}

/**
 * Every merge layer TF.js has in one graph (TF.js 4.22 has no Subtract; wasmcnn's is checked in C++
 * and by the guard test), three branches combined by each kind, then concatenated.
 */
function tfEveryMerge({ size = 8, classes = 10 } = {}) {
  const x = tf.input({ shape: [size, size, 3] });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(x);
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'sigmoid' }).apply(x);
  const c = tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(x);
  const merged = [
    tf.layers.add().apply([a, b, c]), tf.layers.multiply().apply([a, b, c]),
    tf.layers.average().apply([a, c]), tf.layers.maximum().apply([a, b, c]), tf.layers.minimum().apply([b, c]),
  ];
  const joined = tf.layers.concatenate({ axis: -1 }).apply(merged);
  const y = tf.layers.dense({ units: classes, activation: 'softmax' }).apply(tf.layers.globalAveragePooling2d({}).apply(joined));
  return tf.model({ inputs: x, outputs: y });
}

for (const [name, build, shape] of [['MobileNetV1 (alpha 0.25, 128x128x3)', tfMobileNetV1, [128, 128, 3]],
  ['a MobileNetV2-style residual model', tfMobileNetV2Style, [32, 32, 3]],
  ['a model using every merge layer TF.js has (add, multiply, average, maximum, minimum, concatenate)', tfEveryMerge, [8, 8, 3]]]) {
  test(`${name} built with TF.js imports, predicts the same, exports back, trains, and trains in a worker`, async () => {
    const tm = build();
    const m = cnn.fromTfjsArtifacts(await tfArtifacts(tm));
    const tm2 = await tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(m)));
    try {
      const x = images(4, shape, 3);
      const expected = tfPredict(tm, x);
      assert.ok(maxAbsDiff(m.predict(x).data, expected) <= TOLERANCE);
      assert.ok(maxAbsDiff(tfPredict(tm2, x), expected) <= TOLERANCE);
      m.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
      const labels = Array.from({ length: 4 }, (_, i) => i % 10);
      const first = m.trainOnBatch(x, labels).loss;
      let last = first;
      for (let i = 0; i < 20; i++) last = m.trainOnBatch(x, labels).loss;
      assert.ok(last < first, `loss fell from ${first} to ${last}`);
      // The same graph trains in a worker: one epoch there moves the weights it was given.
      const { model: trained } = await cnn.trainInWorker(m, x, labels, { epochs: 1, batchSize: 4 });
      try {
        const given = m.getWeights();
        const moved = trained.getWeights().some((w, i) => w.data.some((v, k) => v !== given[i].data[k]));
        assert.ok(moved, 'the worker trained the graph');
        assert.equal(trained.layers.length, m.layers.length);
      } finally {
        trained.dispose();
      }
    } finally {
      m.dispose();
      tm.dispose();
      tm2.dispose();
    }
  });
}
