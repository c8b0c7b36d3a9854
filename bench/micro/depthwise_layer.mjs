// The depthwiseConv2d *layer* forward through the library (predict on a one-layer model: the
// Embind call, the copies in and out and the kernel), next to a JavaScript copy of the same bytes
// in the same run. bench/micro/depthwise.mjs measures the kernel alone. Pin it to one core:
//
//   taskset -c 0 node bench/micro/depthwise_layer.mjs
//
// Columns: the MobileNet v1 (alpha 0.25, 128x128) depthwise shapes, batch 16; ms per predict
// (median [min-max] of 15 after a warm-up); base: ms per predict of a Flatten-only model on the same
// input (predict's own staging and copies, which the layer does not control); GB/s of the layer's
// share (predict - base), counting its input read and output written once; copy GB/s of
// Float32Array.set over the same bytes in the same run.
import * as cnn from '../../web/lib/index.js';

const BATCH = 16;
const SHAPES = [ // [h, w, c, strides]
  [64, 64, 8, 1], [64, 64, 16, 2], [32, 32, 32, 1], [32, 32, 32, 2], [16, 16, 64, 1], [16, 16, 64, 2], [8, 8, 128, 1],
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { med: s[s.length >> 1], min: s[0], max: s.at(-1) };
}

function time(fn, reps = 15) {
  for (let i = 0; i < 5; i++) fn();
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

console.log(`depthwiseConv2d layer forward, 3x3 'same', relu, batch ${BATCH}`);
console.log('shape (h,w,c,s)   predict ms [min-max]     base ms   layer GB/s   copy GB/s');
for (const [h, w, c, s] of SHAPES) {
  const x = cnn.tensor(Float32Array.from({ length: BATCH * h * w * c }, (_, i) => Math.sin(i)), [BATCH, h, w, c]);
  const model = cnn.sequential({ inputShape: [h, w, c], seed: 1, layers: [
    cnn.layers.depthwiseConv2d({ kernelSize: 3, strides: s, padding: 'same', activation: 'relu' })] });
  const identity = cnn.sequential({ inputShape: [h, w, c], layers: [cnn.layers.flatten()] });
  const outFloats = BATCH * Math.ceil(h / s) * Math.ceil(w / s) * c;
  const bytes = 4 * (x.data.length + outFloats);
  const layer = time(() => model.predict(x));
  const base = time(() => identity.predict(x));
  const src = new Float32Array(bytes / 4), dst = new Float32Array(bytes / 4);
  const copy = time(() => dst.set(src));
  const gbs = (ms) => (ms > 0 ? (bytes / (ms * 1e6)).toFixed(2) : '-');
  console.log(`${`${h},${w},${c},${s}`.padEnd(16)}  ${layer.med.toFixed(3).padStart(7)} [${layer.min.toFixed(3)}-${layer.max.toFixed(3)}]`.padEnd(44) +
    `${base.med.toFixed(3).padStart(7)}   ${gbs(layer.med - base.med).padStart(10)}   ${gbs(copy.med).padStart(9)}`);
  model.dispose();
  identity.dispose();
}
