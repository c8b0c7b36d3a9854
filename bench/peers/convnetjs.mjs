// ConvNetJS 0.3 (Karpathy): plain JavaScript, Float64 volumes, one image at a time; trains and infers.
// Its Trainer accumulates the gradients of batch_size single-image steps, then updates with their mean.
import { BATCH, CLASSES, IMAGE, OPTIMIZER, SEED, accuracyOf, hwioToOhwi, lenetWeights, shuffled } from './common.mjs';

export const name = 'ConvNetJS';
export const canTrain = true;

let convnetjs = null;
let data = null;
let net = null;
let trainer = null;
let vol = null; // the one input volume; every call copies its image into it

// The same LeNet-5: 'relu' on conv/fc inserts a ReLU layer; 'softmax' inserts the last 10-unit fc
// layer itself. Volumes are [y][x][depth] (HWC), so flattening follows wasmcnn's NHWC order.
const LAYERS = [
  { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
  { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
  { type: 'pool', sx: 2, stride: 2 },
  { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
  { type: 'pool', sx: 2, stride: 2 },
  { type: 'fc', num_neurons: 120, activation: 'relu' },
  { type: 'fc', num_neurons: 84, activation: 'relu' },
  { type: 'softmax', num_classes: CLASSES },
];

export async function setup(d) {
  const m = await import('convnetjs');
  convnetjs = m.default ?? m;
  data = d;
  vol = new convnetjs.Vol(28, 28, 1, 0.0);
  return { version: '0.3.0', detail: 'JavaScript, Float64' };
}

/** ConvNetJS initialises with Math.random: seed it (xorshift32) for the duration of makeLayers. */
export async function init() {
  const random = Math.random;
  let s = SEED;
  Math.random = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  try {
    net = new convnetjs.Net();
    net.makeLayers(LAYERS);
  } finally {
    Math.random = random;
  }
  trainer = new convnetjs.Trainer(net, {
    method: OPTIMIZER.method, learning_rate: OPTIMIZER.learningRate, momentum: OPTIMIZER.momentum, batch_size: BATCH, l2_decay: 0,
  });
}

function load(x, i) {
  const w = vol.w;
  for (let j = 0; j < IMAGE; j++) w[j] = x[i * IMAGE + j];
  return vol;
}

export async function train(epoch, { count = data.nTrain } = {}) {
  const idx = shuffled(count, SEED + epoch + 1);
  for (let i = 0; i < count; i++) trainer.train(load(data.xTrain, idx[i]), data.yTrain[idx[i]]);
}

export async function predictBatch(x, n) {
  const out = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i++) out.set(net.forward(load(x, i), false).w, i * CLASSES);
  return out;
}

export async function predictOne(x) {
  return Float32Array.from(net.forward(load(x, 0), false).w);
}

export async function accuracy() {
  return accuracyOf(await predictBatch(data.xTest, data.nTest), data.yTest);
}

export function memory() {
  return { bytes: null, detail: 'no wasm (JavaScript heap)' };
}

/** Sets the weights from wasmcnn's getWeights() list: each filter is one [kh][kw][ic] volume. */
export function loadWeights(list) {
  const w = lenetWeights(list);
  const layers = net.layers.filter((l) => l.layer_type === 'conv' || l.layer_type === 'fc');
  const shapes = [[5, 5, 1, 6], [5, 5, 6, 16], [1, 1, 400, 120], [1, 1, 120, 84], [1, 1, 84, 10]];
  Object.keys(w).forEach((k, li) => {
    const shape = shapes[li];
    const per = shape[0] * shape[1] * shape[2];
    const f = hwioToOhwi(w[k].kernel, shape);
    const layer = layers[li];
    layer.filters.forEach((v, o) => v.w.set(f.subarray(o * per, (o + 1) * per)));
    layer.biases.w.set(w[k].bias);
  });
}

export async function dispose() {
  net = null;
  trainer = null;
}
