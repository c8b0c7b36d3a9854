// Where the time of model.predict goes outside the core: for a Flatten-only model on a 2 MB batch,
// LeNet on one image and on 256, and MobileNetV1 0.25 (128x128x3) on 16, the whole call against its
// parts: the core's forward pass alone (on input already staged), the check of x, the staging copy,
// and a fresh Float32Array of the output's size filled from wasm memory (what any API that hands
// back a new array pays, TF.js' dataSync included). Prints a table; asserts nothing.
//
//   taskset -c 0 node bench/micro/predict_overhead.mjs
//
// The parts use Model's internal methods (_checkX, _stage, _handle): they are the predict path's
// own steps, timed one by one. Medians of 7 runs after a warm-up, in CPU time (see median()).
import * as cnn from '../../web/lib/index.js';
import { mobilenetV1, randomImages } from '../modern_models.mjs';

await cnn.ready();
const L = cnn.layers;
const lenet = () => cnn.sequential({
  inputShape: [28, 28, 1], seed: 1, layers: [
    L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
    L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 84, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
  ],
});
const cases = [
  ['Flatten only, 256 x [32,32,2] (2 MB)', () => cnn.sequential({ inputShape: [32, 32, 2], seed: 1, layers: [L.flatten()] }), [32, 32, 2], 256],
  ['LeNet, 1 image', lenet, [28, 28, 1], 1],
  ['LeNet, batch 256', lenet, [28, 28, 1], 256],
  ['MobileNetV1 0.25 128x128x3, batch 16', (c) => mobilenetV1(c), [128, 128, 3], 16],
];

// CPU time (user + system) of this process, which other processes sharing the core do not inflate:
// on this loaded machine a wall-clock figure can be 3x the CPU time. The system share is mostly the
// kernel handing out fresh pages for new arrays.
function median(fn, calls) {
  const runs = [];
  for (let r = 0; r < 7; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const c = process.cpuUsage(c0);
    runs.push((c.user + c.system) / 1e3 / calls);
  }
  return runs.sort((a, b) => a - b)[3];
}

console.log('model.predict and its parts, CPU ms per call (median of 7 runs)');
console.log(`${'case'.padEnd(40)} ${'predict'.padStart(9)} ${'core'.padStart(9)} ${'check x'.padStart(9)} ${'stage'.padStart(9)} ${'new out'.padStart(9)} ${'rest'.padStart(9)}`);
for (const [name, build, shape, n] of cases) {
  const model = build(cnn);
  const x = cnn.tensor(randomImages(n, shape), [n, ...shape]);
  const h = model._handle();
  const outSize = n * h.outputShape().reduce((a, b) => a * b, 1);
  const calls = Math.max(3, Math.min(2000, Math.round(2e6 / x.size)));
  for (let i = 0; i < calls; i++) model.predict(x);
  const whole = median(() => model.predict(x), calls);
  const check = median(() => model._checkX(x, 'predict'), calls);
  const stage = median(() => model._stage(x, null, 0, n), calls);
  const { xp } = model._stage(x, null, 0, n);
  const core = median(() => h.predict(xp, n), calls);
  const view = h.predict(xp, n);
  const fresh = median(() => new Float32Array(outSize).set(view), calls); // each result dropped, as the loop drops predict's
  const rest = whole - core - check - stage - fresh;
  console.log(`${name.padEnd(40)} ${[whole, core, check, stage, fresh, rest].map((v) => v.toFixed(3).padStart(9)).join(' ')}`);
  model.dispose();
}
