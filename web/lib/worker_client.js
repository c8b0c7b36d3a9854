// trainInWorker: runs model.fit() in a dedicated worker (web/lib/worker.js) and hands back a
// trained Model on this thread. Progress arrives as events; stop() ends training after the current
// batch; a worker that crashes or is terminated rejects the job with a clear Error.
import { locations, ready } from './core.js';
import { userUrl } from './env.js';
import { spawn } from './spawn.js';
import { helpersForWorker } from './parallel.js';
import { threads as contextThreads } from './threads.js';
import { Model, modelFromBytes } from './model.js';
import { Tensor } from './tensor.js';

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];

function plainTensor(t, what, transfer, list) {
  if (t == null) return t;
  if (Array.isArray(t)) return t;
  if (ArrayBuffer.isView(t)) {
    const copy = transfer ? t : t.slice();
    list.push(copy.buffer);
    return copy;
  }
  if (t instanceof Tensor || (t.data && t.shape)) {
    const data = transfer ? t.data : t.data.slice();
    list.push(data.buffer);
    return { data, shape: Array.from(t.shape) };
  }
  if (t.dataset) return t;
  throw new Error(`trainInWorker: ${what} must be a tensor, labels or cnn.data.sampleRef(...)`);
}

/**
 * A training run in a worker. Await it (or its `promise`) for { model, history }.
 * Events: trainBegin, epochBegin, batch, epoch, done, error, stopped.
 */
export class TrainingJob {
  #listeners = new Map();
  #worker = null;
  #helpers = [];
  #settled = false;
  #stopRequested = false;

