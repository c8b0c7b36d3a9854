// LeNet-5 end to end through the Embind Model API: training images/s (batch 32, Adam),
// single-image predict latency, batch-256 predict throughput. Prints a table; asserts nothing.
//
//   taskset -c 0 node bench/micro/lenet.mjs [a/wasmcnn_core.mjs [b/wasmcnn_core.mjs ...]]
//
// Pin to one core (the two vCPUs here differ by up to 1.7x). With several modules (say, builds
// before and after a change) their timed runs are interleaved, so a load spike from another
// process hits them alike. Each figure is the median of the runs after a warm-up long enough for
// V8's optimising tier, with the best run and the min-max range alongside. Runs are timed by the
// process's CPU time (user + system), which other processes sharing the core do not inflate; the
// wall-clock median is printed too and matches it on an idle machine.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const paths = process.argv.slice(2).map((p) => resolve(p));
if (!paths.length) paths.push(fileURLToPath(new URL('../../web/lib/wasmcnn_core.mjs', import.meta.url)));
const RUNS = 11;

// [Keras class name, options] as Model.add(className, config) takes them.
const lenetLayers = [
  ['Conv2D', { filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }],
  ['MaxPooling2D', { poolSize: 2 }],
  ['Conv2D', { filters: 16, kernelSize: 5, activation: 'relu' }],
  ['MaxPooling2D', { poolSize: 2 }],
  ['Flatten', {}],
  ['Dense', { units: 120, activation: 'relu' }],
  ['Dense', { units: 84, activation: 'relu' }],
  ['Dense', { units: 10, activation: 'softmax' }],
];

// Deterministic pseudo-images: rings in [0,1] (not all-zero, so ReLU masks are realistic).
const N = 1024;
const images = new Float32Array(N * 784), labels = new Float32Array(N);
{
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < N; ++i) {
    const cx = 8 + 12 * rnd(), cy = 8 + 12 * rnd(), r = 3 + 5 * rnd();
    for (let p = 0; p < 784; ++p) {
      const d = Math.hypot((p % 28) - cx, Math.floor(p / 28) - cy);
      images[i * 784 + p] = Math.max(0, 1 - Math.abs(d - r) / 2) * (0.5 + 0.5 * rnd());
    }
    labels[i] = Math.floor(rnd() * 10);
  }
}

// One module under test: a LeNet-5 and the three workloads, each a function doing one timed run.
async function setup(path) {
  const { default: create } = await import(pathToFileURL(path).href);
  const bytes = await readFile(path.replace(/\.mjs$/, '.wasm'));
  const core = await create({
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(bytes, imports).then((r) => receive(r.instance, r.module));
      return {};
    },
  });
  // A failed call returns an Error (cores before issue 13's thread-ready stage stored it for takeError()).
  const check = (r) => {
    const e = r instanceof Error ? r.message : core.takeError?.();
    if (e) throw new Error(`${path}: ${e}`);
    return r;
  };
  const m = check(core.createModel([28, 28, 1], 7));
  for (const [className, config] of lenetLayers) check(m.add(className, config));
  check(m.compile('sparse_categorical_crossentropy', {
    type: 'adam', learningRate: 1e-3, momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-7,
  }));
  const x = core._malloc(N * 784 * 4), t = core._malloc(N * 4);
  core.HEAPF32.set(images, x >> 2);
  core.HEAPF32.set(labels, t >> 2);
  const B = 32;
  const work = {
    train: { unit: 'img/s', per: N, fn: () => { for (let b = 0; b < N / B; ++b) m.trainBatch(x + b * B * 784 * 4, t + b * B * 4, B); } },
    latency: { unit: 'ms', per: 1000, fn: () => { for (let i = 0; i < 1000; ++i) m.predict(x + (i % N) * 784 * 4, 1); } },
    batch256: { unit: 'img/s', per: N, fn: () => { for (let i = 0; i < N / 256; ++i) m.predict(x + i * 256 * 784 * 4, 256); } },
  };
  // Warm-up: hundreds of calls of each kind, so every hot function reaches V8's optimising tier.
  for (let w = 0; w < 6; ++w) work.train.fn();
  for (let w = 0; w < 2; ++w) work.latency.fn();
  for (let w = 0; w < 3; ++w) work.batch256.fn();
  check();
  return { path, core, check, work };
}

const mods = [];
for (const p of paths) mods.push(await setup(p));
const rates = mods.map(() => ({ train: [], latency: [], batch256: [] }));
const wall = mods.map(() => ({ train: [], latency: [], batch256: [] }));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const heap = mods.map((m) => m.core.heapUsed());
for (let r = 0; r < RUNS; ++r)
  for (const kind of ['train', 'latency', 'batch256'])
    mods.forEach((mod, i) => {
      const t0 = performance.now(), c0 = cpuMs();
      mod.work[kind].fn();
      rates[i][kind].push(mod.work[kind].per / ((cpuMs() - c0) / 1e3));
      wall[i][kind].push(mod.work[kind].per / ((performance.now() - t0) / 1e3));
    });

const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const fmt = (v, unit) => (unit === 'ms' ? (1e3 / v).toFixed(4) : v.toFixed(0));
console.log(`LeNet-5, ${RUNS} interleaved runs per figure, CPU time: median (best) [range] {wall-clock median}`);
mods.forEach((mod, i) => {
  console.log(mod.path);
  for (const kind of ['train', 'latency', 'batch256']) {
    const { unit } = mod.work[kind];
    const v = rates[i][kind];
    const label = { train: 'train, batch 32, Adam', latency: 'predict 1 image', batch256: 'predict batch 256' }[kind];
    const [lo, hi] = unit === 'ms' ? [Math.max(...v), Math.min(...v)] : [Math.min(...v), Math.max(...v)];
    console.log(`  ${label.padEnd(24)} ${fmt(median(v), unit).padStart(8)} ${unit.padEnd(6)} (${fmt(Math.max(...v), unit)}) [${fmt(lo, unit)}-${fmt(hi, unit)}] {${fmt(median(wall[i][kind]), unit)}}`);
  }
  mod.check();
  console.log(`  heap growth over the timed runs: ${mod.core.heapUsed() - heap[i]} bytes`);
});
