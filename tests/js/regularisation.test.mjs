// The JavaScript side of fighting overfitting does what it claims: earlyStopping stops at Keras'
// epoch and restores the best epoch's weights bit for bit, reduceLROnPlateau lowers the learning
// rate after `patience` flat epochs, the schedules give their documented values and the optimizer
// uses them, fit({ augment }) changes inputs only and is seeded, cnn.data.augment shows exactly the
// transform its seed draws, and augmentation and dropout behave the same in a training worker.
// (The C++ side: tests/cpp/test_regularisation.cpp, test_augment.cpp.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.js';
import { small, sameBits, sameWeights } from './fixtures.mjs';

const L = cnn.layers;




const adam = (learningRate) => ({ optimizer: cnn.optimizers.adam({ learningRate }), loss: 'sparseCategoricalCrossentropy' });

/** Copies of the weights at the end of every epoch: snapshots[epoch]. */
function snapshotter() {
  const snapshots = [];
  return {
    snapshots,
    callback: {
      setModel(m) { this.model = m; },
      onEpochEnd(epoch) { snapshots[epoch] = this.model.getWeights(); },
    },
  };
}

/**
 * Runs a callback through epochs of scripted logs as fit() would (setModel, setParams, onTrainBegin,
 * onEpochEnd per epoch until model.stopTraining, onTrainEnd); returns the epochs that ran.
 */
async function drive(callback, model, logsPerEpoch) {
  callback.setModel?.(model);
  callback.setParams?.({ epochs: logsPerEpoch.length, batchSize: 1, samples: 1, steps: 1, doValidation: true });
  await callback.onTrainBegin?.({});
  const ran = [];
  for (const [epoch, logs] of logsPerEpoch.entries()) {
    await callback.onEpochBegin?.(epoch, {});
    model.epoch = epoch;
    ran.push(epoch);
    await callback.onEpochEnd?.(epoch, { ...logs, lr: model.learningRate });
    if (model.stopTraining) break;
  }
  await callback.onTrainEnd?.({});
  return ran;
}

/** A stand-in for Model: its "weights" name the epoch they were taken at. */
function fakeModel(learningRate = 0.1) {
  return {
    stopTraining: false,
    learningRate,
    epoch: -1,
    restored: null,
    getWeights() { return [{ layer: 'l', name: 'w', epoch: this.epoch }]; },
    setWeights(w) { this.restored = w[0].epoch; },
  };
}

let images;
let labels;
before(async () => {
  ({ images, labels } = await cnn.data.mnistSample({ count: 1000 }));
});

// --- early stopping ---

