// Shared test fixtures: the models the JS suites train, and bit-exact weight comparison.
import * as cnn from '../../web/lib/index.js';

const L = cnn.layers;

/** LeNet-5 as the issues define it; `seed` undefined means the library's default, 42. */
export function lenet(seed) {
  return cnn.sequential({ inputShape: [28, 28, 1], ...(seed === undefined ? {} : { seed }), layers: [
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

/** A small CNN that trains in well under a second on 512 digits; `extra` layers go before the head. */
export function small(seed = 1, extra = []) {
  return cnn.sequential({ inputShape: [28, 28, 1], seed, layers: [
    L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    ...extra,
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
}

export function sameBits(a, b) {
  return a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** getWeights() lists equal layer by layer, name by name, bit for bit. */
export function sameWeights(wa, wb) {
  return wa.length === wb.length && wa.every((w, i) => w.layer === wb[i].layer && w.name === wb[i].name && sameBits(w.data, wb[i].data));
}
