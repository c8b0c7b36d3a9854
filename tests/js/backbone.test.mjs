// The shipped backbone (models/backbone.wcnn, trained by `npm run train:models -- --only=backbone`)
// as issue #14 means it to be used: cut at 'features', frozen, a new head for classes it has never
// seen (shapes drawn the way tests/e2e draws them, rasterised with the page's pen), trained from a
// few examples each, then read on new drawings.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cnn from '../../web/lib/index.js';
import { SHAPES, jitter, rng, rasterise } from '../e2e/shapes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NAMES = Object.keys(SHAPES);

function drawings(seed, perClass) {
  const rand = rng(seed);
  const x = new Float32Array(perClass * NAMES.length * 784);
  const y = [];
  let k = 0;
  for (let i = 0; i < perClass; i++) {
    NAMES.forEach((name, label) => {
      const { data } = cnn.image.digitFromCanvas(rasterise(jitter(SHAPES[name](), rand)));
      x.set(data, k++ * 784);
      y.push(label);
    });
  }
  return { x: cnn.tensor(x, [y.length, 28, 28, 1]), y };
}

test('the shipped backbone: cut at features, frozen, a new head learns three drawn shapes from 8 each, >= 90% on 30 new ones', async () => {
  const base = await cnn.loadModel(path.join(root, 'models/backbone.wcnn'));
  assert.equal(base.outputShape.at(-1), 20, 'ten digits and ten Fashion-MNIST classes');
  assert.ok(base.countParams() < 250000, `well under 1 MB of weights: ${base.countParams()} parameters`);
  const features = cnn.model({ inputs: base.inputs, outputs: base.getLayer('features').output, name: 'features' });
  features.trainable = false;
  assert.deepEqual(features.outputShape, [null, 128]);

  const image = cnn.input({ shape: [28, 28, 1] });
  const out = cnn.layers.dense({ units: NAMES.length, activation: 'softmax', name: 'shapes' }).apply(features.apply(image));
  const model = cnn.model({ inputs: image, outputs: out, seed: 3 });
  model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const frozen = model.getWeights().filter((w) => w.layer !== 'shapes').map((w) => Float32Array.from(w.data));

  const train = drawings(1, 8);
  await model.fit(train.x, train.y, { epochs: 30, batchSize: 8 });
  const test = drawings(2024, 10);
  const { accuracy } = model.evaluate(test.x, test.y);
  assert.ok(accuracy >= 0.9, `new drawings read right: ${accuracy}`);
  const after = model.getWeights().filter((w) => w.layer !== 'shapes');
  after.forEach((w, i) => assert.deepEqual(w.data, frozen[i], `${w.layer}/${w.name} stays as shipped`));
  for (const m of [model, features, base]) m.dispose();
});