test('earlyStopping on a scripted sequence: stops after `patience` epochs without improvement, as Keras', async () => {
  const val = [1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.7, 0.6].map((v) => ({ val_loss: v }));
  // patience 2: 0.8 (epoch 1) is beaten by 0.79 (epoch 3) after one bad epoch; 4 and 5 are bad: stop after 5.
  let m = fakeModel();
  let es = cnn.callbacks.earlyStopping({ patience: 2, restoreBestWeights: true });
  assert.deepEqual(await drive(es, m, val), [0, 1, 2, 3, 4, 5]);
  assert.equal(m.restored, 3, 'the weights of epoch 3 are restored');
  // patience 1: the first bad epoch (2) stops it; patience 0 too (Keras: wait >= patience).
  m = fakeModel();
  assert.deepEqual(await drive(cnn.callbacks.earlyStopping({ patience: 1 }), m, val), [0, 1, 2]);
  assert.equal(m.restored, null, 'restoreBestWeights is off by default');
  assert.deepEqual(await drive(cnn.callbacks.earlyStopping({ patience: 0 }), fakeModel(), val), [0, 1, 2]);
  // minDelta 0.02: 0.79 is not 0.02 better than 0.8, so epochs 2 and 3 are both bad.
  m = fakeModel();
  es = cnn.callbacks.earlyStopping({ patience: 2, minDelta: 0.02, restoreBestWeights: true });
  assert.deepEqual(await drive(es, m, val), [0, 1, 2, 3]);
  assert.equal(m.restored, 1);
  // Patience longer than the run: never stops; the best epoch (7) is restored at the end.
  m = fakeModel();
  assert.deepEqual(await drive(cnn.callbacks.earlyStopping({ patience: 5, restoreBestWeights: true }), m, val), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(m.stopTraining, false);
  assert.equal(m.restored, 7);
  // An accuracy is maximised ('auto' mode picks max for names with "acc").
  const acc = [0.5, 0.6, 0.59, 0.7, 0.65, 0.69, 0.8].map((v) => ({ val_acc: v }));
  m = fakeModel();
  assert.deepEqual(await drive(cnn.callbacks.earlyStopping({ monitor: 'val_acc', patience: 2, restoreBestWeights: true }), m, acc),
    [0, 1, 2, 3, 4, 5]);
  assert.equal(m.restored, 3);
});

/** Keras' rule, restated: the epoch training stops at (or null) and the best epoch, for a val_loss sequence. */
function kerasEarlyStop(values, patience) {
  let best = Infinity;
  let bestEpoch = -1;
  let wait = 0;
  for (const [epoch, v] of values.entries()) {
    if (v < best) {
      best = v;
      bestEpoch = epoch;
      wait = 0;
    } else if (++wait >= patience) {
      return { stop: epoch, best: bestEpoch };
    }
  }
  return { stop: null, best: bestEpoch };
}

test('earlyStopping in a real fit: val_loss rises as 64 digits are overfitted; it stops on time and restores the best epoch bit for bit', async () => {
  const x = images.slice(0, 64);
  const y = labels.slice(0, 64);
  const validationData = [images.slice(500, 300), labels.slice(500, 800)];
  const epochs = 12;
  const patience = 2;

  // The plain run: the val_loss sequence and the weights after every epoch.
  const plain = small(1);
  plain.compile(adam(1e-2));
  const p = snapshotter();
  const full = await plain.fit(x, y, { epochs, batchSize: 16, validationData, callbacks: [p.callback] });
  plain.dispose();
  const valLoss = full.history.val_loss;
  const { stop, best } = kerasEarlyStop(valLoss, patience);
  // The scenario must be one worth testing: validation loss improves, then gets worse before the end.
  assert.ok(stop !== null && stop < epochs - 1 && best > 0,
    `val_loss ${valLoss.map((v) => v.toFixed(3)).join(' ')} does not rise for ${patience} epochs after improving`);
  assert.ok(valLoss[stop] > valLoss[best]);

  const m = small(1);
  m.compile(adam(1e-2));
  const s = snapshotter();
  const es = cnn.callbacks.earlyStopping({ monitor: 'val_loss', patience, restoreBestWeights: true });
  const h = await m.fit(x, y, { epochs, batchSize: 16, validationData, callbacks: [es, s.callback] });
  assert.deepEqual(h.epoch, Array.from({ length: stop + 1 }, (_, i) => i), `best epoch ${best}: stops after epoch ${stop}`);
  assert.equal(h.stopped, true);
  assert.deepEqual(h.history.val_loss, valLoss.slice(0, stop + 1), 'the same seed replays the same run');
  // The weights are those of the best epoch, bit for bit, not those of the last.
  assert.ok(sameWeights(s.snapshots[best], p.snapshots[best]));
  assert.ok(sameWeights(m.getWeights(), s.snapshots[best]), `restored epoch ${best}`);
  assert.ok(!sameWeights(m.getWeights(), s.snapshots[stop]));
  assert.equal(m.evaluate(...validationData).loss.toFixed(6), valLoss[best].toFixed(6));
  m.dispose();
});

// --- reduceLROnPlateau ---

test('reduceLROnPlateau on a scripted sequence: lr * factor after `patience` flat epochs, cooldown, minLr', async () => {
  const flat = (n) => Array.from({ length: n }, () => ({ val_loss: 1 }));
  // Epoch 0 sets the best; 1, 2 are flat -> reduce after 2; 3, 4 -> after 4; 5, 6 -> after 6.
  let m = fakeModel(0.1);
  const lrs = [];
  const record = { onEpochEnd: () => lrs.push(m.learningRate) };
  const rop = cnn.callbacks.reduceLROnPlateau({ patience: 2, factor: 0.5 });
  const both = { setModel: (v) => rop.setModel(v), setParams: (v) => rop.setParams(v), onTrainBegin: () => rop.onTrainBegin(),
    onEpochEnd: (e, l) => { rop.onEpochEnd(e, l); record.onEpochEnd(); } };
  await drive(both, m, flat(7));
  assert.deepEqual(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]);
  // An improvement (beyond minDelta 1e-4) resets the count.
  m = fakeModel(0.1);
  await drive(cnn.callbacks.reduceLROnPlateau({ patience: 2, factor: 0.5 }), m,
    [1, 1, 0.9, 0.9, 0.89995, 0.9].map((v) => ({ val_loss: v })));
  // Epoch 2 improves, so only epochs 3 and 4 (0.89995 is within minDelta of 0.9) count: one reduction.
  assert.equal(m.learningRate, 0.05);
  // A cooldown after each reduction; minLr bounds the rate. Keras counts the cooldown down at the start
  // of each epoch's check and counts that same epoch once it reaches 0, so cooldown 2 with patience 1
  // reduces every other epoch (1, 3, 5), as keras.callbacks.ReduceLROnPlateau does.
  m = fakeModel(1);
  const cooled = [];
  const rop2 = cnn.callbacks.reduceLROnPlateau({ patience: 1, factor: 0.5, cooldown: 2, minLr: 0.2 });
  await drive({ setModel: (v) => rop2.setModel(v), setParams: (v) => rop2.setParams(v), onTrainBegin: () => rop2.onTrainBegin(),
    onEpochEnd: (e, l) => { rop2.onEpochEnd(e, l); cooled.push(m.learningRate); } }, m, flat(8));
  assert.deepEqual(cooled, [1, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]);
});

