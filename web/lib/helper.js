// The helper role of web/lib/worker.js: the far end of parallel.js' workers strategy. A helper
// holds replicas of models (made from their model-file bytes) and, for each request, sets a
// replica's parameters to those sent along, then computes the gradients of some shards of a
// training batch or the predictions for a slice of a batch. It keeps no state between requests
// but the replicas and its staging buffers, so any helper can serve any step.
import { call, getCore, Staging } from './core.js';
import { modelFromBytes } from './model.js';
import { Tensor } from './tensor.js';

const replicas = new Map();  // key -> Model
const staging = { params: new Staging(), x: new Staging(), t: new Staging(), grads: new Staging(), losses: new Staging() };

function replica(key) {
  const model = replicas.get(key);
  if (!model) throw new Error(`no replica '${key}' in this helper (was the model disposed?)`);
  return model;
}

/** Copies `data` into wasm memory (buffer `s`); returns its address. */
function copyIn(s, data) {
  const p = s.ensure(data.length);
  getCore().HEAPF32.set(data, p >> 2);
  return p;
}

function setParams(model, params) {
  const h = model._handle();
  const count = h.paramFloats();
  if (params.length !== count) throw new Error(`expected ${count} parameters, got ${params.length}`);
  call(() => h.setParams(copyIn(staging.params, params)));
  return h;
}

const handlers = {
  replica({ key, bytes, augment }) {
    replicas.get(key)?.dispose();
    replicas.delete(key);
    const model = modelFromBytes(bytes);
    try {
      if (augment) model._setAugment(augment, model.inputShape);
    } catch (e) {
      model.dispose();
      throw e;
    }
    replicas.set(key, model);
    return {};
  },

  shards({ key, step, params, x, t, n, first, last }) {
    const h = setParams(replica(key), params);
    const count = (last - first) * h.paramFloats();
    const xp = copyIn(staging.x, x);
    const tp = copyIn(staging.t, t);
    const gp = staging.grads.ensure(count);
    const lp = staging.losses.ensure(2 * (last - first));  // float64 each
    const r = call(() => h.shardGradients(xp, tp, n, first, last, step, gp, lp));
    const c = getCore();
    const grads = c.HEAPF32.slice(gp >> 2, (gp >> 2) + count);
    const losses = c.HEAPF64.slice(lp >> 3, (lp >> 3) + (last - first));
    return [{ grads, losses, correct: r.correct, finite: r.finite }, [grads.buffer, losses.buffer]];
  },

  predict({ key, params, x, shape, batchSize }) {
    const model = replica(key);
    setParams(model, params);
    const y = model.predict(new Tensor(x, shape), { batchSize }).data;
    return [{ y }, [y.buffer]];
  },

  drop({ key }) {
    replicas.get(key)?.dispose();
    replicas.delete(key);
    if (replicas.size === 0) for (const s of Object.values(staging)) s.free();
  },

  /** For tests: this helper's wasm heap and replica count. */
  memory() {
    return { heapUsed: getCore().heapUsed(), replicas: replicas.size };
  },
};

/** Whether `type` is a helper request. */
export const isHelperMessage = (type) => Object.hasOwn(handlers, type);

/**
 * Runs one request and answers it on `port` ({ type: 'done' | 'error', seq, ... }). 'drop' has
 * no sequence number and no answer.
 */
export function serveHelperRequest(msg, port) {
  try {
    const result = handlers[msg.type](msg);
    if (msg.seq === undefined) return;
    const [answer, transfer] = Array.isArray(result) ? result : [result, []];
    port.postMessage({ type: 'done', seq: msg.seq, ...answer }, transfer);
  } catch (e) {
    if (msg.seq !== undefined) port.postMessage({ type: 'error', seq: msg.seq, message: e?.message ?? String(e) });
  }
}
