// The helper workers of the workers strategy (parallel.js), seen from the context that uses them:
// each is web/lib/worker.js in its 'helper' role (helper.js) with its own single-thread module.
// Requests carry a sequence number and answers settle them; a helper that dies (crashes, exits, is
// ended) rejects every pending request, leaves the pool, and the next call starts a fresh one. A
// helper holds replicas of models, made from their model-file bytes, dropped with the model.
import { locations } from './core.js';
import { isNode, userUrl } from './env.js';
import { threadsBuild } from './threads.js';

// spawn.js' spawn(), registered by index.js: the worker script (which imports this module too) must
// not contain the new Worker(new URL('./worker.js', ...)) pattern, or bundlers would bundle it into
// itself. So training and helper workers cannot start helpers: their helpers come from the page.
let spawn = null;

/** index.js hands over spawn.js' spawn(). */
export function useSpawner(fn) {
  spawn = fn;
}

export function spawner(what) {
  if (!spawn) throw new Error(`${what}: this context cannot start helper workers (it is a worker itself); call setThreads(1)`);
  return spawn;
}

/** @type {Helper[]} this context's helper workers, in order (helper i + 1 of helpers.length) */
let helpers = [];
// In a training worker the helpers are MessagePorts to workers that the calling context started
// (and watches); this context never starts helpers of its own then.
let adopted = false;

/** Whether this context's helpers came from the calling context (a training worker). */
export const helpersAdopted = () => adopted;

/** A training worker's helpers: MessagePorts to helper workers started by the calling context. */
export function adoptHelperPorts(ports) {
  adopted = true;
  helpers = ports.map((port) => new Helper(portEndpoint(port), { adopted: true }));
}

/** Ends helpers beyond the first `keep`. */
export function trimHelpers(keep, why) {
  while (helpers.length > keep) helpers.pop().end(why);
}

/** A MessagePort as a helper's endpoint (in a training worker: the calling context watches the helper itself). */
function portEndpoint(port) {
  return {
    on: (fn) => {
      port.addEventListener('message', (e) => fn(e.data));
      port.start();
    },
    onError: () => {},
    post: (m, t) => port.postMessage(m, t),
    terminate: () => port.close(),
    ref: () => port.ref?.(),
    unref: () => port.unref?.(),
  };
}

/** Why a helper's request failed: the helper died (`died`) or reported an Error while alive. */
class HelperFault extends Error {
  constructor(message, died) {
    super(message);
    this.died = died;
  }
}

/** One helper worker: requests carry a sequence number, answers settle them; a death rejects every pending one. */
class Helper {
  #endpoint;
  #pending = new Map();
  #seq = 0;
  #ready;
  /** Replica keys this helper holds ('<model id>:fit' / '<model id>:predict'), with what the replica was made from. */
  replicas = new Map();
  dead = null;

  constructor(endpoint, { adopted: isPort = false, wasm } = {}) {
    this.#endpoint = endpoint;
    let resolveReady;
    let rejectReady;
    this.#ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    this.#ready.catch(() => {});
    this.#rejectReady = rejectReady;
    endpoint.on((m) => {
      if (!m || typeof m !== 'object') return;
      if (m.type === 'ready' && !isPort) {
        endpoint.post({ type: 'helper', wasm });
      } else if (m.type === 'helperReady') {
        if (this.#pending.size === 0) endpoint.unref();
        resolveReady();
      } else if (m.type === 'helperFailed') {
        this.die(new Error(m.message));
      } else if (this.#pending.has(m.seq)) {
        const p = this.#pending.get(m.seq);
        this.#pending.delete(m.seq);
        if (this.#pending.size === 0) endpoint.unref();
        if (m.type === 'error') p.reject(new HelperFault(m.message, false));
        else p.resolve(m);
      }
    });
    endpoint.onError((e) => this.die(e));
  }

  #rejectReady;

  /** Resolves once the helper's core is loaded. */
  ready() {
    return this.#ready;
  }

  request(msg, transfer = []) {
    if (this.dead) return Promise.reject(new HelperFault(this.dead.message, true));
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#endpoint.ref();
      this.#pending.set(seq, { resolve, reject });
      this.#endpoint.post({ ...msg, seq }, transfer);
    });
  }

  /** A message that needs no answer (dropping a replica). */
  tell(msg) {
    if (!this.dead) this.#endpoint.post(msg);
  }

