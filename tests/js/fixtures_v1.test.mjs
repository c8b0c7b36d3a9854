// Version-1 model files (written by the sequential core before issue 13, see
// tests/fixtures/v1/make_fixtures.mjs) still load and predict what they predicted then.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as cnn from '../../web/lib/index.js';

const dir = new URL('../fixtures/v1/', import.meta.url);
const expected = JSON.parse(fs.readFileSync(new URL('expected.json', dir), 'utf8'));

function inputs(n, size) {
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 1000;
  return x;
}

for (const [file, { inputShape, samples, predictions }] of Object.entries(expected)) {
  test(`version-1 fixture ${file} loads and predicts as when it was written`, async () => {
    const bytes = new Uint8Array(fs.readFileSync(new URL(file, dir)));
    assert.equal(new DataView(bytes.buffer).getUint32(4, true), 1, 'the fixture is a version-1 file');
    const model = await cnn.loadModel(bytes);
    const size = inputShape.reduce((a, b) => a * b, 1);
    const y = model.predict(cnn.tensor(inputs(samples, size), [samples, ...inputShape]));
    assert.equal(y.data.length, predictions.length);
    for (let i = 0; i < predictions.length; i++) {
      assert.ok(Math.abs(y.data[i] - predictions[i]) <= 1e-6 * Math.max(1, Math.abs(predictions[i])),
        `${file}: output ${i} is ${y.data[i]}, was ${predictions[i]}`);
    }
    model.dispose();
  });
}
