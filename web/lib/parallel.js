// The workers strategy: helper workers (helper_pool.js), each with its own single-thread module,
// for pages without SharedArrayBuffer (threads.js has the other strategy and what runs where). A
// training step gives each participant (this context first, then the helpers) a contiguous block
// of the batch's shards; the helpers compute their blocks' gradients on a replica of the model
// whose parameters travel with the step, this context computes its own block meanwhile, copies
// every block into one wasm buffer in shard order and applies the update (applyGradients), so the
// model changes exactly as trainBatch would change it. predictAsync shares out slices of a batch.
// Also cnn.setThreads, which sizes both strategies, and trainInWorker's threads.
import { call, getCore, ready, Staging } from './core.js';
import { Tensor } from './tensor.js';
import { STRATEGIES, checkThreads, configure, detectHardware, resolveStrategy, shardSize, strategy, threads, threadsBuild, wantedStrategy }
  from './threads.js';
import { adoptHelperPorts, allAnswers, ensureHelpers, helpersAdopted, idOf, replicaIn, spawner, trimHelpers } from './helper_pool.js';

/**
 * Sets this context's threads: n in 1..16; `strategy` 'auto' (default: 'pthreads' when the threaded
 * build is loaded, else 'workers'), 'pthreads' or 'workers'. n = 1 is the single-thread path: no
 * pool, no helpers (running ones are ended).
 */
export async function setThreads(n, options = {}) {
  checkThreads(n, 'setThreads');
  if (options === null || typeof options !== 'object') throw new Error('setThreads: options must be an object such as { strategy: \'auto\' }');
  const unknown = Object.keys(options).find((k) => k !== 'strategy');
  if (unknown) throw new Error(`setThreads: unknown option '${unknown}' (known: strategy)`);
  const { strategy: wanted = 'auto' } = options;
  if (!STRATEGIES.includes(wanted)) {
    throw new Error(`setThreads: unknown strategy ${JSON.stringify(wanted)} (known: ${STRATEGIES.join(', ')})`);
  }
  await ready();
  if (helpersAdopted()) throw new Error('setThreads: this is a training worker; pass trainInWorker(model, x, y, { threads }) instead');
  await configure(n, wanted, 'setThreads');
  trimHelpers(strategy() === 'workers' ? threads() - 1 : 0, `setThreads(${n}) ended it`);
}

/**
 * In a training worker: the threads its trainInWorker asked for. `ports` are MessagePorts to helper
 * workers the calling context started ('workers'); otherwise 'pthreads' sizes this worker's pool.
 */
export async function useThreadsInWorker({ threads: n = 1, strategy: wanted = 'auto', ports = [] }) {
  checkThreads(n, 'trainInWorker');
  if (ports.length) {
    await configure(ports.length + 1, 'workers', 'trainInWorker');
    adoptHelperPorts(ports);
    return;
  }
  const run = wanted === 'single' ? 'auto' : wanted;  // what the calling context resolved, or 'auto'
  if (resolveStrategy(n, run) === 'workers') {
    throw new Error('trainInWorker: the workers strategy needs helper workers from the calling context, and none came');
  }
  await configure(n, run, 'trainInWorker');
}

/**
 * For trainInWorker in the calling context: what the training worker should run with `n` threads,
 * and, for the workers strategy, n - 1 helper workers started here, each connected to the
 * training worker by a MessagePort. `onDeath(error)` is called when one of them dies.
 */
export async function helpersForWorker(n, { workerUrl, wasm, onDeath }) {
  checkThreads(n, 'trainInWorker');
  await detectHardware();
  const run = resolveStrategy(n, wantedStrategy());
  if (run !== 'workers') return { strategy: run, ports: [], workers: [] };
  const count = n - 1;
  const workers = [];
  const ports = [];
  for (let i = 0; i < count; i++) {
    const name = `helper worker ${i + 1} of ${count}`;
    const endpoint = await spawner('trainInWorker')(workerUrl, { caller: 'trainInWorker', name: 'the worker' });
    const channel = new MessageChannel();
    let started = false;
    endpoint.onError((e) => onDeath(new Error(`wasmcnn: ${name} ${started ? 'died during training' : 'did not start'} (${e.message})`)));
    endpoint.on((m) => {
      if (m?.type !== 'ready') return;
      started = true;
      // The training worker's .wasm is the helpers' only when this context runs the single build.
      endpoint.post({ type: 'helper', wasm: threadsBuild() ? undefined : wasm, port: channel.port1 }, [channel.port1]);
    });
    workers.push(endpoint);
    ports.push(channel.port2);
  }
  return { strategy: run, ports, workers };
}

/** The parameters of `model` (all of them, getWeights() order) as a Float32Array. */
function paramsOf(h, staging) {
  const c = getCore();
  const count = h.paramFloats();
  const p = staging.ensure(count);
  call(() => h.getParams(p));
  return c.HEAPF32.slice(p >> 2, (p >> 2) + count);
}

// Contiguous blocks [first, last) of `items`, one per participant, as equal as can be: the work split.
function blocks(items, parts) {
  const out = [];
  for (let k = 0, first = 0; k < parts; k++) {
    const size = Math.floor(items / parts) + (k < items % parts ? 1 : 0);
    out.push([first, first + size]);
    first += size;
  }
  return out;
}

// --- training ---

/**
 * The training step fit() runs: model._trainStep (one trainBatch call; the pthreads pool splits it
 * inside the core) unless the workers strategy runs and a batch has more than one shard. Then
 * step(idx, from, m) resolves to trainBatch's { loss, accuracy, finite } computed across the helpers.
 * close() frees the buffers and drops the replicas.
 */
