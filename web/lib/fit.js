// The training loop behind Model.fit(): epochs of shuffled mini-batches, validation, callbacks,
// stopping, and yielding to the event loop so the page (or worker) stays responsive.
import { asTensor } from './tensor.js';
import { callbackList } from './callbacks.js';
import { trainStepper } from './parallel.js';

export function checkBatchSize(b, what) {
  if (!Number.isInteger(b) || b <= 0) throw new Error(`${what}: batchSize must be a positive integer, got ${JSON.stringify(b)}`);
}

export function divergence(loss, where) {
  return new Error(`${where}: the loss diverged (${loss}); training stopped and the weights of the last finite step were kept. Lower the learning rate.`);
}

const FIT_OPTIONS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'callbacks', 'signal',
  'augment', 'yieldEvery', 'initialEpoch', 'verbose'];

/** Resolves after letting other tasks run: input events and rendering in a page, messages in a worker. */
export function yieldToEventLoop() {
  // Not scheduler.yield(): its continuation is queued ahead of other tasks, so in a Chromium worker a
  // 'stop' message (or any other) is not delivered until fit() ends. A plain task lets them run.
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const now = () => (typeof performance === 'object' ? performance.now() : Date.now());

function checkOptions(options) {
  if (options === null || typeof options !== 'object') throw new Error('fit: options must be an object');
  for (const k of Object.keys(options)) {
    if (!FIT_OPTIONS.includes(k)) throw new Error(`fit: unknown option '${k}' (known: ${FIT_OPTIONS.join(', ')})`);
  }
  const { epochs = 1, validationSplit = 0, initialEpoch = 0, yieldEvery = 10 } = options;
  if (!Number.isInteger(epochs) || epochs <= 0) throw new Error(`fit: epochs must be a positive integer, got ${JSON.stringify(epochs)}`);
  checkBatchSize(options.batchSize ?? 32, 'fit');
  if (typeof validationSplit !== 'number' || !(validationSplit >= 0 && validationSplit < 1)) {
    throw new Error(`fit: validationSplit must be a number in [0, 1), got ${JSON.stringify(validationSplit)}`);
  }
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) {
    throw new Error(`fit: initialEpoch must be an integer in [0, epochs), got ${JSON.stringify(initialEpoch)}`);
  }
  if (typeof yieldEvery !== 'number' || !(yieldEvery >= 0)) throw new Error('fit: yieldEvery must be a number of milliseconds >= 0');
  if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean') throw new Error('fit: shuffle must be true or false');
  if (options.validationData !== undefined && (!Array.isArray(options.validationData) || options.validationData.length !== 2)) {
    throw new Error('fit: validationData must be an array [x, y]');
  }
  if (options.signal !== undefined && (typeof options.signal !== 'object' || !('aborted' in options.signal))) {
    throw new Error('fit: signal must be an AbortSignal');
  }
}

export async function runFit(model, x, y, options = {}) {
  model._notWhileTraining('fit');
  checkOptions(options);
  const { epochs = 1, batchSize = 32, validationSplit = 0, shuffle = true, signal, initialEpoch = 0, yieldEvery = 10 } = options;
  const xt = asTensor(x, 'fit');
  const n = model._checkX(xt, 'fit');
  const t = model._targets(y, n, 'fit');

  let nTrain = n;
  let val = null;
  if (options.validationData) {
    const [xv, yv] = options.validationData;
    const xvt = asTensor(xv, 'fit: validationData');
    const nv = model._checkX(xvt, 'fit: validationData');
    val = { x: xvt, t: model._targets(yv, nv, 'fit: validationData') };
  } else if (validationSplit > 0) {
    // Keras takes the validation samples from the end, before shuffling.
    nTrain = Math.floor(n * (1 - validationSplit));
    if (nTrain < 1 || nTrain >= n) throw new Error(`fit: validationSplit ${validationSplit} of ${n} samples leaves an empty split`);
    const nv = n - nTrain;
    val = { x: xt.slice(nTrain, nv), t: { data: t.data.slice(nTrain * t.cols), cols: t.cols } };
  }

  const params = { epochs, batchSize, samples: nTrain, steps: Math.ceil(nTrain / batchSize), doValidation: !!val };
  const callbacks = callbackList(options.callbacks, model, params);
  const history = { epoch: [], history: {}, params, stopped: false };
  const record = (logs) => {
    for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
  };

  if (options.augment) model._setAugment(options.augment, xt.shape);
  model.stopTraining = false;
  const stopRequested = () => model.stopTraining || (signal && signal.aborted);
  let lastYield = now();
  let logs = {};
  let stepper = null;
  model.isTraining = true;
  try {
    // The step on this context's threads: trainBatch, or the shards shared with helper workers.
    stepper = await trainStepper(model, xt, t, { batchSize, augment: options.augment });
    await callbacks.onTrainBegin({});
    for (let epoch = initialEpoch; epoch < epochs && !stopRequested(); epoch++) {
      await callbacks.onEpochBegin(epoch, {});
      const idx = shuffle ? model._shuffled(nTrain) : null;
      let loss = 0;
      let correct = 0;
      let seen = 0;
      const started = now();
      for (let b = 0, from = 0; from < nTrain; b++, from += batchSize) {
        const m = Math.min(batchSize, nTrain - from);
        await callbacks.onBatchBegin(b, { batch: b, size: m });
        let r;
        try {
          r = await stepper.step(idx, from, m);
        } catch (e) {
          e.history = history;
          throw e;
        }
        if (!r.finite) {
          const error = divergence(r.loss, `fit: epoch ${epoch + 1}, batch ${b + 1}`);
          error.history = history;
          throw error;
        }
        loss += r.loss * m;
        correct += r.accuracy * m;
        seen += m;
        const elapsed = (now() - started) / 1000;
        await callbacks.onBatchEnd(b, {
          batch: b, size: m, loss: r.loss, acc: r.accuracy, accuracy: r.accuracy,
          samplesSeen: seen, imagesPerSecond: elapsed > 0 ? seen / elapsed : 0,
        });
        if (stopRequested()) break;
        if (now() - lastYield >= yieldEvery) {
          await yieldToEventLoop();
          lastYield = now();
          if (stopRequested()) break;
        }
      }
      if (seen === 0) break;
      logs = { loss: loss / seen, acc: correct / seen, accuracy: correct / seen };
      if (val) {
        const v = model._evaluateTensors(val.x, val.t, 256);
        Object.assign(logs, { val_loss: v.loss, val_acc: v.acc, val_accuracy: v.acc });
      }
      logs.lr = model.learningRate;
      logs.seconds = (now() - started) / 1000;
      history.epoch.push(epoch);
      record(logs);
      await callbacks.onEpochEnd(epoch, logs);
    }
    history.stopped = !!stopRequested();
    await callbacks.onTrainEnd(logs);
  } finally {
    stepper?.close();
    model.isTraining = false;
    if (options.augment && !model.disposed) model._setAugment(null, xt.shape);
  }
  return history;
}
