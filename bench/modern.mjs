// The issue-#14 rows of the bench: MobileNetV1 (alpha 0.25, 128x128x3) and a CIFAR-sized VGG
// against TF.js-wasm (XNNPACK, one thread) on the same weights, the VGG's training against the f32x4
// peak, and a MobileNetV2-style model's training against TF.js-cpu. See bench/README.md.
//
// Every comparison is interleaved (wasmcnn, then the peer, in each repetition) so that a load
// change on this shared machine hits both alike. The TF.js model is wasmcnn's, moved over with
// cnn.toTfjsArtifacts and tf.loadLayersModel, and its predictions are matched before anything is timed.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { gc, stats, timed, withCpu } from './measure.mjs';
import { OPTIMIZER } from './peers/common.mjs';
import { flopsOf, mobilenetV1, mobilenetV2Style, randomImages, randomizeBatchNorm, vgg } from './modern_models.mjs';

// Deep float32 pipelines (27 layers for MobileNetV1, 1000-way softmax) that sum in different orders:
// the difference grows with depth, but stays far below any probability that could flip a class.
const CHECK_TOLERANCE = 1e-4;

let tf = null;

/** TF.js on the named backend; the wasm one from node_modules (never a CDN), SIMD, one thread. */
async function tfOn(backend) {
  if (!tf) {
    tf = await import('@tensorflow/tfjs');
    tf.enableProdMode();
  }
  if (backend === 'wasm' && !tf.findBackend('wasm')) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
    wasm.setThreadsCount(1);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  return tf;
}

/** wasmcnn's model in TF.js, through the TF.js layers-model format. */
async function toTf(cnn, model) {
  return tf.loadLayersModel(tf.io.fromMemory(cnn.toTfjsArtifacts(model)));
}

function tfPredict(model, x, shape, n) {
  const xt = tf.tensor(x, [n, ...shape]);
  const y = model.predict(xt, { batchSize: n });
  const out = y.dataSync();
  tf.dispose([xt, y]);
  return out;
}

function compare(p, q, n) {
  const k = p.length / n;
  let d = 0;
  let same = 0;
  for (let i = 0; i < n; i++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < k; c++) {
      d = Math.max(d, Math.abs(p[i * k + c] - q[i * k + c]));
      if (p[i * k + c] > p[i * k + a]) a = c;
      if (q[i * k + c] > q[i * k + b]) b = c;
    }
    same += a === b ? 1 : 0;
  }
  return { maxAbsDiff: d, sameArgMax: same, of: n, ok: d <= CHECK_TOLERANCE && same === n };
}

/**
 * Times `calls` of each side per repetition, interleaved: for each repetition wasmcnn's block, then
 * the peer's. rate: images per second over the block; else the median milliseconds of one call.
 */
async function interleaved(sides, { reps, calls, images, rate }) {
  const out = sides.map(() => ({ values: [], shares: [] }));
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, side] of sides.entries()) {
      gc();
      const ms = [];
      const t = await timed(async () => {
        for (let c = 0; c < calls; c++) {
          const t0 = performance.now();
          await side(c);
          ms.push(performance.now() - t0);
        }
      });
      out[i].values.push(rate ? (calls * images) / t.seconds : stats(ms).median);
      out[i].shares.push(t.cpu);
    }
  }
  return out.map((o) => ({ ...withCpu(o.values, o.shares, rate), calls }));
}

/** How many calls of fn fit in `seconds` (at least `min`, at most `max`), from one timed call. */
async function callsFor(fn, seconds, min, max) {
  const t = await timed(fn);
  return Math.max(min, Math.min(max, Math.floor(seconds / t.seconds)));
}

