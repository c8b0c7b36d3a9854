// One column of the threads bench (bench/threads.mjs) in a process of its own, started by it under
// `taskset`: `node bench/threads_side.mjs '<spec as JSON>'`. A spec names the side (peak | prepare |
// wasmcnn | ort | tfjs_wasm | tfjs_wasm_browser), its thread count and strategy, the settings, and
// the file to write the figures to. Progress goes to stderr. The timing is bench/threads_measure.mjs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stats } from './measure.mjs';
import { loadPeak } from './peak/peak.mjs';
import { IMAGE } from './peers/common.mjs';
import { flopsOf, vgg, randomImages } from './modern_models.mjs';
import { onnxSchema, sequentialOnnx } from './peers/onnx_sequential.mjs';
import { compare, cpus, latency, measured, perCall, rate, timed, training } from './threads_measure.mjs';

const spec = JSON.parse(process.argv[2]);

// Nothing may be downloaded at run time: every library loads from node_modules or web/lib.
const localFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = String(input?.url ?? input);
  if (/^(https?|wss?):/i.test(url)) return Promise.reject(new Error(`bench: refused to download ${url}`));
  return localFetch(input, init);
};
const { cfg } = spec;
const log = (s) => console.error(`  [${spec.label}] ${s}`);

// ---------------------------------------------------------------- shared data

const b64 = (f32) => Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
const fromB64 = (s) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

async function mnist() {
  const { mnistSample } = await import('../web/lib/data.js');
  const s = await mnistSample();
  return {
    xTrain: s.images.data.subarray(0, 8000 * IMAGE), yTrain: s.labels.subarray(0, 8000),
    xTest: s.images.data.subarray(8000 * IMAGE, 10000 * IMAGE), nTest: 2000,
  };
}

const VGG_SHAPE = [32, 32, 3];
const VGG_IMAGE = 32 * 32 * 3;
/** Seeded VGG inputs and labels: the content does not change the work, only the shapes do. */
function vggData(n) {
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = (i * 7 + 3) % 10;
  return { x: randomImages(n, VGG_SHAPE, 13), y };
}

