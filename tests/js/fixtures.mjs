// Shared test fixtures.
import * as cnn from '../../web/lib/index.js';

const L = cnn.layers;

/** LeNet-5 as the issues define it: conv 5x5x6 same, pool, conv 5x5x16, pool, dense 120, 84, 10. */
export function lenet(seed = 1) {
  return cnn.sequential({ inputShape: [28, 28, 1], seed, layers: [
    L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dense({ units: 120, activation: 'relu' }),
    L.dense({ units: 84, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
}
