// Bad input: every case throws (or rejects with) a plain Error whose message names the call, the
// option or layer, and the offending value; and the module stays usable afterwards (the same model
// still predicts exactly what it did before, so no failed call trained, moved or corrupted anything).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.js';
import { small } from './fixtures.mjs';

const L = cnn.layers;


let model; // compiled with sparse labels; the target of most cases and the usability probe
let categorical; // compiled with categoricalCrossentropy
let x; // 16 digits
let y; // their labels
let baseline; // model.predict(x) before any error
let bytes; // model.save()

before(async () => {
  const sample = await cnn.data.mnistSample({ count: 16 });
  x = sample.images;
  y = sample.labels;
  model = small();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  categorical = small(2);
  categorical.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  baseline = model.predict(x).data;
  bytes = model.save();
});

after(() => {
  model.dispose();
  categorical.dispose();
});

/** x with one value replaced. */
function withValue(t, index, value) {
  const copy = t.slice(0);
  copy.data[index] = value;
  return copy;
}

const oneHot = (labels, k = 10) => {
  const out = new Float32Array(labels.length * k);
  labels.forEach((l, i) => { out[i * k + l] = 1; });
  return cnn.tensor(out, [labels.length, k]);
};

/** Runs fn on a new model (from make, default small()) and disposes it, however fn ends. */
async function withModel(fn, make = small) {
  const m = make();
  try {
    return await fn(m);
  } finally {
    m.dispose();
  }
}

const disposedModel = () => {
  const m = small();
  m.compile({ loss: 'sparseCategoricalCrossentropy' });
  m.dispose();
  return m;
};