test('reduceLROnPlateau in a real fit: a flat training loss lowers model.learningRate after `patience` epochs', async () => {
  // A learning rate far too small to move the loss by minDelta (1e-4): a plateau from epoch 1 on.
  const m = small(2);
  m.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 1e-9 }), loss: 'sparseCategoricalCrossentropy' });
  const h = await m.fit(images.slice(0, 128), labels.slice(0, 128), {
    epochs: 5,
    batchSize: 32,
    callbacks: [cnn.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5 })],
  });
  // logs.lr is the rate each epoch trained with: epochs 1 and 2 are flat, so epoch 3 trains at half.
  const f = Math.fround;
  assert.deepEqual(h.history.lr, [f(1e-9), f(1e-9), f(1e-9), f(f(1e-9) * 0.5), f(f(1e-9) * 0.5)]);
  assert.equal(m.learningRate, f(f(f(1e-9) * 0.5) * 0.5));
  assert.equal(m.compileConfig.optimizer.learningRate, m.learningRate, 'the current rate is what save() keeps');
  m.dispose();
});

// --- learning-rate schedules ---

test('schedules give their documented values', () => {
  const close = (a, b) => assert.ok(Math.abs(a - b) <= 1e-15 * Math.abs(b), `${a} vs ${b}`);
  const step = cnn.schedules.step({ initial: 0.1, factor: 0.5, every: 3 });
  [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025].forEach((lr, e) => close(step(e), lr));
  const defaults = cnn.schedules.step({ initial: 1 });
  close(defaults(9), 1);
  close(defaults(10), 0.5);
  const exp = cnn.schedules.exponential({ initial: 0.1, rate: 0.5 });
  [0.1, 0.05, 0.025, 0.0125].forEach((lr, e) => close(exp(e), lr));
  close(cnn.schedules.exponential({ initial: 1 })(2), 0.81);
  // Cosine: initial at 0, the midpoint halfway, min at `epochs` and after.
  const cos = cnn.schedules.cosine({ initial: 0.1, epochs: 4, min: 0.01 });
  close(cos(0), 0.1);
  close(cos(1), 0.01 + 0.045 * (1 + Math.SQRT1_2));
  close(cos(2), 0.055);
  close(cos(4), 0.01);
  close(cos(9), 0.01);
  close(cnn.schedules.cosine({ initial: 0.2, epochs: 2 })(2), 0);
  assert.deepEqual(cos.spec, { kind: 'cosine', initial: 0.1, epochs: 4, min: 0.01 });
  assert.throws(() => cnn.schedules.step({ initial: 0 }), /schedules\.step: initial must be a positive number, got 0/);
});

test('learningRateScheduler sets the rate at each epoch\'s start, and the optimizer uses it', async () => {
  const schedule = cnn.schedules.cosine({ initial: 0.05, epochs: 2 }); // 0.05, 0.025, then 0
  const m = small(3);
  m.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 1 }), loss: 'sparseCategoricalCrossentropy' });
  const seen = [];
  const s = snapshotter();
  const h = await m.fit(images.slice(0, 96), labels.slice(0, 96), {
    epochs: 3,
    batchSize: 32,
    callbacks: [cnn.callbacks.learningRateScheduler(schedule), { onEpochBegin: () => seen.push(m.learningRate) }, s.callback],
  });
  const expected = [0, 1, 2].map((e) => Math.fround(schedule(e)));
  assert.deepEqual(seen, expected, 'set before the epoch trains');
  assert.deepEqual(h.history.lr, expected);
  assert.ok(!sameWeights(s.snapshots[0], s.snapshots[1]), 'epoch 1 trains at 0.025');
  assert.ok(sameWeights(s.snapshots[1], s.snapshots[2]), 'epoch 2 trains at 0: the weights do not move');
  m.dispose();
});