export async function trainStepper(model, xt, t, { batchSize, augment }) {
  const single = { step: (idx, from, m) => model._trainStep(xt, t, idx, from, m), close: () => {} };
  await detectHardware();
  const shard = shardSize();
  const wanted = Math.min(threads(), Math.ceil(batchSize / shard)) - 1;
  if (strategy() !== 'workers' || wanted < 1) return single;
  const list = await ensureHelpers(wanted);
  const key = `${idOf(model)}:fit`;
  const made = {};  // a replica per fit: the model may change between fits
  const dropReplicas = () => {
    for (const helper of list) {
      if (helper.replicas.get(key) === made) {
        helper.replicas.delete(key);
        helper.tell({ type: 'drop', key });
      }
    }
  };
  try {
    await allAnswers(list.map((helper) => replicaIn(helper, key, made, model, augment)), list.length, 'training');
  } catch (e) {
    dropReplicas();
    throw e;
  }
  const c = getCore();
  const params = new Staging();
  const grads = new Staging();
  const losses = new Staging();
  const per = xt.data.length / xt.shape[0];
  const P = model._handle().paramFloats();

  // Samples idx[from + a .. from + b) of x and of the targets, gathered for a helper.
  const gather = (idx, from, a, b) => {
    const xs = new Float32Array((b - a) * per);
    const ts = new Float32Array((b - a) * t.cols);
    for (let i = a; i < b; i++) {
      const s = idx ? idx[from + i] : from + i;
      xs.set(xt.data.subarray(s * per, (s + 1) * per), (i - a) * per);
      ts.set(t.data.subarray(s * t.cols, (s + 1) * t.cols), (i - a) * t.cols);
    }
    return { xs, ts };
  };

  return {
    async step(idx, from, m) {
      const shards = Math.ceil(m / shard);
      const parts = Math.min(list.length + 1, shards);
      if (parts === 1) return model._trainStep(xt, t, idx, from, m);  // one shard: trainBatch is the same math
      const split = blocks(shards, parts);
      // Each time: a model disposed meanwhile (by a callback) says so, not "deleted object".
      const h = model._handle();
      const step = h.step();
      const weights = paramsOf(h, params);
      const requests = split.slice(1).map(([first, last], k) => {
        const { xs, ts } = gather(idx, from, first * shard, Math.min(last * shard, m));
        const w = k === parts - 2 ? weights : weights.slice();
        return list[k].request({ type: 'shards', key, step, params: w, x: xs, t: ts, n: m, first, last },
          [w.buffer, xs.buffer, ts.buffer]);
      });
      // This context's own block, meanwhile, written where it goes in the buffers of all shards
      // (P gradient floats and one float64 loss per shard).
      const [, own] = split[0];
      const { xp, tp } = model._stage(xt, idx, from, Math.min(own * shard, m), t);
      const gp = grads.ensure(shards * P);
      const lp = losses.ensure(2 * shards);
      let mine;
      try {
        mine = call(() => h.shardGradients(xp, tp, m, 0, own, step, gp, lp));
      } finally {
        // Even when this block failed: no helper may be left working on the step.
        if (!mine) await Promise.allSettled(requests);
      }
      const answers = await allAnswers(requests, list.length, 'training');
      model._handle();
      let correct = mine.correct;
      answers.forEach((a, k) => {
        const [first] = split[k + 1];
        c.HEAPF32.set(a.grads, (gp >> 2) + first * P);
        c.HEAPF64.set(a.losses, (lp >> 3) + first);
        correct += a.correct;
      });
      return call(() => h.applyGradients(gp, lp, shards, m, correct));
    },
    close() {
      params.free();
      grads.free();
      losses.free();
      dropReplicas();
    },
  };
}

// --- inference ---

/**
 * predict() across this context and its helpers (workers strategy): contiguous slices of x, each
 * predicted whole by one participant. Predictions are per sample, so any split gives predict()'s bits.
 */
export async function parallelPredict(model, xt, batchSize) {
  await detectHardware();
  const n = xt.shape[0];
  const shard = shardSize();
  const parts = Math.min(threads(), Math.ceil(n / shard));
  if (strategy() !== 'workers' || parts < 2) return model.predict(xt, { batchSize });
  const list = await ensureHelpers(parts - 1);
  const key = `${idOf(model)}:predict`;
  // The replica is remade only when the layers changed; the weights go with every call.
  const made = JSON.stringify(model.toSpec());
  await allAnswers(list.map((helper) => replicaIn(helper, key, made, model, null)), list.length, 'predictAsync');
  const staging = new Staging();
  let weights;
  try {
    weights = paramsOf(model._handle(), staging);  // after the awaits: a model disposed meanwhile says so
  } finally {
    staging.free();
  }
  const per = xt.data.length / n;
  const split = blocks(n, parts);
  const requests = split.slice(1).map(([a, b], k) => {
    const x = xt.data.slice(a * per, b * per);
    const w = k === parts - 2 ? weights : weights.slice();
    return list[k].request({ type: 'predict', key, params: w, x, shape: [b - a, ...xt.shape.slice(1)], batchSize },
      [w.buffer, x.buffer]);
  });
  let mine;
  try {
    mine = model.predict(new Tensor(xt.data.subarray(0, split[0][1] * per), [split[0][1], ...xt.shape.slice(1)]), { batchSize });
  } finally {
    if (!mine) await Promise.allSettled(requests);
  }
  const answers = await allAnswers(requests, list.length, 'predictAsync');
  const outPer = mine.data.length / split[0][1];
  const out = new Float32Array(n * outPer);
  out.set(mine.data, 0);
  answers.forEach((a, k) => out.set(a.y, split[k + 1][0] * outPer));
  return new Tensor(out, [n, ...mine.shape.slice(1)]);
}