// [what, call, message pattern]. Calls may throw or return a rejected promise.
const CASES = [
  // --- the shape and rank of x ---
  ['predict: x without a batch dimension', () => model.predict(cnn.tensor(new Float32Array(784), [28, 28, 1])),
    /^predict: expected x of shape \[n,28,28,1\], got \[28,28,1\]$/],
  ['predict: x without channels', () => model.predict(cnn.tensor(new Float32Array(2 * 784), [2, 28, 28])), /got \[2,28,28\]/],
  ['predict: channels first', () => model.predict(cnn.tensor(new Float32Array(2 * 784), [2, 1, 28, 28])), /expected x of shape \[n,28,28,1\], got \[2,1,28,28\]/],
  ['predict: wrong width', () => model.predict(cnn.tensor(new Float32Array(2 * 28 * 27), [2, 28, 27, 1])), /got \[2,28,27,1\]/],
  ['fit: wrong shape', () => model.fit(cnn.tensor(new Float32Array(2 * 784), [2, 784]), [1, 2]), /^fit: expected x of shape \[n,28,28,1\], got \[2,784\]$/],
  ['evaluate: wrong shape', () => model.evaluate(cnn.tensor(new Float32Array(784), [784]), [1]), /^evaluate: expected x of shape/],
  ['trainOnBatch: wrong shape', () => model.trainOnBatch(cnn.tensor(new Float32Array(784), [1, 784]), [1]), /^trainOnBatch: expected x of shape/],
  ['predict: a Tensor whose data is shorter than its shape', () => model.predict(new cnn.Tensor(new Float32Array(10), [2, 28, 28, 1])),
    /predict: x of shape \[2,28,28,1\] needs 1568 values, its data has 10/],
  ['predict: not a tensor', () => model.predict([1, 2, 3]), /^predict: expected a tensor \(cnn\.tensor\(data, shape\)\), got object$/],
  ['predict: null', () => model.predict(null), /predict: expected a tensor .*got null/],
  ['tensor: data and shape disagree', () => cnn.tensor(new Float32Array(10), [2, 5, 2]), /^tensor: shape \[2,5,2\] needs 20 values, got 10$/],
  ['tensor: a shape with a zero', () => cnn.tensor([], [0, 3]), /^tensor: shape must be an array of positive integers, got \[0,3\]$/],
  ['tensor: a string as data', () => cnn.tensor('abc', [3]), /^tensor: data must be a typed array or an array of numbers, got string$/],

  // --- labels that don't match x ---
  ['fit: fewer labels than samples', () => model.fit(x, y.slice(0, 15)), /^fit: x has 16 samples but y has 15$/],
  ['evaluate: more labels than samples', () => model.evaluate(x, [...y, 1]), /^evaluate: x has 16 samples but y has 17$/],
  ['trainOnBatch: label count', () => model.trainOnBatch(x.slice(0, 2), [1]), /^trainOnBatch: x has 2 samples but y has 1$/],
  ['fit: validationData label count', () => model.fit(x, y, { validationData: [x, y.slice(1)] }), /^fit: validationData: x has 16 samples but y has 15$/],
  ['categorical: one-hot rows of the wrong width', () => categorical.fit(x, oneHot(y, 9)),
    /^fit: expected y of shape \[16,10\] \(one row of 10 values per sample\), got \[16,9\]$/],
  ['categorical: class indices instead of one-hot rows', () => categorical.evaluate(x, y), /expected y of shape \[16,10\].*got \[16\]/],
  ['sparse: one-hot rows instead of class indices', () => model.fit(x, oneHot(y)),
    /^fit: expected y of shape \[16\] or \[16,1\] \(class indices, one per sample\), got \[16,10\]$/],
  ['y: a label tensor whose data is shorter than its shape', () => model.evaluate(x.slice(0, 2), new cnn.Tensor(new Float32Array(1), [2])),
    /evaluate: y of shape \[2\] needs 2 values, its data has 1/],

  // --- non-finite values ---
  ['predict: NaN in x', () => model.predict(withValue(x, 3 * 784 + 100, NaN)), /^predict: x value NaN at sample 3, element 100 is not finite$/],
  ['fit: Infinity in x', () => model.fit(withValue(x, 5, Infinity), y), /^fit: x value Infinity at sample 0, element 5 is not finite$/],
  ['evaluate: -Infinity in x', () => model.evaluate(withValue(x, 784 * 15, -Infinity), y), /x value -Infinity at sample 15, element 0/],
  ['trainOnBatch: NaN in x', () => model.trainOnBatch(withValue(x, 0, NaN), y), /^trainOnBatch: x value NaN/],
  ['fit: NaN in validation x', () => model.fit(x, y, { validationData: [withValue(x, 1, NaN), y] }), /^fit: validationData: x value NaN/],
  ['fit: NaN label', () => model.fit(x.slice(0, 3), [1, NaN, 2]), /^fit: y value NaN at index 1 is not finite$/],
  ['fit: Infinity label', () => model.fit(x.slice(0, 3), [1, 2, Infinity]), /^fit: y value Infinity at index 2 is not finite$/],
  ['categorical: NaN in a one-hot row', () => categorical.fit(x, withValue(oneHot(y), 33, NaN)), /^fit: y value NaN at index 33 is not finite$/],

  // --- labels out of range ---
  ['label 10 with 10 classes', () => model.fit(x.slice(0, 3), [1, 10, 2]), /^fit: label 10 of sample 1 is not a class index in \[0, 9\]$/],
  ['label -1', () => model.evaluate(x.slice(0, 3), [-1, 0, 2]), /^evaluate: label -1 of sample 0 is not a class index in \[0, 9\]$/],
  ['label 2.5', () => model.trainOnBatch(x.slice(0, 3), [1, 2, 2.5]), /label 2.5 of sample 2 is not a class index/],
  ['label 300 in an Int32Array', () => model.fit(x.slice(0, 2), new Int32Array([300, 1])), /label 300 of sample 0/],

  // --- batchSize, epochs and other numbers ---
  ['fit: batchSize 0', () => model.fit(x, y, { batchSize: 0 }), /^fit: batchSize must be a positive integer, got 0$/],
  ['fit: batchSize -8', () => model.fit(x, y, { batchSize: -8 }), /^fit: batchSize must be a positive integer, got -8$/],
  ['fit: batchSize 1.5', () => model.fit(x, y, { batchSize: 1.5 }), /^fit: batchSize must be a positive integer, got 1.5$/],
  ['fit: batchSize NaN', () => model.fit(x, y, { batchSize: NaN }), /^fit: batchSize must be a positive integer, got null$/],
  ['predict: batchSize 0', () => model.predict(x, { batchSize: 0 }), /^predict: batchSize must be a positive integer, got 0$/],
  ['evaluate: batchSize -3', () => model.evaluate(x, y, { batchSize: -3 }), /^evaluate: batchSize must be a positive integer, got -3$/],
  ['fit: epochs 0', () => model.fit(x, y, { epochs: 0 }), /^fit: epochs must be a positive integer, got 0$/],
  ['fit: epochs -1', () => model.fit(x, y, { epochs: -1 }), /^fit: epochs must be a positive integer, got -1$/],
  ['fit: epochs Infinity', () => model.fit(x, y, { epochs: Infinity }), /^fit: epochs must be a positive integer, got null$/],
  ['fit: validationSplit 1', () => model.fit(x, y, { validationSplit: 1 }), /^fit: validationSplit must be a number in \[0, 1\), got 1$/],
  ['fit: validationSplit that leaves nothing to train on', () => model.fit(x.slice(0, 1), y.slice(0, 1), { validationSplit: 0.5 }),
    /^fit: validationSplit 0.5 of 1 samples leaves an empty split$/],
  ['fit: initialEpoch past epochs', () => model.fit(x, y, { epochs: 2, initialEpoch: 2 }), /^fit: initialEpoch must be an integer in \[0, epochs\), got 2$/],
  ['learningRate NaN', () => { model.learningRate = NaN; }, /^model: learningRate must be a finite non-negative number, got NaN$/],
  ['lrMultiplier -1', () => { model.layers[0].lrMultiplier = -1; }, /^layer 'conv2d_1': lrMultiplier must be a finite non-negative number, got -1$/],

  // --- option names ---
  ['dense: unknown option', () => L.dense({ units: 10, unit: 3 }), /^dense: unknown option 'unit' \(known: units, activation, /],
  ['conv2d: snake_case option', () => L.conv2d({ filters: 3, kernel_size: 3 }), /^conv2d: unknown option 'kernel_size'/],
  ['maxPooling2d: unknown option', () => L.maxPooling2d({ pool: 2 }), /^maxPooling2d: unknown option 'pool'/],
  ['named layer: unknown option names the layer', () => L.dense({ name: 'head', units: 2, bias: false }), /^dense 'head': unknown option 'bias'/],
  ['conv2d: missing filters', () => L.conv2d({ kernelSize: 3 }), /^conv2d: missing option 'filters'$/],
  ['a hand-written spec with an unknown option', () => cnn.sequential({ inputShape: [4], layers: [{ className: 'Dense', config: { units: 2, unit: 3 } }] }),
    /^dense: unknown option 'unit'/],
  ['an unknown layer class', () => cnn.sequential({ inputShape: [4], layers: [{ className: 'LSTM', config: {} }] }), /^unknown layer class 'LSTM' \(known: Conv2D, Dense, /],
  ['sequential: unknown option', () => cnn.sequential({ input_shape: [4] }), /^sequential: unknown option 'input_shape' \(known: inputShape, seed, layers\)$/],
  ['compile: unknown option', () => withModel((m) => m.compile({ loss: 'mse', optimiser: 'adam' })), /^compile: unknown option 'optimiser'/],
  ['fit: unknown option', () => model.fit(x, y, { epoch: 2 }), /^fit: unknown option 'epoch' \(known: epochs, /],
  ['predict: unknown option', () => model.predict(x, { batch_size: 8 }), /^predict: unknown option 'batch_size' \(known: batchSize, verbose\)$/],
  ['fit: unknown augment option', () => model.fit(x, y, { augment: { rotate: 10 } }), /^fit: unknown augment option 'rotate'/],
  ['adam: unknown option', () => cnn.optimizers.adam({ lr: 0.1 }), /^optimizers\.adam: unknown option 'lr' \(known: learningRate, beta1, beta2, epsilon\)$/],
  ['earlyStopping: unknown option', () => cnn.callbacks.earlyStopping({ patient: 2 }), /^earlyStopping: unknown option 'patient'/],
  ['a callback with an unknown hook', () => model.fit(x, y, { callbacks: { onEpochFinished() {} } }), /^fit: unknown callback hook 'onEpochFinished'/],

  // --- names of activations, losses, optimizers, metrics ---
  ['dense: unknown activation', () => L.dense({ units: 10, activation: 'logSoftmax' }),
    /^dense: unknown activation "logSoftmax" \(known: linear, relu, sigmoid, tanh, softmax, relu6, elu, selu, swish, silu, gelu, hardSigmoid, softplus, softsign, mish\)$/],
  ['activation layer: unknown activation', () => L.activation({ activation: 'Relu' }), /^activation: unknown activation "Relu"/],
  ['conv2d: unknown initializer', () => L.conv2d({ filters: 2, kernelSize: 3, kernelInitializer: 'xavier' }), /^conv2d: unknown kernelInitializer "xavier"/],
  ['compile: unknown loss', () => withModel((m) => m.compile({ loss: 'hinge' })), /^compile: unknown loss "hinge" \(known: sparseCategoricalCrossentropy, /],
  ['compile: no loss', () => withModel((m) => m.compile({ optimizer: 'adam' })), /^compile: unknown loss undefined/],
  ['compile: unknown optimizer name', () => withModel((m) => m.compile({ loss: 'mse', optimizer: 'adagrad' })), /^compile: unknown optimizer 'adagrad' \(known: sgd, adam, rmsprop\)$/],
  ['compile: unknown optimizer record', () => withModel((m) => m.compile({ loss: 'mse', optimizer: { type: 'nadam' } })), /^compile: optimizer must be 'sgd', 'adam', 'rmsprop' or from cnn\.optimizers/],
  ['compile: unknown metric', () => withModel((m) => m.compile({ loss: 'mse', metrics: ['mae'] })), /^compile: unknown metric "mae" \(known: accuracy\)$/],
  ['sparse cross-entropy on one output unit', () => withModel((m) => m.compile({ loss: 'sparseCategoricalCrossentropy' }),
    () => cnn.sequential({ inputShape: [4], layers: [L.dense({ units: 1 })] })),
    /needs at least 2 output units, got 1/],
  ['fit before compile', () => withModel((m) => m.fit(x, y)), /^fit: the model is not compiled; call model\.compile\(\{optimizer, loss\}\) first$/],

  // --- shapes between layers ---
  ['dense straight after a convolution', () => cnn.sequential({ inputShape: [28, 28, 1], layers: [L.conv2d({ filters: 4, kernelSize: 3 }), L.dense({ units: 10 })] }),
    /^dense 'dense_1': expected a flat input \[features\], got \[26,26,4\]; add a flatten layer before it$/],
  ['a named dense added after pooling', () => withModel((m) => m.pop().pop().add(L.dense({ units: 10, name: 'classifier' }))),
    /^dense 'classifier': expected a flat input \[features\], got \[13,13,4\]; add a flatten layer before it$/],
  ['a convolution after flatten', () => cnn.sequential({ inputShape: [28, 28, 1], layers: [L.flatten(), L.conv2d({ filters: 2, kernelSize: 3 })] }),
    /^conv2d 'conv2d_1': expected an input of shape \[height,width,channels\], got \[784\]$/],
  ['a kernel larger than the image', () => cnn.sequential({ inputShape: [28, 28, 1], layers: [L.conv2d({ filters: 2, kernelSize: 30 })] }),
    /^conv2d 'conv2d_1': kernel \[30,30\] with 'valid' padding does not fit the input \[28,28,1\]$/],
  ['a duplicate layer name', () => cnn.sequential({ inputShape: [4], layers: [L.dense({ units: 2, name: 'a' }), L.dense({ units: 2, name: 'a' })] }),
    /duplicate layer name 'a'/],

  // --- sizes that cannot exist: an Error, not an abort of the wasm instance ---
  ['dense with 1e9 units', () => cnn.sequential({ inputShape: [784], layers: [L.dense({ units: 1e9 })] }),
    /^dense 'dense_1': shape \[784,1000000000\] has more than 2\^28 elements \(input shape \[784\]\)$/],
  ['an input of 1e6 x 1e6 pixels', () => cnn.sequential({ inputShape: [1e6, 1e6, 1], layers: [L.conv2d({ filters: 4, kernelSize: 3 })] }),
    /shape \[1000000,1000000,1\] has more than 2\^28 elements/],
  ['a convolution whose output is too large for one image', () => cnn.sequential({ inputShape: [28, 28, 1], layers: [L.conv2d({ filters: 1e6, kernelSize: 3 })] }),
    /conv2d 'conv2d_1'.*\[26,26,1000000\]/],
  ['units past 32 bits (would wrap around to 10)', () => L.dense({ units: 2 ** 32 + 10 }), /^dense: units must be a positive integer \(below 2\^31\), got 4294967306$/],
  ['an input dimension past 32 bits', () => cnn.sequential({ inputShape: [2 ** 32 + 4] }), /^sequential: inputShape must be 1 to 3 positive integers below 2\^31/],
  ['strides past 32 bits', () => L.conv2d({ filters: 2, kernelSize: 3, strides: 2 ** 32 + 1 }), /^conv2d: strides must be a positive integer \(below 2\^31\)/],

  // --- a disposed model ---
  ...['predict', 'evaluate', 'fit', 'trainOnBatch', 'summary', 'save', 'toBytes', 'getWeights', 'setWeights', 'compile',
    'pop', 'add', 'toSpec', 'countParams', 'activations', 'freeze', 'getLayer'].map((method) => [`a disposed model: ${method}()`, () => {
    const m = disposedModel();
    const args = { predict: [x], evaluate: [x, y], fit: [x, y], trainOnBatch: [x, y], setWeights: [[]], compile: [{ loss: 'mse' }],
      add: [L.flatten()], activations: [x], getLayer: [0] }[method] ?? [];
    return m[method](...args);
  }, /^model: this model was disposed; create or load a new one$/]),
  ...['layers', 'inputShape', 'outputShape', 'learningRate'].map((prop) => [`a disposed model: .${prop}`, () => disposedModel()[prop],
    /this model was disposed/]),
  ['a layer view of a disposed model', () => {
    const m = small();
    const [layer] = m.layers;
    m.dispose();
    return layer.name;
  }, /this model was disposed/],
  ['trainInWorker with a disposed model', () => cnn.trainInWorker(disposedModel(), x, y), /this model was disposed/],

  // --- options of the wrong type ---
  ['fit: options not an object', () => model.fit(x, y, 'fast'), /^fit: options must be an object$/],
  ['fit: epochs as a string', () => model.fit(x, y, { epochs: '2' }), /^fit: epochs must be a positive integer, got "2"$/],
  ['fit: batchSize as a string', () => model.fit(x, y, { batchSize: '32' }), /^fit: batchSize must be a positive integer, got "32"$/],
  ['fit: shuffle as a number', () => model.fit(x, y, { shuffle: 1 }), /^fit: shuffle must be true or false$/],
  ['fit: validationSplit as a string', () => model.fit(x, y, { validationSplit: '0.1' }), /^fit: validationSplit must be a number in \[0, 1\), got "0.1"$/],
  ['fit: validationData not [x, y]', () => model.fit(x, y, { validationData: { x, y } }), /^fit: validationData must be an array \[x, y\]$/],
  ['fit: a signal that is not an AbortSignal', () => model.fit(x, y, { signal: true }), /^fit: signal must be an AbortSignal$/],
  ['fit: callbacks not objects', () => model.fit(x, y, { callbacks: [() => {}] }), /^fit: each callback must be an object with hooks/],
  ['fit: a hook that is not a function', () => model.fit(x, y, { callbacks: { onEpochEnd: 'log' } }), /^fit: callback hook 'onEpochEnd' must be a function$/],
  ['fit: augment as a number', () => model.fit(x, y, { augment: 5 }), /^fit: augment must be an object/],
  ['fit: augment.rotation as a string', () => model.fit(x, y, { augment: { rotation: '10' } }), /^fit: augment\.rotation must be a number, got "10"$/],
  ['fit: yieldEvery negative', () => model.fit(x, y, { yieldEvery: -1 }), /^fit: yieldEvery must be a number of milliseconds >= 0$/],
  ['fit: y as a string', () => model.fit(x, 'labels'), /^fit: y must be labels \(an array or typed array\) or a tensor, got string$/],
  ['predict: options null', () => model.predict(x, null), /^predict: options must be an object/],
  ['predict: batchSize as a string', () => model.predict(x, { batchSize: '8' }), /^predict: batchSize must be a positive integer, got "8"$/],
  ['compile: options null', () => withModel((m) => m.compile(null)), /^compile: options must be an object/],
  ['compile: metrics as a number', () => withModel((m) => m.compile({ loss: 'mse', metrics: 1 })), /^compile: unknown metric 1/],
  ['sequential: options null', () => cnn.sequential(null), /^sequential: options must be an object/],
  ['sequential: inputShape as a string', () => cnn.sequential({ inputShape: '28,28,1' }), /^sequential: inputShape must be 1 to 3 positive integers/],
  ['sequential: inputShape of rank 4', () => cnn.sequential({ inputShape: [1, 28, 28, 1] }), /^sequential: inputShape must be 1 to 3 positive integers/],
  ['sequential: a negative seed', () => cnn.sequential({ inputShape: [4], seed: -1 }), /^sequential: seed must be a non-negative integer, got -1$/],
  ['sequential: layers not an array', () => cnn.sequential({ inputShape: [4], layers: L.flatten() }), /^sequential: layers must be an array of cnn\.layers\.\* specs$/],
  ['sequential: a layer that is not a spec', () => cnn.sequential({ inputShape: [4], layers: ['dense'] }), /^expected a layer from cnn\.layers \(e\.g\. cnn\.layers\.dense\(\{units: 10\}\)\), got "dense"$/],
  ['dense: units as a string', () => L.dense({ units: '10' }), /^dense: units must be a positive integer \(below 2\^31\), got "10"$/],
  ['dense: options as a number', () => L.dense(10), /^dense: options must be an object, got 10$/],
  ['dense: useBias as a string', () => L.dense({ units: 2, useBias: 'no' }), /^dense: useBias must be true or false, got "no"$/],
  ['conv2d: kernelSize of three numbers', () => L.conv2d({ filters: 2, kernelSize: [3, 3, 3] }), /^conv2d: kernelSize must be a positive integer \(below 2\^31\) or a pair of them, got \[3,3,3\]$/],
  ['conv2d: padding full', () => L.conv2d({ filters: 2, kernelSize: 3, padding: 'full' }), /^conv2d: unknown padding "full" \(known: valid, same\)$/],
  ['dropout: rate 1', () => L.dropout({ rate: 1 }), /^dropout: rate must be a number in \[0, 0\.999999\], got 1$/],
  ['dense: a regularizer by name', () => L.dense({ units: 2, kernelRegularizer: 'l2' }), /^dense: kernelRegularizer must come from cnn\.regularizers/],
  ['regularizers.l2: negative', () => cnn.regularizers.l2({ l2: -1 }), /^regularizers\.l2: l2 must be a finite non-negative number, got -1$/],
  ['sgd: learningRate as a string', () => cnn.optimizers.sgd({ learningRate: '0.1' }), /^optimizers\.sgd: learningRate must be a finite non-negative number, got "0.1"$/],
  ['sgd: momentum 1', () => cnn.optimizers.sgd({ momentum: 1 }), /^optimizers\.sgd: momentum must be in \[0, 1\), got 1$/],
  ['sgd: nesterov as a string', () => cnn.optimizers.sgd({ nesterov: 'yes' }), /^optimizers\.sgd: nesterov must be true or false$/],
  ['tensor: scale as a string', () => cnn.tensor(new Uint8Array(4), [4], { scale: '1/255' }), /^tensor: scale must be a finite number, got "1\/255"$/],
  ['tensor: options null', () => cnn.tensor(new Uint8Array(4), [4], null), /^tensor: options must be an object/],
  ['freeze: a name instead of an array', () => model.freeze('conv2d_1'), /^freeze: expected an array of layer names or indices, got "conv2d_1"$/],
  ['freeze: an unknown layer', () => model.freeze(['conv9']), /^model: no layer "conv9" \(layers: conv2d_1, max_pooling2d_1, flatten_1, dense_1\)$/],
  ['trainable as a string', () => { model.layers[0].trainable = 'no'; }, /^layer 'conv2d_1': trainable must be true or false$/],
  ['metadata that JSON cannot hold', () => { model.metadata = { n: 1n }; }, /^model: metadata must be JSON-safe \(Do not know how to serialize a BigInt\)$/],
  ['setWeights: the wrong count', () => model.setWeights([new Float32Array(3)]), /^setWeights: expected 4 weight tensors, got 1$/],
  ['setWeights: the wrong length', () => model.setWeights(model.getWeights().map((w, i) => (i === 2 ? new Float32Array(5) : w))),
    /^layer 'dense_1' weight 'kernel': expected 6760 values for shape \[676,10\], got 5$/],
  ['setWeights: NaN', () => model.setWeights(model.getWeights().map((w, i) => (i === 1 ? new Float32Array(4).fill(NaN) : w))),
    /^layer 'conv2d_1' weight 'bias': value nan at index 0 is not finite$/],
  ['setWeights: records in the wrong order', () => model.setWeights(model.getWeights().reverse()), /^setWeights: weight 0 is 'dense_1\/bias', the model expects 'conv2d_1\/kernel'$/],
  ['earlyStopping: patience as a string', () => cnn.callbacks.earlyStopping({ patience: '2' }), /^earlyStopping: patience must be an integer >= 0$/],
  // Found before training starts, not after a whole epoch.
  ['earlyStopping on val_loss without validation data', () => model.fit(x, y, { callbacks: [cnn.callbacks.earlyStopping()] }),
    /^earlyStopping: metric 'val_loss' needs validation data; pass validationSplit or validationData to fit\(\)$/],
  ['reduceLROnPlateau on val_acc without validation data', () => model.fit(x, y, { callbacks: [cnn.callbacks.reduceLROnPlateau({ monitor: 'val_acc' })] }),
    /^reduceLROnPlateau: metric 'val_acc' needs validation data/],
  // This one is only known when the first epoch's logs exist (after training it): a model of its own.
  ['earlyStopping on a metric the logs lack', () => {
    const m = small();
    m.compile({ loss: 'sparseCategoricalCrossentropy' });
    return m.fit(x, y, { validationSplit: 0.25, callbacks: [cnn.callbacks.earlyStopping({ monitor: 'val_f1' })] }).finally(() => m.dispose());
  },
    /^earlyStopping: metric 'val_f1' is not in the epoch logs \(have: loss, acc, accuracy, val_loss, val_acc, val_accuracy, lr, seconds\)/],
  ['learningRateScheduler: not a function', () => cnn.callbacks.learningRateScheduler(0.1), /^learningRateScheduler: expects a schedule/],
  ['schedules.step: initial missing', () => cnn.schedules.step({}), /^schedules\.step: initial must be a positive number, got undefined$/],
  ['mnistSample: count 0', () => cnn.data.mnistSample({ count: 0 }), /^data\.mnistSample: count must be an integer in \[1, 10000\], got 0$/],
  ['save: an unknown handler string', () => model.save('s3://bucket/model'), /^save: expected 'downloads:\/\/name', 'indexeddb:\/\/name' or a handler, got "s3:\/\/bucket\/model"$/],

  // --- model files ---
  ['loadModel: garbage bytes', () => cnn.loadModel(Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)),
    /^model file: bad magic at byte offset 0 \(expected "WCNN"\): not a wasmcnn model/],
  ['loadModel: an empty file', () => cnn.loadModel(new Uint8Array(0)), /^model file: truncated at byte offset 0 reading magic/],
  ['loadModel: a text file', () => cnn.loadModel(new TextEncoder().encode('{"format":"layers-model"}')), /^model file: bad magic/],
  ...[1, 4, 7, 12, 100, 0.25, 0.5, 0.75, -100, -4, -1].map((cut) => [`loadModel: truncated at ${cut < 0 ? `${cut} bytes from the end` : cut < 1 ? `${cut * 100}%` : `${cut} bytes`}`,
    () => cnn.loadModel(bytes.slice(0, cut < 0 ? bytes.length + cut : cut < 1 ? Math.floor(bytes.length * cut) : cut)),
    /^model file: .*(truncated|left|damaged|corrupt)/]),
  ['loadModel: trailing bytes', () => {
    const longer = new Uint8Array(bytes.length + 10);
    longer.set(bytes);
    return cnn.loadModel(longer);
  }, /^model file: 10 unexpected bytes after the checksum/],
  ...[0.1, 0.5, 0.9].map((at) => [`loadModel: one flipped bit at ${at * 100}% of the file`, () => {
    const damaged = bytes.slice();
    damaged[Math.floor(damaged.length * at)] ^= 0x10;
    return cnn.loadModel(damaged);
  }, /^model file: .*(checksum|damaged|corrupt)/]),
  ['loadModel: a missing file', () => cnn.loadModel('no/such/model.wcnn'), /^loadModel: could not read .*no\/such\/model\.wcnn \(ENOENT\)$/],
  ['loadModel: a number', () => cnn.loadModel(42), /^loadModel: expected bytes, a URL, 'indexeddb:\/\/name' or a handler, got number$/],
  ['loadModel: null', () => cnn.loadModel(null), /got null$/],
];

function check(name, fn, pattern) {
  test(name, async () => {
    await assert.rejects(async () => fn(), (e) => {
      assert.equal(e?.constructor, Error, `expected a plain Error, got ${e?.constructor?.name}: ${e?.message}`);
      assert.match(e.message, pattern);
      return true;
    });
    // Still usable, and unchanged: the same model predicts exactly what it did before.
    const p = model.predict(x).data;
    assert.ok(Buffer.from(p.buffer).equals(Buffer.from(baseline.buffer)), 'predictions changed after the error');
  });
}

for (const [name, fn, pattern] of CASES) check(name, fn, pattern);

test('after all of that: loading, training and predicting still work, and failed calls leaked no wasm memory', async (t) => {
  // One more round of every case, measured: a failed call must free whatever it allocated (models
  // made by a failing sequential(), buffers of a failing loadModel()).
  const before = cnn.memory();
  for (const [, fn] of CASES) await Promise.resolve().then(fn).catch(() => {});
  const afterCases = cnn.memory();
  t.diagnostic(`heapUsed ${before.heapUsed} -> ${afterCases.heapUsed} bytes over ${CASES.length} failing calls`);
  assert.equal(afterCases.heapUsed, before.heapUsed);

  const loaded = await cnn.loadModel(bytes);
  assert.ok(Buffer.from(loaded.predict(x).data.buffer).equals(Buffer.from(baseline.buffer)));
  const h = await loaded.fit(x, y, { epochs: 2 });
  assert.ok(h.history.loss.every(Number.isFinite));
  loaded.dispose();
});