  /** The helper is gone (crashed, exited, or ended): every pending request rejects with `error`. */
  die(error) {
    if (this.dead) return;
    this.dead = error;
    this.#endpoint.terminate();
    const fault = new HelperFault(error.message, true);
    this.#rejectReady(fault);
    for (const p of this.#pending.values()) p.reject(fault);
    this.#pending.clear();
    helpers = helpers.filter((h) => h !== this);
  }

  end(why) {
    this.die(new Error(why));
  }

  /**
   * @internal for tests: ends the worker behind this context's back, as a crash would. Node reports
   * the exit; a browser says nothing about a terminated worker, so this says it.
   */
  _kill() {
    this.#endpoint.terminate();
    if (!isNode) this.die(new Error('the worker was terminated'));
  }
}

let starting = Promise.resolve();

/** This context's helpers, started up to `count` (lazily, reused between calls). */
export async function ensureHelpers(count) {
  if (adopted) {
    await Promise.all(helpers.map((h) => h.ready()));
    return helpers.slice(0, count);
  }
  // One caller at a time starts helpers (a fit and a predictAsync may both want them).
  const started = starting.then(async () => {
    const wasm = await wasmForHelpers();
    while (helpers.length < count) {
      const endpoint = await spawner('wasmcnn')(locations().worker, { caller: 'wasmcnn', name: 'the worker' });
      helpers.push(new Helper(endpoint, { wasm }));
    }
  });
  starting = started.catch(() => {});
  await started;
  const list = helpers.slice(0, count);
  const settled = await Promise.allSettled(list.map((h) => h.ready()));
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) {
    throw new Error(`wasmcnn: helper worker ${failed + 1} of ${count} did not start (${settled[failed].reason.message})`);
  }
  return list;
}

/**
 * The .wasm a helper loads: where ready({ wasmUrl }) was told, as an absolute URL; else its own
 * default. Not when this context runs the threaded build: that URL is the threaded .wasm, and a
 * helper loads the single-thread build (the file next to its script).
 */
async function wasmForHelpers() {
  const where = threadsBuild() ? null : locations().wasm;
  return where == null ? undefined : String(await userUrl(where, 'ready({ wasmUrl })'));
}

/** @internal for tests: this context's helper workers. */
export function _helpers() {
  return helpers.slice();
}

// --- replicas ---

let nextModelId = 1;
const modelIds = new WeakMap();
export const idOf = (model) => {
  if (!modelIds.has(model)) {
    modelIds.set(model, nextModelId++);
    forgetOnCollect?.register(model, modelIds.get(model));
  }
  return modelIds.get(model);
};
// A model that is garbage-collected without dispose(): its replicas go too.
const forgetOnCollect = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((id) => dropReplicas(id)) : null;

function dropReplicas(id) {
  for (const h of helpers) {
    for (const key of h.replicas.keys()) {
      if (key.startsWith(`${id}:`)) {
        h.replicas.delete(key);
        h.tell({ type: 'drop', key });
      }
    }
  }
}

/** Model.dispose(): the helpers drop their replicas of the model. */
export function forgetModel(model) {
  if (modelIds.has(model)) dropReplicas(modelIds.get(model));
}

/** Makes (or remakes, when `made` differs) the replica `key` in helper h. */
export async function replicaIn(h, key, made, model, augment) {
  if (h.replicas.get(key) === made) return;
  const bytes = model.toBytes();
  await h.request({ type: 'replica', key, bytes, augment }, [bytes.buffer]);
  h.replicas.set(key, made);
}

/** The Error of a helper's failure, naming it: "wasmcnn: helper worker 2 of 3 died during training (...)". */
function named(e, index, count, during) {
  if (!(e instanceof HelperFault)) return e;
  return new Error(e.died
    ? `wasmcnn: helper worker ${index + 1} of ${count} died during ${during} (${e.message})`
    : `wasmcnn: helper worker ${index + 1} of ${count} failed during ${during}: ${e.message}`);
}

/** Waits for every request (so no helper is left busy), then throws the first failure, named. */
export async function allAnswers(requests, count, during) {
  const settled = await Promise.allSettled(requests);
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) throw named(settled[failed].reason, failed, count, during);
  return settled.map((s) => s.value);
}