async function inferenceRow(cnn, cfg, log, { name, build, shape, batch }) {
  const row = { name, batch, shape };
  const model = build(cnn);
  randomizeBatchNorm(model);
  row.flops = flopsOf(model);
  row.params = model.layers.length;
  await tfOn('wasm');
  const peer = await toTf(cnn, model);
  try {
    const x = randomImages(batch, shape);
    const ours = model.predict(cnn.tensor(x, [batch, ...shape]), { batchSize: batch }).data;
    row.check = compare(tfPredict(peer, x, shape, batch), ours, batch);
    log(`  ${name}: TF.js-wasm with wasmcnn's weights: max |Δp| ${row.check.maxAbsDiff.toExponential(1)}, same class ${row.check.sameArgMax}/${batch}`);
    if (!row.check.ok) {
      row.error = `TF.js-wasm disagrees with wasmcnn (max |Δp| ${row.check.maxAbsDiff.toExponential(1)} > ${CHECK_TOLERANCE}, or a class differs); not timed`;
      return row;
    }
    const one = x.subarray(0, shape.reduce((a, b) => a * b, 1));
    const sides = {
      batch: [() => model.predict(cnn.tensor(x, [batch, ...shape]), { batchSize: batch }).data, () => tfPredict(peer, x, shape, batch)],
      one: [() => model.predict(cnn.tensor(one, [1, ...shape])).data, () => tfPredict(peer, one, shape, 1)],
    };
    // Warm-up: both tiers of V8's wasm compiler, XNNPACK's packed weights, wasmcnn's scratch pools.
    for (const f of [...sides.batch, ...sides.one]) for (let i = 0; i < cfg.warmupCalls; i++) await f();
    const batchCalls = await callsFor(sides.batch[1], cfg.rowSeconds / cfg.reps / 4, 2, 20);
    const oneCalls = await callsFor(sides.one[1], cfg.rowSeconds / cfg.reps / 4, 10, 200);
    [row.ours, row.peer] = await interleaved(sides.batch, { reps: cfg.reps, calls: batchCalls, images: batch, rate: true });
    [row.oursLatency, row.peerLatency] = await interleaved(sides.one, { reps: cfg.reps, calls: oneCalls, images: 1, rate: false });
    log(`  ${name}: batch ${batch} ${row.ours.median.toFixed(1)} vs ${row.peer.median.toFixed(1)} images/s; ` +
      `1 image ${row.oursLatency.median.toFixed(2)} vs ${row.peerLatency.median.toFixed(2)} ms`);
  } finally {
    peer.dispose();
    model.dispose();
  }
  return row;
}

/** Seeded images and labels: the content does not change the work, only the shapes do. */
function trainingData(shape, n) {
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = (i * 7 + 3) % 10;
  return { x: randomImages(n, shape, 13), y };
}

/** One timed training pass per repetition over `count` images, batch 32, SGD momentum, as the LeNet rows. */
async function trainOurs(cnn, build, data, shape, count) {
  const model = build(cnn);
  model.compile({ optimizer: cnn.optimizers.sgd({ learningRate: OPTIMIZER.learningRate, momentum: OPTIMIZER.momentum }), loss: 'sparseCategoricalCrossentropy' });
  const x = cnn.tensor(data.x.subarray(0, count * shape.reduce((a, b) => a * b, 1)), [count, ...shape]);
  const y = data.y.subarray(0, count);
  return { run: () => model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: true }), dispose: () => model.dispose() };
}

async function trainTf(cnn, build, data, shape, count) {
  const ours = build(cnn);
  const model = await toTf(cnn, ours);
  ours.dispose();
  // tf.train.momentum: v = m v + g; w -= lr v, which is wasmcnn's v = m v - lr g; w += v at a constant rate.
  model.compile({ optimizer: tf.train.momentum(OPTIMIZER.learningRate, OPTIMIZER.momentum), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor(data.x.subarray(0, count * shape.reduce((a, b) => a * b, 1)), [count, ...shape]);
  const y = tf.tensor(Float32Array.from(data.y.subarray(0, count)), [count, 1]);
  return {
    run: () => model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: true, verbose: 0 }),
    dispose: () => tf.dispose([x, y, model]),
  };
}