function lenet(cnn, seed) {
  const L = cnn.layers;
  return cnn.sequential({
    inputShape: [28, 28, 1], seed, layers: [
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 84, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function compileSgd(cnn, model) {
  model.compile({ optimizer: cnn.optimizers.sgd({ learningRate: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

const concat = (list) => {
  const out = new Float32Array(list.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of list) {
    out.set(a, o);
    o += a.length;
  }
  return out;
};

// ---------------------------------------------------------------- the rows, for any library

/** Calls per repetition so that one lasts about cfg.repSeconds (long enough for the CPU accounting). */
const sized = (seconds, min, max) => Math.max(min, Math.min(max, Math.round(cfg.repSeconds / seconds)));

/**
 * The inference rows of one library, from its predict(x, n) for LeNet and VGG (each wraps the input,
 * runs, reads the probabilities back), after cfg.warmupCalls calls of each.
 */
async function inferenceRows(lib, data) {
  const r = {};
  const vggX = vggData(64).x;
  const lenetBatch = (i) => data.xTest.subarray(((i * 256) % 1792) * IMAGE, (((i * 256) % 1792) + 256) * IMAGE);
  const lenetOne = (i) => data.xTest.subarray((i % data.nTest) * IMAGE, (i % data.nTest + 1) * IMAGE);
  const vggOne = (i) => vggX.subarray((i % 64) * VGG_IMAGE, (i % 64 + 1) * VGG_IMAGE);
  const one = (i) => lib.lenet.predict(lenetOne(i), 1);
  const batch = (i) => lib.lenet.predict(lenetBatch(i), 256);
  const vggOneCall = (i) => lib.vgg.predict(vggOne(i), 1);
  const vggBatch = () => lib.vgg.predict(vggX, 64);
  await perCall(one, cfg.warmupCalls);
  await perCall(batch, Math.max(2, cfg.warmupCalls / 50));
  log('LeNet inference ...');
  r.lenetInfer256 = await rate(batch, { images: 256, calls: sized(await perCall(batch, 2), 2, 1000), reps: cfg.reps });
  r.lenetLatency = await latency(one, { calls: sized(await perCall(one, 20), 20, 50000), reps: cfg.reps });
  await perCall(vggOneCall, cfg.warmupCalls / 10);
  await perCall(vggBatch, Math.max(2, cfg.warmupCalls / 50));
  log('VGG inference ...');
  r.vggInfer64 = await rate(vggBatch, { images: 64, calls: sized(await perCall(vggBatch, 1), 2, 1000), reps: cfg.reps });
  r.vggLatency = await latency(vggOneCall, { calls: sized(await perCall(vggOneCall, 5), 10, 50000), reps: cfg.reps });
  return r;
}

// ---------------------------------------------------------------- sides

/** The f32x4 multiply-add peak on this process's CPU: GFLOP/s, median of a few runs, and what others took meanwhile. */
async function peakSide() {
  const p = await loadPeak();
  const g = [];
  let others = 0;
  for (let i = 0; i < 5; i++) {
    const t = await timed(() => {
      g.push(p.run(cfg.peakSeconds));
    });
    others = Math.max(others, t.others ?? 0);
  }
  return { gflops: stats(g), others };
}

/**
 * Loads wasmcnn: the single-thread build when spec.build is 'single' (what a page without cross-origin
 * isolation runs), else the loader's choice (the pthreads build under Node); then, for a thread count
 * or strategy other than the single path, cnn.setThreads. Says n/a when the result is not what was asked.
 */
async function wasmcnn() {
  // The package loads its core when imported, and the first load decides the build: so the single
  // build is asked for through core.js before the entry is imported (ready() before issue 15 has
  // one build and ignores the option).
  if (spec.build === 'single') await (await import('../web/lib/core.js')).ready({ threads: false });
  const cnn = await import('../web/lib/index.js');
  await cnn.ready();
  const threadsApi = typeof cnn.setThreads === 'function';
  if (spec.build === 'pthreads' && !threadsApi) return { cnn, na: 'no pthreads build (cnn.setThreads missing)', short: 'cnn.setThreads missing' };
  if (spec.threads > 1 || spec.strategy) {
    if (!threadsApi) return { cnn, na: 'cnn.setThreads missing' };
    await cnn.setThreads(spec.threads, spec.strategy ? { strategy: spec.strategy } : undefined);
  } else if (threadsApi) {
    await cnn.setThreads(1);
  }
  const info = typeof cnn.backendInfo === 'function' ? cnn.backendInfo()
    : { strategy: 'single', threads: 1, build: 'single', note: 'no cnn.backendInfo (a build before issue 15)' };
  if (threadsApi && cnn.threads() !== spec.threads) {
    return { cnn, info, na: `cnn.threads() is ${cnn.threads()} after setThreads(${spec.threads})` };
  }
  if (spec.strategy && info.strategy !== spec.strategy) {
    return { cnn, info, na: `backendInfo().strategy is '${info.strategy}', not '${spec.strategy}'` };
  }
  if (spec.build && info.build !== spec.build) {
    return { cnn, info, na: `backendInfo().build is '${info.build}', not '${spec.build}'` };
  }
  return { cnn, info };
}

/** wasmcnn's single-thread reference, pinned to CPU 0: trained LeNet weights and probabilities every column is checked against. */
async function prepareSide() {
  const { cnn } = await wasmcnn();
  const data = await mnist();
  const n = cfg.determinismImages;
  const model = compileSgd(cnn, lenet(cnn, 7));
  await model.fit(cnn.tensor(data.xTrain.subarray(0, n * IMAGE), [n, 28, 28, 1]), data.yTrain.subarray(0, n), { epochs: 1, batchSize: 32, shuffle: true });
  const weights = model.getWeights().map((w) => ({ layer: w.layer, name: w.name, shape: w.shape, data: b64(w.data) }));
  const lenetProbs = model.predict(cnn.tensor(data.xTest.subarray(0, 512 * IMAGE), [512, 28, 28, 1]), { batchSize: 256 }).data;
  const v = vgg(cnn);
  const vggProbs = v.predict(cnn.tensor(vggData(64).x, [64, ...VGG_SHAPE]), { batchSize: 64 }).data;
  // What a training step moves and computes, for the scaling arithmetic: parameters (floats) and FLOP per image.
  const size = (m) => ({ params: m.getWeights().reduce((a, w) => a + w.data.length, 0), ...flopsOf(m) });
  return { weights, lenetProbs: b64(lenetProbs), vggProbs: b64(vggProbs), models: { lenet: size(model), vgg: size(v) } };
}

function reference() {
  const r = JSON.parse(readFileSync(spec.reference, 'utf8'));
  return {
    weights: r.weights.map((w) => ({ ...w, data: fromB64(w.data) })),
    lenetProbs: fromB64(r.lenetProbs),
    vggProbs: fromB64(r.vggProbs),
  };
}

async function wasmcnnSide() {
  const { cnn, info, na, short } = await wasmcnn();
  if (na) return { info, na, short };
  const ref = reference();
  const data = await mnist();
  const threaded = spec.threads > 1;
  // Batch inference through the call a user would make on this strategy: predictAsync spreads a
  // batch over the helper workers; with pthreads (or one thread) it is predict.
  const infer = async (model, x, n, shape) => {
    const t = cnn.tensor(x, [n, ...shape]);
    const y = threaded && typeof model.predictAsync === 'function' ? await model.predictAsync(t, { batchSize: n }) : model.predict(t, { batchSize: n });
    return y.data;
  };

  log('determinism: LeNet training and predictions against the single-thread reference ...');
  const det = {};
  const n = cfg.determinismImages;
  const trained = compileSgd(cnn, lenet(cnn, 7));
  await trained.fit(cnn.tensor(data.xTrain.subarray(0, n * IMAGE), [n, 28, 28, 1]), data.yTrain.subarray(0, n), { epochs: 1, batchSize: 32, shuffle: true });
  det.trainedWeights = compare(concat(trained.getWeights().map((w) => w.data)), concat(ref.weights.map((w) => w.data)), 1);
  trained.dispose();

  const lenetModel = lenet(cnn, 7);
  lenetModel.setWeights(ref.weights.map((w) => w.data));
  const vggModel = vgg(cnn);
  det.lenetPredictions = compare(await infer(lenetModel, data.xTest.subarray(0, 512 * IMAGE), 512, [28, 28, 1]), ref.lenetProbs, 512);
  det.vggPredictions = compare(await infer(vggModel, vggData(64).x, 64, VGG_SHAPE), ref.vggProbs, 64);

  const rows = await inferenceRows({
    lenet: { predict: (x, m) => infer(lenetModel, x, m, [28, 28, 1]) },
    vgg: { predict: (x, m) => infer(vggModel, x, m, VGG_SHAPE) },
  }, data);
  lenetModel.dispose();
  vggModel.dispose();

  // Training: model.fit, which runs on whatever strategy setThreads chose.
  const fitMaker = (build, x, y, shape, batchSize) => async (count) => {
    const model = compileSgd(cnn, build());
    const xt = cnn.tensor(x.subarray(0, count * shape.reduce((a, b) => a * b, 1)), [count, ...shape]);
    const yt = y.subarray(0, count);
    return { run: () => model.fit(xt, yt, { epochs: 1, batchSize, shuffle: true }), dispose: () => model.dispose() };
  };
  for (const batch of [32, 256]) {
    log(`LeNet training, batch ${batch} ...`);
    rows[`lenetTrain${batch}`] = await training(fitMaker(() => lenet(cnn, 7), data.xTrain, data.yTrain, [28, 28, 1], batch),
      { count: cfg.lenetTrainImages, reps: cfg.reps, warmupImages: cfg.lenetWarmupImages });
  }
  log('VGG training, batch 64 ...');
  const vd = vggData(cfg.vggTrainImages);
  rows.vggTrain64 = await training(fitMaker(() => vgg(cnn), vd.x, vd.y, VGG_SHAPE, 64),
    { count: cfg.vggTrainImages, reps: cfg.reps, warmupImages: 128 });
  return { info, determinism: det, rows, version: cnn.version };
}

/** Checks a peer's probabilities against wasmcnn's before anything is timed; throws when they differ. */
function checkPeer(name, got, want, rows, tolerance) {
  const c = compare(got, want, rows);
  log(`${name}: max |Δp| ${c.maxAbsDiff.toExponential(1)}, same class ${c.sameArgMax}/${rows}`);
  if (c.maxAbsDiff > tolerance || c.sameArgMax !== rows) {
    throw new Error(`${name} disagrees with wasmcnn (max |Δp| ${c.maxAbsDiff.toExponential(1)} > ${tolerance}, or a class differs); not timed`);
  }
  return c;
}

/** The models the peers run: wasmcnn's reference LeNet weights and the seeded VGG, built by wasmcnn (single thread). */
async function peerModels() {
  const cnn = await import('../web/lib/index.js');
  await cnn.ready();
  const ref = reference();
  const lenetModel = lenet(cnn, 7);
  lenetModel.setWeights(ref.weights.map((w) => w.data));
  return { cnn, ref, lenetModel, vggModel: vgg(cnn) };
}

async function ortSide() {
  const { ref, lenetModel, vggModel } = await peerModels();
  const schema = onnxSchema();
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = spec.threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const lenetSession = await ort.InferenceSession.create(sequentialOnnx(schema, lenetModel), options);
  const vggSession = await ort.InferenceSession.create(sequentialOnnx(schema, vggModel), options);
  const threads = ort.env.wasm.numThreads; // ORT sets it back to 1 when it cannot start threads
  if (threads !== spec.threads) return { na: `onnxruntime-web fell back to ${threads} thread(s)` };
  const run = async (session, x, shape) => {
    const out = await session.run({ x: new ort.Tensor('float32', x, shape) });
    const y = out.y.data;
    out.y.dispose?.();
    return y;
  };
  const data = await mnist();
  const lib = {
    lenet: { predict: (x, n) => run(lenetSession, x, [n, 28, 28, 1]) },
    vgg: { predict: (x, n) => run(vggSession, x, [n, ...VGG_SHAPE]) },
  };
  const check = {
    lenet: checkPeer('ORT LeNet', await lib.lenet.predict(data.xTest.subarray(0, 512 * IMAGE), 512), ref.lenetProbs, 512, 1e-5),
    vgg: checkPeer('ORT VGG', await lib.vgg.predict(vggData(64).x, 64), ref.vggProbs, 64, 1e-4),
  };
  const rows = await inferenceRows(lib, data);
  return { version: ort.env.versions?.web ?? '?', detail: `wasm EP, SIMD, numThreads ${threads}`, check, rows };
}

async function tfjsWasmSide() {
  const { createRequire } = await import('node:module');
  const { dirname } = await import('node:path');
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + '/');
  wasm.setThreadsCount(spec.threads);
  const detected = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', spec.threads > 1);
  // The backend reports why it failed on the console only: keep those lines as the evidence.
  const said = [];
  const [warn, error] = [console.warn, console.error];
  console.warn = console.error = (...a) => said.push(a.map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : String(x?.message ?? x))).join(' '));
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    said.push(e.message);
  } finally {
    [console.warn, console.error] = [warn, error];
  }
  tf.enableProdMode(); // after setBackend: prod mode silences the warnings kept above
  if (!ok) {
    return {
      short: spec.threads > 1 ? 'no threads under Node: see Columns' : 'the backend did not start: see Columns',
      na: `tf.setBackend('wasm') failed with setThreadsCount(${spec.threads})` +
        (spec.threads > 1 ? `: TF.js ${tf.version.tfjs} turns threads off under Node (WASM_HAS_MULTITHREAD_SUPPORT is ${detected} when IS_NODE; ` +
          'tfjs issue #3830); forced on, its pthread pool cannot start a worker from a blob: URL' : '') +
        ` (${said.map((s) => s.split('\n')[0]).filter(Boolean).slice(0, 2).join('; ')})`,
    };
  }
  const threads = wasm.getThreadsCount();
  if (threads !== spec.threads) return { na: `XNNPACK runs ${threads} thread(s), not ${spec.threads}` };
  const { cnn, ref, lenetModel, vggModel } = await peerModels();
  const lenetTf = await tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(lenetModel)));
  const vggTf = await tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(vggModel)));
  const predict = (model, x, shape) => {
    const xt = tf.tensor(x, shape);
    const y = model.predict(xt, { batchSize: shape[0] });
    const out = y.dataSync();
    tf.dispose([xt, y]);
    return out;
  };
  const data = await mnist();
  const lib = {
    lenet: { predict: async (x, n) => predict(lenetTf, x, [n, 28, 28, 1]) },
    vgg: { predict: async (x, n) => predict(vggTf, x, [n, ...VGG_SHAPE]) },
  };
  const check = {
    lenet: checkPeer('TF.js-wasm LeNet', await lib.lenet.predict(data.xTest.subarray(0, 512 * IMAGE), 512), ref.lenetProbs, 512, 1e-5),
    vgg: checkPeer('TF.js-wasm VGG', await lib.vgg.predict(vggData(64).x, 64), ref.vggProbs, 64, 1e-4),
  };
  const rows = await inferenceRows(lib, data);
  return { version: tf.version.tfjs, detail: `XNNPACK, SIMD, ${threads} thread(s); multithread detected under Node: ${detected}`, check, rows };
}

/** TF.js-wasm in a cross-origin isolated Chromium page (bench/peers/tfjs_wasm_browser.mjs): the only place its threads run. */
async function tfjsWasmBrowserSide() {
  if (!existsSync('/usr/bin/chromium')) return { na: 'no /usr/bin/chromium (scripts/setup.sh --browser installs it)', short: 'no Chromium' };
  const { openTfjsWasmPage } = await import('./peers/tfjs_wasm_browser.mjs');
  const browser = await openTfjsWasmPage(spec.threads);
  try {
    const { page, info } = browser;
    if (info.threads !== spec.threads) {
      return {
        short: `getThreadsCount() ${info.threads}: see Columns`,
        na: `${info.browser}, cross-origin isolated ${info.isolated}, multithread detected ${info.multithread}, ${info.binary} loaded, ` +
          `yet getThreadsCount() is ${info.threads} after setThreadsCount(${spec.threads}): XNNPACK got no thread pool (tfjs issue #8513, open for 4.22)`,
      };
    }
    const { cnn, ref, lenetModel, vggModel } = await peerModels();
    for (const [name, model] of [['lenet', lenetModel], ['vgg', vggModel]]) {
      const { weightData, ...artifacts } = cnn.toTfjsArtifacts(model);
      await page.evaluate(([n, a, w]) => window.bench.load(n, a, w), [name, artifacts, Buffer.from(weightData).toString('base64')]);
    }
    const data = await mnist();
    await page.evaluate(([n, s]) => window.bench.put(n, s), ['mnist', b64(data.xTest)]);
    await page.evaluate(([n, s]) => window.bench.put(n, s), ['vgg', b64(vggData(64).x)]);
    const predict = async (name, dataName, n, shape) => fromB64(await page.evaluate((a) => window.bench.predict(...a), [name, dataName, n, shape]));
    const check = {
      lenet: checkPeer('TF.js-wasm (Chromium) LeNet', await predict('lenet', 'mnist', 512, [28, 28, 1]), ref.lenetProbs, 512, 1e-5),
      vgg: checkPeer('TF.js-wasm (Chromium) VGG', await predict('vgg', 'vgg', 64, VGG_SHAPE), ref.vggProbs, 64, 1e-4),
    };
    const ev = (fn, ...a) => page.evaluate(([f, args]) => window.bench[f](...args), [fn, a]);
    const L = [28, 28, 1];
    // 'warm' returns seconds per call: the last one sizes each timed pass, as in inferenceRows.
    await ev('warm', 'lenet', 'mnist', 1, L, cfg.warmupCalls);
    await ev('warm', 'lenet', 'mnist', 256, L, Math.max(2, cfg.warmupCalls / 50));
    await ev('warm', 'vgg', 'vgg', 1, VGG_SHAPE, cfg.warmupCalls / 10);
    await ev('warm', 'vgg', 'vgg', 64, VGG_SHAPE, Math.max(2, cfg.warmupCalls / 50));
    log('LeNet and VGG inference in Chromium ...');
    const rows = {};
    const batches = async (name, dataName, n, shape, calls, wrap) => (n * calls) / (await ev('batches', name, dataName, n, shape, calls, wrap));
    const median = async (...a) => stats(await ev('latencies', ...a)).median;
    let calls = sized(await ev('warm', 'lenet', 'mnist', 256, L, 2), 2, 1000);
    rows.lenetInfer256 = await measured(cfg.reps, () => batches('lenet', 'mnist', 256, L, calls, 1792), { images: 256, calls });
    calls = sized(await ev('warm', 'lenet', 'mnist', 1, L, 20), 20, 50000);
    rows.lenetLatency = await measured(cfg.reps, () => median('lenet', 'mnist', L, calls, 2000), { calls });
    calls = sized(await ev('warm', 'vgg', 'vgg', 64, VGG_SHAPE, 1), 2, 1000);
    rows.vggInfer64 = await measured(cfg.reps, () => batches('vgg', 'vgg', 64, VGG_SHAPE, calls, 64), { images: 64, calls });
    calls = sized(await ev('warm', 'vgg', 'vgg', 1, VGG_SHAPE, 5), 10, 50000);
    rows.vggLatency = await measured(cfg.reps, () => median('vgg', 'vgg', VGG_SHAPE, calls, 64), { calls });
    return {
      version: info.version,
      detail: `${info.browser}, cross-origin isolated ${info.isolated}, ${info.binary}, ${info.threads} thread(s)`,
      check, rows,
    };
  } finally {
    await browser.close();
  }
}

const SIDES = { peak: peakSide, prepare: prepareSide, wasmcnn: wasmcnnSide, ort: ortSide, tfjs_wasm: tfjsWasmSide, tfjs_wasm_browser: tfjsWasmBrowserSide };

let result;
try {
  result = await SIDES[spec.side]();
} catch (e) {
  log(`failed: ${e.stack}`);
  result = { error: e.message };
}
writeFileSync(spec.out, JSON.stringify({ ...result, cpus }) + '\n');
// Pthread pools and helper workers would keep Node alive: the figures are written, so leave.
process.exit(0);
