// The overfitting experiment (README, "Fighting overfitting"): LeNet-5 on only 1,000 sample digits
// for up to 30 epochs, once plain and once with dropout + augmentation + L2 + early stopping.
// Prints each run's final train/validation accuracy gap and its accuracy on 2,000 held-out digits.
//
//   node scripts/overfit_experiment.mjs [--epochs=30] [--train=1000] [--json=out.json]
import fs from 'node:fs';
import * as cnn from '../web/lib/index.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const EPOCHS = Number(args.epochs ?? 30);
const TRAIN = Number(args.train ?? 1000);
const SEED = 3;

const { images, labels } = await cnn.data.mnistSample();
// 1,000 to train on (the last 20% of them validate), 2,000 held out that no run ever sees.
const x = images.slice(0, TRAIN);
const y = labels.slice(0, TRAIN);
const xTest = images.slice(8000);
const yTest = labels.slice(8000);

function lenet({ regularised }) {
  const L = cnn.layers;
  const l2 = regularised ? { kernelRegularizer: cnn.regularizers.l2({ l2: 1e-4 }) } : {};
  return cnn.sequential({ inputShape: [28, 28, 1], seed: SEED, layers: [
    L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', ...l2 }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', ...l2 }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    ...(regularised ? [L.dropout({ rate: 0.4 })] : []),
    L.dense({ units: 120, activation: 'relu', ...l2 }),
    ...(regularised ? [L.dropout({ rate: 0.3 })] : []),
    L.dense({ units: 84, activation: 'relu', ...l2 }),
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
}

async function run(regularised) {
  const model = lenet({ regularised });
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
  const started = performance.now();
  const history = await model.fit(x, y, {
    epochs: EPOCHS, batchSize: 32, validationSplit: 0.2,
    ...(regularised ? {
      augment: { rotation: 10, zoom: 0.1, translate: 0.08 },
      callbacks: [cnn.callbacks.earlyStopping({ monitor: 'val_loss', patience: 6, restoreBestWeights: true })],
    } : {}),
  });
  // Train accuracy measured after training, without dropout or augmentation, on the training part.
  const nTrain = Math.floor(TRAIN * 0.8);
  const train = model.evaluate(x.slice(0, nTrain), y.slice(0, nTrain)).accuracy;
  const val = model.evaluate(x.slice(nTrain), y.slice(nTrain)).accuracy;
  const test = model.evaluate(xTest, yTest).accuracy;
  model.dispose();
  return { run: regularised ? 'regularised' : 'plain', epochs: history.epoch.length, train, val, gap: train - val, test,
    seconds: (performance.now() - started) / 1000 };
}

const rows = [await run(false), await run(true)];
const pct = (v) => `${(v * 100).toFixed(1)}%`;
console.log(`LeNet-5 on ${TRAIN} MNIST sample digits (${TRAIN * 0.8} train / ${TRAIN * 0.2} validation), up to ${EPOCHS} epochs; test = 2,000 held-out digits\n`);
console.log('| run | epochs run | train acc | val acc | gap | test acc |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.run} | ${r.epochs} | ${pct(r.train)} | ${pct(r.val)} | ${pct(r.gap)} | ${pct(r.test)} |`);
if (args.json) fs.writeFileSync(args.json, JSON.stringify(rows, null, 2));