/**
 * Training images/s of each side, interleaved per repetition. The first pass of one batch (which
 * also compiles and allocates, so it overestimates) sizes each side's timed pass, whole batches of
 * 32, to about cfg.trainSeconds / cfg.reps; a side whose single batch takes longer than that
 * (TF.js-cpu) gets fewer repetitions of one batch, as many as fit in cfg.trainSeconds (at least one).
 */
async function trainingRow(cnn, cfg, log, { name, build, shape, peer }) {
  const row = { name, shape, peerName: peer ? 'TF.js (cpu)' : null };
  const m = build(cnn);
  row.flops = flopsOf(m);
  m.dispose();
  const data = trainingData(shape, cfg.trainImagesMax);
  const makers = [trainOurs];
  if (peer) {
    await tfOn('cpu');
    makers.push(trainTf);
  }
  const plans = [];
  for (const make of makers) {
    const w = await make(cnn, build, data, shape, 32);
    const t = await timed(() => w.run());
    w.dispose();
    const perRep = cfg.trainSeconds / cfg.reps;
    const count = Math.max(32, Math.min(cfg.trainImagesMax, Math.floor((perRep * (32 / t.seconds)) / 32) * 32));
    const reps = t.seconds <= perRep ? cfg.reps : Math.max(1, Math.min(cfg.reps, Math.floor(cfg.trainSeconds / t.seconds)));
    plans.push({ count, reps });
  }
  const sides = [];
  for (const [i, make] of makers.entries()) sides.push(await make(cnn, build, data, shape, plans[i].count));
  const out = sides.map(() => ({ values: [], shares: [] }));
  try {
    for (let rep = 0; rep < cfg.reps; rep++) {
      for (const [i, side] of sides.entries()) {
        if (rep >= plans[i].reps) continue;
        gc();
        const t = await timed(() => side.run());
        out[i].values.push(plans[i].count / t.seconds);
        out[i].shares.push(t.cpu);
      }
    }
  } finally {
    for (const s of sides) s.dispose();
  }
  [row.ours, row.peer] = out.map((o, i) => ({ ...withCpu(o.values, o.shares, true), ...plans[i] }));
  log(`  ${name} training: ${row.ours.median.toFixed(1)} images/s${peer ? ` vs ${row.peer.median.toFixed(1)}` : ''}`);
  return row;
}

/** Runs the rows; each failure is kept in its row (and the run goes on). */
export async function runModern(cfg, log) {
  const cnn = await import('../web/lib/index.js');
  await cnn.ready();
  const rows = {};
  const attempt = async (key, fn) => {
    log(`${key} ...`);
    try {
      rows[key] = await fn();
    } catch (e) {
      log(`  ${key} failed: ${e.stack}`);
      rows[key] = { error: e.message };
    }
    gc();
  };
  const mobilenet = (c) => mobilenetV1(c, { alpha: 0.25, size: 128, classes: 1000 });
  await attempt('mobilenetV1', () => inferenceRow(cnn, cfg, log, { name: 'MobileNetV1 0.25, 128x128x3', build: mobilenet, shape: [128, 128, 3], batch: 16 }));
  await attempt('vgg', () => inferenceRow(cnn, cfg, log, { name: 'CIFAR VGG, 32x32x3', build: vgg, shape: [32, 32, 3], batch: 64 }));
  await attempt('vggTraining', () => trainingRow(cnn, cfg, log, { name: 'CIFAR VGG', build: vgg, shape: [32, 32, 3], peer: false }));
  await attempt('mobilenetV2Training', () => trainingRow(cnn, cfg, log, { name: 'MobileNetV2-style, 32x32x3', build: mobilenetV2Style, shape: [32, 32, 3], peer: true }));
  return rows;
}

