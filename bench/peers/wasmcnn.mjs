// wasmcnn, through its public JavaScript API (web/lib), as a user would call it.
import { BATCH, OPTIMIZER, SEED } from './common.mjs';

export const name = 'wasmcnn';
export const canTrain = true;

let cnn = null;
let data = null;
let model = null;
let xTest = null;
const trainSets = new Map(); // count -> { x, y }, sliced once, outside the timed region

export async function setup(d) {
  cnn = await import('../../web/lib/index.js');
  await cnn.ready();
  data = d;
  xTest = cnn.tensor(d.xTest, [d.nTest, 28, 28, 1]);
  return { version: cnn.version, detail: 'SIMD build from web/lib' };
}

export async function init() {
  model?.dispose();
  model = cnn.sequential({
    inputShape: [28, 28, 1], seed: SEED, layers: [
      cnn.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      cnn.layers.maxPooling2d({ poolSize: 2 }),
      cnn.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      cnn.layers.maxPooling2d({ poolSize: 2 }),
      cnn.layers.flatten(),
      cnn.layers.dense({ units: 120, activation: 'relu' }),
      cnn.layers.dense({ units: 84, activation: 'relu' }),
      cnn.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: cnn.optimizers.sgd({ learningRate: OPTIMIZER.learningRate, momentum: OPTIMIZER.momentum }),
    loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'],
  });
}

function trainSet(count) {
  if (!trainSets.has(count)) {
    trainSets.set(count, {
      x: cnn.tensor(data.xTrain.subarray(0, count * 784), [count, 28, 28, 1]),
      y: data.yTrain.subarray(0, count),
    });
  }
  return trainSets.get(count);
}

/** One epoch over the first `count` training images, shuffled, batches of 32. */
export async function train(epoch, { count = data.nTrain } = {}) {
  const { x, y } = trainSet(count);
  await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: true });
}

export async function accuracy() {
  return model.evaluate(xTest, data.yTest).accuracy;
}

export async function predictOne(x) {
  return model.predict(cnn.tensor(x, [1, 28, 28, 1])).data;
}

export async function predictBatch(x, n) {
  return model.predict(cnn.tensor(x, [n, 28, 28, 1]), { batchSize: 256 }).data;
}

/** Linear memory of the wasm instance (it only grows, so after training it is the peak). */
export function memory() {
  const m = cnn.memory();
  return { bytes: m.wasmBytes, detail: `heap in use ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB` };
}

export function getWeights() {
  return model.getWeights();
}

export async function dispose() {
  model?.dispose();
  model = null;
}
