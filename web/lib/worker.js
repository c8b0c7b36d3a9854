// wasmcnn's worker, in one of two roles (one file, so bundlers only ever see one worker):
// - the training worker: runs a whole fit() off the main thread. It receives one 'train' message,
//   posts progress events, and answers 'stop' by ending after the current batch; the trained model
//   goes back as model-file bytes (transferred, not copied). With `threads`, it trains on the
//   threaded build's pool, or as the coordinator of helper workers whose MessagePorts came along.
// - a helper worker of the workers strategy (parallel.js): receives one 'helper' message, loads
//   the single-thread core, then serves requests (helper.js) on its own port or on the
//   MessagePort that came with 'helper' (a helper of a training worker).
// Works as a module Web Worker (browsers, bundlers) and as a Node worker_threads worker.
// No top-level await: Vite emits workers as classic scripts, where it is a syntax error.
import { ready } from './core.js';
import { isNode, nodeBuiltins } from './env.js';
import { sequential, modelFromBytes } from './model.js';
import { Tensor } from './tensor.js';
import { mnistSample } from './data.js';
import { callbackFromJSON } from './callbacks.js';
import { useThreadsInWorker } from './parallel.js';
import { backendInfo } from './threads.js';
import { isHelperMessage, serveHelperRequest } from './helper.js';

let port = null;
const post = (msg, transfer = []) => port.postMessage(msg, transfer);
// 'stop' may arrive before the model exists or before fit() starts (which resets stopTraining):
// an abort signal keeps it until fit() looks.
const stopSignal = new AbortController();
let model = null;

async function input(x, y) {
  if (x && x.dataset === 'mnistSample') {
    const sample = await mnistSample({ count: x.count });
    return { x: sample.images, y: sample.labels };
  }
  return { x: new Tensor(x.data, x.shape), y: y && y.shape ? new Tensor(y.data, y.shape) : y };
}

async function train(msg) {
  await ready(msg.wasm ? { wasmUrl: msg.wasm } : {});
  await useThreadsInWorker({ threads: msg.threads, strategy: msg.strategy, ports: msg.helperPorts });
  model = msg.modelBytes ? modelFromBytes(msg.modelBytes) : sequential(msg.spec);
  if (msg.compile) model.compile(msg.compile);
  const { x, y } = await input(msg.x, msg.y);
  const fit = { ...msg.fit, signal: stopSignal.signal };
  if (fit.validationData) {
    const [xv, yv] = fit.validationData;
    fit.validationData = [new Tensor(xv.data, xv.shape), yv.shape ? new Tensor(yv.data, yv.shape) : yv];
  }
  const progressEvery = msg.progressEvery ?? 50;
  let lastProgress = 0;
  let epochNow = 0;
  fit.callbacks = [
    ...(msg.callbacks ?? []).map(callbackFromJSON),
    {
      onTrainBegin: () => post({ type: 'trainBegin', backendInfo: backendInfo() }),
      onEpochBegin: (epoch) => {
        epochNow = epoch;
        post({ type: 'epochBegin', epoch });
      },
      onBatchEnd: (batch, logs) => {
        const t = performance.now();
        if (t - lastProgress >= progressEvery) {
          lastProgress = t;
          post({ type: 'batch', epoch: epochNow, batch, logs });
        }
      },
      onEpochEnd: (epoch, logs) => post({ type: 'epoch', epoch, logs }),
    },
  ];
  try {
    const history = await model.fit(x, y, fit);
    const bytes = model.toBytes();
    post({ type: 'done', bytes, history }, [bytes.buffer]);
  } finally {
    model.dispose();
    model = null;
  }
}

// A helper answers where its requests come from: its own port, or the port it was given.
let helperPort = null;

async function startHelper(msg) {
  const answer = msg.port ?? port;
  try {
    // Its own single-thread module: the threads are the helpers.
    await ready({ ...(msg.wasm ? { wasmUrl: msg.wasm } : {}), threads: false });
  } catch (e) {
    answer.postMessage({ type: 'helperFailed', message: e?.message ?? String(e) });
    return;
  }
  helperPort = answer;
  if (msg.port) {
    msg.port.addEventListener('message', (e) => onMessage(e.data));
    msg.port.start();
  }
  helperPort.postMessage({ type: 'helperReady' });
}

const onMessage = (msg) => {
  if (helperPort && isHelperMessage(msg.type)) {
    serveHelperRequest(msg, helperPort);
    return;
  }
  if (msg.type === 'helper') {
    startHelper(msg);
    return;
  }
  if (msg.type === 'stop') {
    stopSignal.abort();
    return;
  }
  if (msg.type === 'train') {
    train(msg).catch((e) => post({ type: 'error', message: e?.message ?? String(e), history: e?.history }));
  }
};

// A Web Worker listens at once; a Node worker thread first gets its parentPort (messages wait in it).
if (isNode) {
  nodeBuiltins('a worker_threads worker').then(({ workerThreads }) => {
    port = workerThreads.parentPort;
    port.on('message', onMessage);
    post({ type: 'ready' });
  });
} else {
  port = self;
  port.addEventListener('message', (e) => onMessage(e.data));
  post({ type: 'ready' });
}