// --- augmentation in fit ---

function mirror(data, n, h, w) {
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) out[(i * h + r) * w + c] = data[(i * h + r) * w + (w - 1 - c)];
    }
  }
  return out;
}

test('fit with augment: only the inputs change, never the labels; the same seed gives the same weights', async () => {
  const n = 128;
  const x = images.slice(0, n);
  const y = labels.slice(0, n);
  const yBefore = y.slice();
  const xBefore = x.data.slice();
  // Left-right symmetric digits (each averaged with its mirror; a + b = b + a exactly): a horizontal
  // flip leaves them as they are. Augmenting them with flips must then train exactly like not
  // augmenting, which holds only if the labels go through untouched and in step with their images.
  const mirrored = mirror(x.data, n, 28, 28);
  const symmetric = cnn.tensor(x.data.map((v, i) => (v + mirrored[i]) / 2), [n, 28, 28, 1]);
  const train = async (data, augment, seed = 4) => {
    const m = small(seed);
    m.compile(adam(3e-3));
    // No shuffling: the generator's other draws (shuffles) would differ once augmentation draws too.
    await m.fit(data, y, { epochs: 2, batchSize: 32, shuffle: false, ...(augment ? { augment } : {}) });
    const w = m.getWeights();
    m.dispose();
    return w;
  };
  assert.ok(sameWeights(await train(symmetric, { flipHorizontal: true }), await train(symmetric, null)));
  // On ordinary digits the flips do change training (the check above is not vacuous).
  assert.ok(!sameWeights(await train(x, { flipHorizontal: true }), await train(x, null)));
  assert.ok(sameBits(x.data, xBefore), 'fit does not write into x');
  assert.deepEqual(y, yBefore, 'nor into y');

  // Every option at once, with shuffling and validation: the same seed gives the same run, bit for bit.
  const all = { rotation: 12, zoom: 0.1, translate: 0.1, crop: 2, flipHorizontal: true, flipVertical: true };
  const run = async () => {
    const m = small(5);
    m.compile(adam(3e-3));
    const h = await m.fit(x, y, { epochs: 2, batchSize: 32, validationSplit: 0.25, augment: all });
    const w = m.getWeights();
    m.dispose();
    return { w, h };
  };
  const a = await run();
  const b = await run();
  assert.ok(sameWeights(a.w, b.w));
  assert.deepEqual(a.h.history.loss, b.h.history.loss);
  // Validation is never augmented: the validation loss of the trained weights, evaluated plainly, matches.
  const m = small(5);
  m.compile(adam(3e-3));
  m.setWeights(a.w);
  assert.equal(m.evaluate(x.slice(96), y.slice(96)).loss, a.h.history.val_loss[1]);
  m.dispose();
});

