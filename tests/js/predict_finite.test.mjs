// predict's check of x for values that are not finite: a fast sum over the whole Float32Array, then
// an exact search for the culprit. Every position (the 4-wide sums and the tail of a length that is
// not a multiple of 4) and every kind of non-finite value must still be found and named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.js';

await cnn.ready();

test('predict names a non-finite value at every position, in the 4-wide sums and in the tail', () => {
  const model = cnn.sequential({ inputShape: [7], seed: 1, layers: [cnn.layers.dense({ units: 2 })] });
  try {
    const n = 3; // 21 values: five groups of 4 and a tail of 1
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (let i = 0; i < n * 7; i++) {
        const x = new Float32Array(n * 7).fill(0.5);
        x[i] = bad;
        assert.throws(() => model.predict(cnn.tensor(x, [n, 7])),
          { message: `predict: x value ${bad} at sample ${Math.floor(i / 7)}, element ${i % 7} is not finite` });
      }
    }
    // Large finite values must pass: v * 0 is 0 for any finite float32, however large (kept small enough elsewhere that the output stays finite).
    const big = new Float32Array(n * 7).fill(1e30);
    big[4] = -3.4e38; // the largest float32 magnitude
    assert.equal(model.predict(cnn.tensor(big, [n, 7])).shape[0], n);
  } finally {
    model.dispose();
  }
});

test('a Tensor whose data is a plain array still has its non-numbers rejected', () => {
  const model = cnn.sequential({ inputShape: [3], seed: 1, layers: [cnn.layers.dense({ units: 2 })] });
  try {
    assert.throws(() => model.predict(new cnn.Tensor([1, null, 2], [1, 3])), { message: /^predict: x value null at sample 0, element 1 is not finite$/ });
  } finally {
    model.dispose();
  }
});
