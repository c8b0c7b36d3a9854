// What every app under tests/bundlers/ does in the page, driven by bundlers.test.mjs. It takes the
// library as an argument (each app imports 'wasmcnn' itself, from its own node_modules), so this
// file has no imports a bundler could resolve to anything else.

const TRAIN = 2000; // the worker trains on the first TRAIN digits of the sample
const HELD_OUT = 1000; // and is scored on the next HELD_OUT, which it never saw

function lenet(L) {
  return {
    inputShape: [28, 28, 1],
    seed: 7,
    layers: [
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
      L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 84, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  };
}

/** What a predict-only page does: no sample, no worker. */
export async function predictOnly(cnn) {
  await cnn.ready();
  const model = cnn.sequential(lenet(cnn.layers));
  const p = model.predict(cnn.tensor(new Float32Array(2 * 28 * 28).fill(0.5), [2, 28, 28, 1]));
  const sums = [0, 1].map((i) => p.data.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0));
  model.dispose();
  return { shape: p.shape, sums };
}

/** The sample, LeNet trained in a worker for one epoch, predict, evaluate, save and load. */
export async function train(cnn, workerOptions = {}) {
  await cnn.ready();
  const sample = await cnn.data.mnistSample({ count: TRAIN + HELD_OUT });
  const x = sample.images.slice(TRAIN, HELD_OUT);
  const y = sample.labels.slice(TRAIN, TRAIN + HELD_OUT);
  let batches = 0;
  const { model, history } = await cnn.trainInWorker(lenet(cnn.layers), cnn.data.sampleRef({ count: TRAIN }), null, {
    compile: { optimizer: cnn.optimizers.adam({ learningRate: 2e-3 }), loss: 'sparseCategoricalCrossentropy' },
    epochs: 1,
    batchSize: 32,
    progressEvery: 0,
    onBatchEnd: () => { batches++; },
    ...workerOptions,
  });
  const predicted = model.predict(x);
  const classes = Array.from(predicted.argMax());
  const evaluated = model.evaluate(x, y);

  let bytes = null;
  await model.save({ save: (b) => { bytes = b; return { bytes: b.length }; } });
  await model.save('indexeddb://wasmcnn-bundler-test');
  const fromBytes = await cnn.loadModel(bytes);
  const fromDb = await cnn.loadModel('indexeddb://wasmcnn-bundler-test');
  const same = (m) => {
    const q = m.predict(x).data;
    return q.length === predicted.data.length && q.every((v, i) => v === predicted.data[i]);
  };
  const result = {
    epochs: history.epoch,
    batches,
    heldOutAccuracy: evaluated.accuracy,
    argMaxAccuracy: classes.filter((c, i) => c === y[i]).length / y.length,
    savedBytes: bytes.length,
    sameAfterBytes: same(fromBytes),
    sameAfterIndexedDb: same(fromDb),
  };
  for (const m of [model, fromBytes, fromDb]) m.dispose();
  return result;
}

/**
 * With `threads` threads where the library has setThreads: a seeded LeNet predicts 64 fixed
 * inputs; returns what ran (backendInfo, when the library has it), whether the page is isolated,
 * and the predictions' bytes as an array (to compare bit for bit between builds).
 */
export async function predictBits(cnn, { threads = 2 } = {}) {
  await cnn.ready();
  if (typeof cnn.setThreads === 'function') await cnn.setThreads(threads);
  const model = cnn.sequential(lenet(cnn.layers));
  const x = new Float32Array(64 * 28 * 28);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 1000) / 1000;
  const p = model.predict(cnn.tensor(x, [64, 28, 28, 1]));
  model.dispose();
  return {
    isolated: globalThis.crossOriginIsolated === true,
    backend: typeof cnn.backendInfo === 'function' ? cnn.backendInfo() : null,
    bytes: Array.from(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength)),
  };
}