  constructor(start) {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => {});
    start(this).catch((e) => this._fail(e));
  }

  #resolve;
  #reject;

  on(type, fn) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, []);
    this.#listeners.get(type).push(fn);
    return this;
  }

  _emit(type, payload) {
    for (const fn of this.#listeners.get(type) ?? []) {
      try {
        fn(payload);
      } catch (e) {
        queueMicrotask(() => { throw e; });
      }
    }
  }

  _attach(worker) {
    this.#worker = worker;
    // terminate() (or a failure) came while the worker was starting: it must not live on.
    if (this.#settled) {
      worker.terminate();
      return;
    }
    // A stop() before the worker existed; the worker keeps it until its fit() starts.
    if (this.#stopRequested) worker.post({ type: 'stop' });
  }

  /** The helper workers started here for the training worker (workers strategy): they end with the job. */
  _attachHelpers(list) {
    this.#helpers = list;
    if (this.#settled) for (const h of list) h.terminate();
  }

  /** @internal for tests: the helper workers of this job. */
  get _helperWorkers() {
    return this.#helpers.slice();
  }

  _done(value) {
    this.#settle('done', value, this.#resolve);
  }

  _fail(error) {
    this.#settle('error', error, this.#reject);
  }

  // Once only: ends the worker, tells the listeners, then resolves or rejects the job.
  #settle(event, value, settle) {
    if (this.#settled) return;
    this.#settled = true;
    this.#worker?.terminate();
    for (const h of this.#helpers) h.terminate();
    this._emit(event, value);
    settle(value);
  }

  /** Ends training after the current batch; the job still resolves with the model trained so far. */
  stop() {
    this.#stopRequested = true;
    this.#worker?.post({ type: 'stop' });
    this._emit('stopped', {});
  }

  /** Kills the worker at once; the job rejects. */
  terminate() {
    this._fail(new Error('trainInWorker: the training worker was terminated'));
  }

  then(onFulfilled, onRejected) {
    return this.promise.then(onFulfilled, onRejected);
  }

  catch(onRejected) {
    return this.promise.catch(onRejected);
  }
}

/**
 * Trains a model in a dedicated worker. `model` is a Model (copied in as bytes) or a spec
 * { inputShape, seed, layers }; `options` are fit() options plus `compile` (for a spec or to
 * recompile), `workerUrl` and `wasmUrl` (where the worker script and the .wasm are, when not where
 * the library or your bundler put them; `worker` and `wasm` are older names), `transfer` (hand over x/y's buffers instead of
 * copying them), and hooks onTrainBegin/onEpochBegin/onBatchEnd/onEpochEnd/onTrainEnd called here.
 */
export function trainInWorker(model, x, y, options = {}) {
  return new TrainingJob(async (job) => {
    const { compile, worker: oldWorkerName, workerUrl = oldWorkerName ?? locations().worker, wasm, wasmUrl = wasm ?? locations().wasm,
      transfer = false, progressEvery, callbacks = [], threads = contextThreads(), ...fit } = options;
    const hooks = {};
    for (const h of HOOKS) {
      if (fit[h] !== undefined) {
        if (typeof fit[h] !== 'function') throw new Error(`trainInWorker: ${h} must be a function`);
        hooks[h] = fit[h];
        delete fit[h];
      }
    }
    const list = Array.isArray(callbacks) ? callbacks : [callbacks];
    const builtIn = list.filter((c) => typeof c.toJSON === 'function').map((c) => c.toJSON());
    const local = list.filter((c) => typeof c.toJSON !== 'function');
    if (fit.signal) {
      if (fit.signal.aborted) job.stop();
      else fit.signal.addEventListener('abort', () => job.stop(), { once: true });
      delete fit.signal;
    }
    const transferList = [];
    // The worker resolves nothing against the page: it gets an absolute URL (or the bytes).
    const wasmSource = wasmUrl == null ? undefined
      : ArrayBuffer.isView(wasmUrl) || wasmUrl instanceof ArrayBuffer || wasmUrl instanceof WebAssembly.Module ? wasmUrl
        : String(await userUrl(wasmUrl, 'trainInWorker({ wasmUrl })'));
    const msg = { type: 'train', compile, fit, callbacks: builtIn, wasm: wasmSource, progressEvery };
    if (model instanceof Model) {
      await ready();
      const bytes = model.toBytes();
      msg.modelBytes = bytes;
      transferList.push(bytes.buffer);
    } else if (model && typeof model === 'object' && Array.isArray(model.inputShape)) {
      msg.spec = model;
      if (!compile) throw new Error('trainInWorker: a model spec needs options.compile ({ optimizer, loss })');
    } else {
      throw new Error('trainInWorker: model must be a Model or a spec { inputShape, seed, layers }');
    }
    msg.x = plainTensor(x, 'x', transfer, transferList);
    msg.y = plainTensor(y, 'y', transfer, transferList);
    if (fit.validationData) {
      fit.validationData = fit.validationData.map((t, i) => plainTensor(t, i ? 'validation y' : 'validation x', false, transferList));
    }

    // The worker's threads: its own pthreads pool, or helper workers started here (only a page can
    // start workers that bundlers find) and connected to it by MessagePorts.
    const help = await helpersForWorker(threads, { workerUrl, wasm: wasmSource,
      onDeath: (e) => job._fail(new Error(`trainInWorker: ${e.message}`)) });
    job._attachHelpers(help.workers);
    Object.assign(msg, { threads, strategy: help.strategy, helperPorts: help.ports });
    transferList.push(...help.ports);

    const worker = await spawn(workerUrl);
    job._attach(worker);
    const fire = async (hook, ...args) => {
      for (const cb of [hooks, ...local]) if (cb[hook]) await cb[hook](...args);
    };
    worker.onError((e) => job._fail(e instanceof Error ? e : new Error(String(e))));
    const handle = async (m) => {
      switch (m.type) {
        case 'ready':
          worker.post(msg, transferList);
          break;
        case 'trainBegin':
          job._emit('trainBegin', { backendInfo: m.backendInfo });
          await fire('onTrainBegin', {});
          break;
        case 'epochBegin':
          job._emit('epochBegin', m);
          await fire('onEpochBegin', m.epoch, {});
          break;
        case 'batch':
          job._emit('batch', m);
          await fire('onBatchEnd', m.batch, { ...m.logs, epoch: m.epoch });
          break;
        case 'epoch':
          job._emit('epoch', m);
          await fire('onEpochEnd', m.epoch, m.logs);
          break;
        case 'done': {
          const trained = modelFromBytes(m.bytes);
          await fire('onTrainEnd', {});
          job._done({ model: trained, history: m.history });
          break;
        }
        case 'error': {
          const e = new Error(`trainInWorker: ${m.message}`);
          e.history = m.history;
          job._fail(e);
          break;
        }
        default:
          break;
      }
    };
    // A hook that throws, or bytes that don't load, fail the job (not an unhandled rejection).
    worker.on((m) => handle(m).catch((e) => job._fail(e)));
  });
}