// --- the augmentation preview ---

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's finaliser (core/rng.h mix64) in BigInt arithmetic. */
function mix64(z) {
  z = (z + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** core/rng.h stream_seed(seed, stream, step, node, sample). */
function streamSeed(seed, ...keys) {
  let h = mix64(BigInt(seed));
  for (const key of keys) h = mix64(h ^ BigInt(key));
  return h;
}
const AUGMENT_STREAM = 3;

/** The core's Rng (PCG32, core/rng.h) in BigInt arithmetic: the stream of next_u32() for a seed. */
function pcg32(seed) {
  const mask = (1n << 64n) - 1n;
  let state = 0n;
  const next = () => {
    const old = state;
    state = (old * 6364136223846793005n + 1442695040888963407n) & mask;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  };
  next();
  state = (state + BigInt(seed)) & mask;
  next();
  return next;
}

test('data.augment with flipHorizontal only flips exactly the images its seed draws', () => {
  const n = 40;
  const x = images.slice(0, n);
  const before = x.data.slice();
  const flipped = mirror(x.data, n, 28, 28);
  const per = 28 * 28;
  for (const seed of [0, 7, 12345]) {
    const out = cnn.data.augment(x, { flipHorizontal: true }, { seed });
    assert.deepEqual(out.shape, [n, 28, 28, 1]);
    // With only flips on, image i draws one rng.below(2) from its own Augment stream, keyed by
    // (seed, step 0, sample i): the top bit of that stream's first 32-bit output.
    const expect = Array.from({ length: n }, (_, i) => pcg32(streamSeed(seed, AUGMENT_STREAM, 0, 0, i))() >>> 31 === 1);
    const got = [];
    for (let i = 0; i < n; i++) {
      const o = out.data.subarray(i * per, (i + 1) * per);
      const isFlip = sameBits(o, flipped.subarray(i * per, (i + 1) * per));
      const isSame = sameBits(o, x.data.subarray(i * per, (i + 1) * per));
      assert.ok(isFlip !== isSame, `image ${i} is exactly the original or exactly its mirror (a digit is never symmetric)`);
      got.push(isFlip);
    }
    assert.deepEqual(got, expect, `seed ${seed}`);
    assert.ok(got.includes(true) && got.includes(false));
    assert.ok(sameBits(cnn.data.augment(x, { flipHorizontal: true }, { seed }).data, out.data), 'same seed, same images');
  }
  assert.ok(sameBits(x.data, before), 'the input is not changed');
  // The default seed is 42; everything off gives a copy.
  assert.ok(sameBits(cnn.data.augment(x, { flipHorizontal: true }).data, cnn.data.augment(x, { flipHorizontal: true }, { seed: 42 }).data));
  const copy = cnn.data.augment(x);
  assert.ok(sameBits(copy.data, x.data) && copy.data !== x.data);
});

test('data.augment: other options stay in range and are seeded; bad arguments throw clear errors', () => {
  const x = images.slice(0, 8);
  const o = { rotation: 20, zoom: 0.2, translate: 0.1, crop: 3 };
  const a = cnn.data.augment(x, o, { seed: 1 });
  assert.ok(sameBits(a.data, cnn.data.augment(x, o, { seed: 1 }).data));
  assert.ok(!sameBits(a.data, cnn.data.augment(x, o, { seed: 2 }).data));
  // Bilinear resampling with zeros outside: values stay in [0, 1] like the digits.
  assert.ok(a.data.every((v) => v >= 0 && v <= 1));
  assert.throws(() => cnn.data.augment(x, { crop: 15 }), /^Error: augment: crop must be in \[0, 14\] pixels for input shape \[28,28,1\], got 15$/);
  assert.throws(() => cnn.data.augment(x, { rotation: 181 }), /^Error: augment: rotation must be in \[0, 180\] degrees, got 181$/);
  assert.throws(() => cnn.data.augment(x, { rotate: 10 }), /^Error: data\.augment: unknown augment option 'rotate'/);
  assert.throws(() => cnn.data.augment(x, { zoom: '0.1' }), /^Error: data\.augment: augment\.zoom must be a number, got "0\.1"$/);
  assert.throws(() => cnn.data.augment(x, {}, { seed: -1 }), /^Error: data\.augment: seed must be a non-negative integer, got -1$/);
  assert.throws(() => cnn.data.augment(x, {}, { sed: 1 }), /^Error: data\.augment: unknown option 'sed' \(known: seed\)$/);
  assert.throws(() => cnn.data.augment(cnn.tensor(new Float32Array(784), [784]), {}), /^Error: data\.augment: expected images of shape \[n,height,width,channels\], got \[784\]$/);
  assert.throws(() => cnn.data.augment(null), /^Error: data\.augment: expected a tensor/);
  // The library is still usable after the errors.
  assert.equal(cnn.data.augment(x, { rotation: 5 }).shape[0], 8);
});

// --- in a training worker ---

test('augmentation and dropout work in trainInWorker: the same seeded run as fit() on this thread', async () => {
  const spec = {
    inputShape: [28, 28, 1],
    seed: 6,
    layers: [
      L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dropout({ rate: 0.3 }),
      L.dense({ units: 10, activation: 'softmax' }),
    ],
  };
  const compile = adam(3e-3);
  const x = images.slice(0, 192);
  const y = labels.slice(0, 192);
  const options = { epochs: 2, batchSize: 32, validationSplit: 0.25, augment: { rotation: 10, translate: 0.1, crop: 2 } };
  const here = async (fitOptions) => {
    const m = cnn.sequential(spec);
    m.compile(compile);
    const h = await m.fit(x, y, fitOptions);
    const w = m.getWeights();
    m.dispose();
    return { w, h };
  };
  const local = await here(options);
  const { model, history } = await cnn.trainInWorker(spec, x, y, { compile, ...options });
  assert.ok(sameWeights(model.getWeights(), local.w), 'the worker applied the same augmentation and dropout');
  assert.deepEqual(history.history.loss, local.h.history.loss);
  model.dispose();
  // Without augmentation the run differs, so the options did reach the worker.
  const { augment, ...plain } = options;
  assert.ok(augment);
  assert.ok(!sameWeights((await here(plain)).w, local.w));
});
