// TensorFlow.js 4.22 on its pure-JavaScript 'cpu' backend: trains and infers.
import { BATCH, CLASSES, SEED, accuracyOf } from './common.mjs';
import { lenet, predict, setWeights } from './tf_lenet.mjs';

export const name = 'TF.js (cpu)';
export const canTrain = true;

let tf = null;
let data = null;
let model = null;
const trainSets = new Map();

export async function setup(d) {
  tf = await import('@tensorflow/tfjs');
  tf.enableProdMode(); // as TF.js recommends for speed; also silences its "install tfjs-node" banner
  if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') failed");
  data = d;
  return { version: tf.version.tfjs, detail: 'backend cpu' };
}

export async function init() {
  model?.dispose();
  model = lenet(tf, SEED);
}

function trainSet(count) {
  if (!trainSets.has(count)) {
    const y = new Float32Array(count * CLASSES);
    for (let i = 0; i < count; i++) y[i * CLASSES + data.yTrain[i]] = 1;
    trainSets.set(count, { x: tf.tensor4d(data.xTrain.subarray(0, count * 784), [count, 28, 28, 1]), y: tf.tensor2d(y, [count, CLASSES]) });
  }
  return trainSets.get(count);
}

export async function train(epoch, { count = data.nTrain } = {}) {
  const { x, y } = trainSet(count);
  await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
}

export async function accuracy() {
  return accuracyOf(predict(tf, model, data.xTest, data.nTest, 256), data.yTest);
}

export async function predictOne(x) {
  return predict(tf, model, x, 1, 1);
}

export async function predictBatch(x, n) {
  return predict(tf, model, x, n, 256);
}

export function memory() {
  return { bytes: null, detail: 'no wasm (JavaScript heap)' };
}

export function loadWeights(list) {
  setWeights(tf, model, list);
}

export async function dispose() {
  model?.dispose();
  model = null;
  for (const { x, y } of trainSets.values()) tf.dispose([x, y]);
  trainSets.clear();
}
