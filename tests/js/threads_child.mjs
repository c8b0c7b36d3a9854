// A Node process for tests/js/threads_build.test.mjs: loads one build of the core, sets the pool's
// thread count through the core's own functions, trains a seeded LeNet for a few steps (batches of
// 64: 8 shards) and predicts 600 images (enough to grow wasm memory), then prints one JSON line:
// { build, threads, started, weights: sha256, predictions: sha256 } and returns without exiting
// itself, so the test also sees whether the process ends on its own with a pool running.
//
// Usage: node tests/js/threads_child.mjs single|pthreads <threads>
import { createHash } from 'node:crypto';
import { ready, build, getCore, call } from '../../web/lib/core.js';

const [which, n] = [process.argv[2], Number(process.argv[3])];
await ready({ threads: which === 'pthreads' });
const cnn = await import('../../web/lib/index.js');
const c = getCore();
call(() => c.setThreads(n));
while (c.threadsStarted() < n - 1) await new Promise((resolve) => setTimeout(resolve, 5));

const L = cnn.layers;
const model = cnn.sequential({ inputShape: [28, 28, 1], seed: 7, layers: [
  L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
  L.batchNormalization(),
  L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
  L.dropout({ rate: 0.2 }), L.dense({ units: 64, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
] });
model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 3e-3 }), loss: 'sparseCategoricalCrossentropy' });
const { images, labels } = await cnn.data.mnistSample({ count: 900 });
await model.fit(images.slice(0, 300), labels.slice(0, 300), { epochs: 1, batchSize: 64, verbose: 0 });
const hash = (arrays) => {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
};
const weights = hash(model.getWeights().map((w) => w.data ?? w));
const predictions = hash([model.predict(images.slice(300, 600)).data]);
console.log(JSON.stringify({ build: build(), threads: c.threads(), started: c.threadsStarted(), weights, predictions,
  fresh: c.wasmMemory ? c.HEAPF32.buffer.byteLength === c.wasmMemory.buffer.byteLength : null }));
