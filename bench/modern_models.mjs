// The models of the issue-#14 rows (bench/modern.mjs), as wasmcnn models, and their FLOP counts
// read off the built model's layer shapes. ReLU(6) stands where Keras' MobileNets put it; the
// MobileNetV2-style model is a functional graph with its skip connections (Add).

/** MobileNetV1 as keras.applications builds it (include_top, pooling 'avg' folded into a dense head). */
export function mobilenetV1(cnn, { alpha = 0.25, size = 128, classes = 1000, seed = 1 } = {}) {
  const L = cnn.layers;
  const f = (c) => Math.floor(c * alpha);
  const layers = [
    L.zeroPadding2d({ padding: [[0, 1], [0, 1]] }),
    L.conv2d({ filters: f(32), kernelSize: 3, strides: 2, useBias: false }),
    L.batchNormalization(), L.reLU({ maxValue: 6 }),
  ];
  // [pointwise filters, depthwise stride] of the 13 depthwise-separable blocks.
  const blocks = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  for (const [filters, stride] of blocks) {
    // Keras pads stride-2 depthwise convolutions by one row and column on the bottom and right, then runs them 'valid'.
    if (stride === 2) layers.push(L.zeroPadding2d({ padding: [[0, 1], [0, 1]] }));
    layers.push(
      L.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false }),
      L.batchNormalization(), L.reLU({ maxValue: 6 }),
      L.conv2d({ filters: f(filters), kernelSize: 1, useBias: false }),
      L.batchNormalization(), L.reLU({ maxValue: 6 }),
    );
  }
  layers.push(L.globalAveragePooling2d(), L.dense({ units: classes, activation: 'softmax' }));
  return cnn.sequential({ inputShape: [size, size, 3], seed, layers });
}

/** The CIFAR-sized VGG of issue #14: 3x3 convs 32-32-64-64 'same' relu, two max pools, dense 256, dense 10. */
export function vgg(cnn, { seed = 1 } = {}) {
  const L = cnn.layers;
  const conv = (filters) => L.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu' });
  return cnn.sequential({
    inputShape: [32, 32, 3], seed, layers: [
      conv(32), conv(32), L.maxPooling2d({ poolSize: 2 }),
      conv(64), conv(64), L.maxPooling2d({ poolSize: 2 }),
      L.flatten(), L.dense({ units: 256, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** A MobileNetV2-style model at 32x32x3 (CIFAR-sized, so that TF.js-cpu trains a few batches in the budget): stem, five inverted residual blocks (expansion 6, a skip connection where the shape allows), 1x1 to 128, pool, dense 10. */
export function mobilenetV2Style(cnn, { seed = 1 } = {}) {
  const L = cnn.layers;
  const bnRelu6 = (x) => L.reLU({ maxValue: 6 }).apply(L.batchNormalization().apply(x));
  const input = cnn.input({ shape: [32, 32, 3] });
  let x = bnRelu6(L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(input));
  let c = 16;
  for (const [out, stride] of [[16, 1], [24, 2], [24, 1], [32, 2], [32, 1]]) {
    let y = bnRelu6(L.conv2d({ filters: 6 * c, kernelSize: 1, useBias: false }).apply(x));
    if (stride === 2) y = L.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(y);
    y = bnRelu6(L.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false }).apply(y));
    y = L.batchNormalization().apply(L.conv2d({ filters: out, kernelSize: 1, useBias: false }).apply(y));
    x = stride === 1 && c === out ? L.add().apply([x, y]) : y;
    c = out;
  }
  x = bnRelu6(L.conv2d({ filters: 128, kernelSize: 1, useBias: false }).apply(x));
  const output = L.dense({ units: 10, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(x));
  return cnn.model({ inputs: input, outputs: output, seed });
}

/**
 * Multiply-add FLOPs (2 per MAC) per image of the convolutions and dense layers: forward, and
 * training (forward + weight gradient + input gradient, the first weighted layer's input gradient
 * left out since nobody needs it). Pooling, BN, activations and the loss are not counted: figures
 * from these are lower bounds on the layers' own rates.
 */
export function flopsOf(model) {
  let forward = 0;
  let train = 0;
  let first = true;
  for (const l of model.layers) {
    const c = l.getConfig();
    const [, ...inp] = l.inputShape;
    const [, ...out] = l.outputShape;
    const k = Array.isArray(c.kernelSize) ? c.kernelSize : [c.kernelSize, c.kernelSize];
    let f = 0;
    if (l.className === 'Conv2D') f = 2 * out[0] * out[1] * k[0] * k[1] * inp[2] * out[2];
    else if (l.className === 'DepthwiseConv2D') f = 2 * out[0] * out[1] * k[0] * k[1] * out[2];
    else if (l.className === 'Dense') f = 2 * inp.reduce((a, b) => a * b, 1) * out[0];
    if (!f) continue;
    forward += f;
    train += first ? 2 * f : 3 * f;
    first = false;
  }
  return { forward, train };
}

/** Seeded values in [lo, hi) (xorshift32), for the BatchNorm statistics of an untrained model. */
function uniform(n, lo, hi, state) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = state.s;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    state.s = s;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/**
 * Gives every BatchNormalization layer non-trivial gamma, beta, moving mean and variance (a fresh
 * model has 1, 0, 0, 1, which would leave the comparison blind to how BN is folded or ordered).
 */
export function randomizeBatchNorm(model, seed = 5) {
  const state = { s: seed >>> 0 || 1 };
  const range = { gamma: [0.5, 1.5], beta: [-0.2, 0.2], moving_mean: [-0.2, 0.2], moving_variance: [0.5, 1.5] };
  model.setWeights(model.getWeights().map((w) => {
    const r = range[w.name];
    return r && /batch_normalization/.test(w.layer) ? { ...w, data: uniform(w.data.length, r[0], r[1], state) } : w;
  }));
}

/** Seeded inputs in [0, 1) of n images of the given per-image shape. */
export function randomImages(n, shape, seed = 11) {
  return uniform(n * shape.reduce((a, b) => a * b, 1), 0, 1, { s: seed });
}
