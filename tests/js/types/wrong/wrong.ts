// Wrongly typed uses of wasmcnn, one per marked line. Compiled by tests/js/types.test.mjs, which
// expects tsc to fail with exactly the marked error codes on exactly the marked lines.
import * as cnn from 'wasmcnn';

const { images, labels } = await cnn.data.mnistSample({ count: 64 });
const model = cnn.sequential({ inputShape: [28, 28, 1], layers: [cnn.layers.flatten(), cnn.layers.dense({ units: 10 })] });

cnn.layers.dense({ units: '10' }); // error TS2322
cnn.layers.conv2d({ filters: 3 }); // error TS2345
cnn.layers.dense({ units: 10, activation: 'cubic' }); // error TS2322
cnn.layers.maxPooling2d({ poolSize: 2, padding: 'full' }); // error TS2322
model.compile({ loss: 'hinge' }); // error TS2322
model.compile({ optimizer: 'adagrad', loss: 'mse' }); // error TS2322
cnn.optimizers.sgd({ momentum: 0.9, nesterov: 'yes' }); // error TS2322
await model.fit(images, labels, { epoch: 2 }); // error TS2561
await model.fit(images, labels, { batchSize: '32' }); // error TS2322
const n: number = model.predict(images); // error TS2322
model.save().then(() => {}); // error TS2339
cnn.tensor([1, 2], 2); // error TS2345
new cnn.Model(null); // error TS2673
cnn.trainInWorker(model, images, labels).on('progress', () => {}); // error TS2345
model.layers[0]!.outputShape = [null, 3]; // error TS2540
cnn.callbacks.earlyStopping({ patient: 3 }); // error TS2353
await cnn.setThreads(2, { strategy: 'fibers' }); // error TS2322
const t: Promise<number> = cnn.threads(); // error TS2322
const p: cnn.Tensor = model.predictAsync(images); // error TS2740
console.log(n, t, p);
