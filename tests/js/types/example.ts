// A small, strictly typed program over the main API, compiled (never run) by tests/js/types.test.mjs.
// It imports the package by name, so it also checks package.json's "exports" -> "types".
import * as cnn from 'wasmcnn';
import { sequential, layers, optimizers, callbacks, schedules, type History, type Model } from 'wasmcnn';

await cnn.ready();
const { images, labels, count }: cnn.MnistSample = await cnn.data.mnistSample({ count: 512 });

const model: Model = sequential({
  inputShape: [28, 28, 1],
  seed: 7,
  layers: [
    layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 16, kernelSize: [5, 5], strides: 1, activation: 'relu' }),
    layers.averagePooling2d({ poolSize: [2, 2] }),
    layers.batchNormalization({ momentum: 0.9 }),
    layers.flatten(),
    layers.dropout({ rate: 0.25 }),
    layers.dense({ units: 84, activation: 'relu', kernelRegularizer: cnn.regularizers.l2({ l2: 1e-4 }) }),
    layers.dense({ units: 10, activation: 'softmax', name: 'head' }),
  ],
});
model.compile({ optimizer: optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

const controller = new AbortController();
const history: History = await model.fit(images, labels, {
  epochs: 2,
  batchSize: 32,
  validationSplit: 0.1,
  signal: controller.signal,
  augment: { rotation: 10, zoom: 0.1 },
  callbacks: [
    callbacks.earlyStopping({ monitor: 'val_acc', patience: 1, restoreBestWeights: true }),
    callbacks.learningRateScheduler(schedules.cosine({ initial: 1e-3, epochs: 2 })),
    {
      onBatchEnd(batch: number, logs: cnn.BatchLogs) {
        if (batch > 1000 || logs.loss > 100) model.stopTraining = true;
      },
      async onEpochEnd(epoch, logs) {
        const valAcc: number | undefined = logs.val_acc;
        console.log(epoch, logs.loss.toFixed(3), valAcc?.toFixed(3));
      },
    },
  ],
});
const lastLoss: number | undefined = history.history.loss.at(-1);
console.log(history.epoch.length, history.stopped, lastLoss, history.params.steps);

const probs: cnn.Tensor = model.predict(images.slice(0, 5), { batchSize: 64 });
const classes: Int32Array = probs.argMax();
const score: cnn.EvaluateResult = model.evaluate(images, labels);
console.log(classes, score.accuracy, count, model.summary(), model.countParams());

const preview: cnn.Tensor = cnn.data.augment(images.slice(0, 4), { rotation: 10, crop: 2, flipHorizontal: true }, { seed: 3 });
console.log(preview.shape);

const oneHot = cnn.tensor(new Float32Array(count * 10), [count, 10]);
const pixels = cnn.tensor(new Uint8Array(28 * 28), [1, 28, 28, 1], { scale: 1 / 255 });
console.log(oneHot.shape, pixels.rank, model.activations(pixels).map((a) => a.shape));

for (const layer of model.layers) console.log(layer.name, layer.className, layer.outputShape, layer.trainable);
model.getLayer('head').lrMultiplier = 2;
model.freeze(['conv2d_1', 0]);
const weights: cnn.WeightRecord[] = model.getWeights();
model.setWeights(weights);
model.metadata = { classes: ['0', '1'], accuracy: score.accuracy };
const spec: cnn.ModelSpec = model.toSpec();
const config: cnn.CompileConfig | null = model.compileConfig;
console.log(spec.layers.length, config?.optimizer.learningRate, model.learningRate);

model.pop().add(layers.dense({ units: 3, activation: 'softmax' }));
const bytes: Uint8Array = model.save();
const saved: { n: number } = await model.save({ save: (b: Uint8Array) => ({ n: b.length }) });
const loaded: Model = await cnn.loadModel(bytes);
console.log(saved.n, loaded.inputShape, cnn.memory().heapUsed, cnn.version);

const job: cnn.TrainingJob = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: 2000 }), null, {
  compile: { loss: 'sparseCategoricalCrossentropy', optimizer: 'adam' },
  epochs: 1,
  progressEvery: 0,
  callbacks: [callbacks.earlyStopping({ monitor: 'loss' })],
  onEpochEnd: (epoch, logs) => console.log(epoch, logs.acc),
});
job.on('batch', (e) => console.log(e.epoch, e.batch, e.logs.loss)).on('error', (e: Error) => console.error(e.message));
job.on('done', ({ model: trained }) => console.log(trained.outputShape));
const { model: trained, history: workerHistory } = await job;
console.log(workerHistory.epoch, trained.predict(images.slice(0, 1)).data[0]);

const job2 = cnn.trainInWorker(loaded, images, labels, { epochs: 1, transfer: false, validationData: [images, labels] });
job2.stop();
await job2.promise.catch((e: unknown) => console.log(e instanceof Error ? e.message : e));

for (const m of [model, loaded, trained]) m.dispose();

// Threads (issue 15).
await cnn.setThreads(2, { strategy: 'workers' });
const threadCount: number = cnn.threads();
const info: cnn.BackendInfo = cnn.backendInfo();
const strategy: cnn.ThreadStrategy = info.strategy;
const built: 'single' | 'pthreads' = info.build;
console.log(threadCount, strategy, built, info.crossOriginIsolated, info.hardwareConcurrency, info.shardSize);
const predictedAsync: cnn.Tensor = await model.predictAsync(images.slice(0, 5), { batchSize: 64 });
console.log(predictedAsync.shape);
cnn.trainInWorker(spec, cnn.data.sampleRef({ count: 100 }), null, { threads: 2, epochs: 1 });