/** Rows 6-9: one small table per figure, with the ratio wasmcnn / peer as in rows 1-5. Returns whether a figure is starred (CPU share under 90%). */
export function printModern(rows, peak, { printRow, fmtNum }) {
  let starred = false;
  const gflops = (s, flop) => s && { median: (s.median * flop) / 1e9, min: (s.min * flop) / 1e9, max: (s.max * flop) / 1e9 };
  const gflopsCpu = (s, flop) => s && { cpu: s.cpu, perCpu: gflops(s.perCpu, flop) };
  const ofPeak = (s, flop) => {
    if (!s || peak.error) return '';
    const pct = (a, p) => `${((100 * a.median * flop) / 1e9 / p.median).toFixed(1)}%`;
    return `${pct(s, peak.gflops)} of the f32x4 peak` + (s.cpu < 0.9 || peak.gflops.cpu < 0.9 ? ` (~${pct(s.perCpu, peak.gflops.perCpu)} per CPU-s)` : '');
  };
  const table = (pairs, o) => {
    const results = pairs.map(([name, v]) => ({ name, v }));
    starred ||= results.some((r) => r.v && r.v.cpu < 0.9);
    printRow(results, results[0], { ...o, get: (r) => r.v, cpu: (r) => r.v, extra: o.extra && ((r) => o.extra(r.v)) });
  };
  const failed = (row) => {
    if (!row?.error) return false;
    console.log(`   failed: ${row.error}`);
    return true;
  };
  const check = (r) => r.check && console.log(`   TF.js-wasm given wasmcnn's weights (cnn.toTfjsArtifacts -> tf.loadLayersModel): max |Δp| ` +
    `${r.check.maxAbsDiff.toExponential(1)}, same class ${r.check.sameArgMax}/${r.check.of}`);
  const flopLine = (r) => `${fmtNum(r.flops.forward / 1e6, 1)} MFLOP per image forward, ${fmtNum(r.flops.train / 1e6, 1)} training (conv + dense multiply-adds)`;

  let n = 6;
  for (const key of ['mobilenetV1', 'vgg']) {
    const r = rows[key];
    if (!r) continue;
    console.log(`\n${n++}. ${r.name ?? key}: TF.js-wasm runs wasmcnn's weights${r.flops ? `; ${flopLine(r)}` : ''}`);
    if (failed(r)) continue;
    check(r);
    if (!r.ours) continue;
    console.log(`   throughput, batches of ${r.batch} (${r.ours.calls} per repetition; higher is better)`);
    table([['wasmcnn', r.ours], ['TF.js (wasm)', r.peer]], { higherIsBetter: true, unit: 'images/s', digits: 1,
      extra: (x) => `${fmtNum((x.median * r.flops.forward) / 1e9, 2)} GFLOP/s` });
    console.log(`   latency, one image (median of ${r.oursLatency.calls} calls per repetition; lower is better)`);
    table([['wasmcnn', r.oursLatency], ['TF.js (wasm)', r.peerLatency]], { higherIsBetter: false, unit: 'ms', digits: 2 });
  }
  const vt = rows.vggTraining;
  if (vt) {
    console.log(`\n${n++}. CIFAR VGG training, batch 32, SGD momentum (seeded random 32x32x3 images and labels)${vt.flops ? `; ${flopLine(vt)}` : ''}`);
    if (!failed(vt)) {
      table([['wasmcnn', vt.ours]], { higherIsBetter: true, unit: 'images/s', digits: 1,
        extra: (x) => `${fmtNum((x.median * vt.flops.train) / 1e9, 2)} GFLOP/s, ${ofPeak(x, vt.flops.train)}; ${x.reps} x ${x.count} images` });
    }
  }
  const mt = rows.mobilenetV2Training;
  if (mt) {
    console.log(`\n${n++}. MobileNetV2-style training (a functional graph with its skip connections), 32x32x3, batch 32, SGD momentum; ` +
      `TF.js-cpu starts from wasmcnn's initial weights${mt.flops ? `\n   ${flopLine(mt)}` : ''}`);
    if (!failed(mt)) {
      table([['wasmcnn', mt.ours], [mt.peerName, mt.peer]], { higherIsBetter: true, unit: 'images/s', digits: 1,
        extra: (x) => `${fmtNum((x.median * mt.flops.train) / 1e9, 2)} GFLOP/s; ${x.reps} x ${x.count} images` });
    }
  }
  return starred;
}
