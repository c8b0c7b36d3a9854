// What every peer builds and how it trains, in one place, so that the peers differ only in the
// library that runs them.
//
// The model is LeNet-5 as wasmcnn's examples define it (TensorFlow.js layout, NHWC):
//   conv 5x5x6 'same' relu [28,28,1] -> [28,28,6], max-pool 2, conv 5x5x16 'valid' relu -> [10,10,16],
//   max-pool 2, flatten (NHWC order) -> 400, dense 120 relu, dense 84 relu, dense 10 softmax.
// The optimizer is SGD with momentum 0.9 (v = 0.9 v - lr g; w += v): ConvNetJS 0.3 has no Adam
// (its Trainer knows sgd, adagrad, windowgrad and adadelta), and every trainable peer has this one.
// The loss is the mean cross-entropy over a batch of 32.

export const BATCH = 32;
export const SEED = 7;
export const OPTIMIZER = { method: 'sgd', learningRate: 0.01, momentum: 0.9 };
export const IMAGE = 28 * 28;
export const CLASSES = 10;

/** Index of the largest of the 10 class scores of each row. */
export function argMax(p, n) {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (p[i * CLASSES + c] > p[i * CLASSES + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Fraction of the rows of p [n,10] whose largest score is at labels[i]. */
export function accuracyOf(p, labels) {
  const k = argMax(p, labels.length);
  let right = 0;
  for (let i = 0; i < labels.length; i++) right += k[i] === labels[i] ? 1 : 0;
  return right / labels.length;
}

/** A seeded shuffle of 0..n-1 (xorshift32, Fisher-Yates), for peers whose training loop is ours. */
export function shuffled(n, seed) {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    const j = s % (i + 1);
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
  }
  return idx;
}

/** The LeNet weight shapes, HWIO kernels and [in, units] dense kernels, as wasmcnn's getWeights() gives them. */
export const SHAPES = {
  conv1: [[5, 5, 1, 6], [6]], conv2: [[5, 5, 6, 16], [16]],
  dense1: [[400, 120], [120]], dense2: [[120, 84], [84]], dense3: [[84, 10], [10]],
};

/**
 * wasmcnn's getWeights() list as { conv1: { kernel, bias }, ..., dense3 } (Float32Arrays), taken in
 * layer order (layer names carry counters that depend on how many models were made before) and
 * checked against SHAPES.
 */
export function lenetWeights(list) {
  const names = Object.keys(SHAPES);
  if (list.length !== 2 * names.length) throw new Error(`weights: expected ${2 * names.length} tensors, got ${list.length}`);
  const out = {};
  names.forEach((n, i) => {
    const [k, b] = [list[2 * i], list[2 * i + 1]];
    const same = (a, s) => a.length === s.length && a.every((d, j) => d === s[j]);
    if (k.name !== 'kernel' || b.name !== 'bias' || !same(k.shape, SHAPES[n][0]) || !same(b.shape, SHAPES[n][1])) {
      throw new Error(`weights: ${n} should be kernel ${JSON.stringify(SHAPES[n][0])} and bias ${JSON.stringify(SHAPES[n][1])}, ` +
        `got ${k.layer}/${k.name} ${JSON.stringify(k.shape)} and ${b.layer}/${b.name} ${JSON.stringify(b.shape)}`);
    }
    out[n] = { kernel: Float32Array.from(k.data), bias: Float32Array.from(b.data) };
  });
  return out;
}

/** HWIO [kh,kw,ic,oc] -> [oc][kh][kw][ic] (one filter per output channel, each in HWC order). */
export function hwioToOhwi(k, [kh, kw, ic, oc]) {
  const out = new Float32Array(k.length);
  for (let o = 0; o < oc; o++) {
    for (let r = 0; r < kh * kw * ic; r++) out[o * kh * kw * ic + r] = k[r * oc + o];
  }
  return out;
}
