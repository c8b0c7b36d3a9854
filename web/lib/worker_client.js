// trainInWorker: runs model.fit() in a dedicated worker (web/lib/worker.js) and hands back a
// trained Model on this thread. Progress arrives as events; stop() ends training after the current
// batch; a worker that crashes or is terminated rejects the job with a clear Error.
import { locations, ready } from './core.js';
import { isNode, nodeBuiltins, userUrl } from './env.js';
import { Model, modelFromBytes } from './model.js';
import { Tensor } from './tensor.js';

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];
// Only to name the worker's URL in an Error when it fails to load; in a webpack build this is a
// file: path of the build machine, which is then not named.
const moduleUrl = import.meta.url;

function nodeWorker(w, url) {
  return {
    on: (fn) => w.on('message', fn),
    onError: (fn) => {
      w.on('error', (e) => fn(new Error(`trainInWorker: the training worker ${url} failed: ${e?.message ?? e}`)));
      w.on('exit', (code) => fn(new Error(`the training worker exited (code ${code})`)));
    },
    post: (m, t) => w.postMessage(m, t),
    terminate: () => w.terminate(),
  };
}

/** Why a worker script did not load: fetched again to read the HTTP status and the MIME type. */
async function whyNotLoaded(url) {
  if (!url || !/^https?:/.test(url.protocol)) return 'it did not load (see the browser console)';
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) return `HTTP ${response.status} ${response.statusText}`.trim();
    const type = response.headers.get('content-type') ?? '(none)';
    if (!/javascript|ecmascript/i.test(type)) return `it is served as ${type}, not JavaScript, so a module worker refuses it`;
    return 'the script loaded but failed to start (see the browser console; a Content-Security-Policy worker-src that refuses it?)';
  } catch (e) {
    return `the request failed (${e.message}; blocked by CORS or the page's Content-Security-Policy?)`;
  }
}

function webWorker(w, url) {
  const where = url ? `the training worker ${url}` : 'the training worker';
  const help = 'Serve wasmcnn\'s web/lib/ folder (worker.js and the modules it imports) there, or pass ' +
    'trainInWorker(model, x, y, { workerUrl }) or cnn.ready({ workerUrl })';
  return {
    on: (fn) => w.addEventListener('message', (e) => fn(e.data)),
    onError: (fn) => {
      w.addEventListener('error', (e) => {
        // An ErrorEvent with a message is an exception in the worker; a bare Event is a failed load.
        if (e.message) fn(new Error(`${where} failed to start or crashed: ${e.message}`));
        else whyNotLoaded(url).then((why) => fn(new Error(`${where} could not be loaded: ${why}. ${help}`)));
      });
      w.addEventListener('messageerror', () => fn(new Error('the training worker sent a message that could not be read')));
    },
    post: (m, t) => w.postMessage(m, t),
    terminate: () => w.terminate(),
  };
}

async function spawn(workerUrl) {
  if (isNode) {
    const { workerThreads, workerScript } = await nodeBuiltins('trainInWorker');
    const url = workerUrl ? await userUrl(workerUrl, 'trainInWorker({ workerUrl })') : workerScript;
    return nodeWorker(new workerThreads.Worker(url), url);
  }
  if (workerUrl) {
    const url = await userUrl(workerUrl, 'trainInWorker({ workerUrl })');
    return webWorker(startWorker(() => new Worker(url, { type: 'module' }), url), url);
  }
  // Where the worker is when nothing moved it (the files as in the package, e.g. from a CDN).
  const guess = moduleUrl.startsWith('file:') ? null : new URL('./worker.js', moduleUrl);
  // Exactly this one expression: the pattern Vite, webpack and Parcel recognise, bundle as a worker
  // and point at the file they emit. Anything else (a URL made beforehand, a variable) they leave
  // alone, and the worker 404s.
  return webWorker(startWorker(() => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }), guess), guess);
}

/**
 * Starts a worker. A page may not start one from another origin's URL (the package on a CDN): then
 * a same-origin module worker that only imports the script from there (the CDN must send CORS
 * headers), whose own imports resolve against that URL.
 */
function startWorker(create, url) {
  try {
    return create();
  } catch (e) {
    if (e?.name !== 'SecurityError' || !url || url.origin === globalThis.location?.origin) {
      throw new Error(`trainInWorker: could not start the training worker ${url ?? ''}: ${e.message}`);
    }
    const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
    try {
      return new Worker(shim, { type: 'module' });
    } finally {
      // The worker has its own reference to the script once started.
      setTimeout(() => URL.revokeObjectURL(shim), 60000);
    }
  }
}

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
      transfer = false, progressEvery, callbacks = [], ...fit } = options;
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
          job._emit('trainBegin', {});
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
