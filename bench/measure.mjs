// The measurements behind bench.mjs: timing with the CPU share received, the equivalence check of a
// peer against wasmcnn, the training plan within the time budget, and the rows of one peer.
import v8 from 'node:v8';
import vm from 'node:vm';
import { CLASSES, IMAGE, argMax } from './peers/common.mjs';
import { fmtNum } from './report.mjs';

// A collection before each timed repetition, so that no repetition pays for the garbage of the last.
v8.setFlagsFromString('--expose-gc');
export const gc = vm.runInNewContext('gc');

export const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return { median: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, min: s[0], max: s[n - 1], samples: xs };
};

/**
 * Runs fn once and returns its wall seconds and the share of that time this process was on the
 * CPU: well under 1 means another process took CPU 0 for a while, and the figure is inflated.
 */
export async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1e3;
  const c = process.cpuUsage(c0);
  return { seconds, cpu: (c.user + c.system) / 1e6 / seconds };
}

/**
 * Stats of per-repetition figures, with the smallest CPU share among the repetitions (cpu) and the
 * figures rescaled to the CPU time actually received (perCpu: rate / share, or time x share): an
 * estimate of the uncontended figure when another process took the CPU, not a measurement.
 */
export function withCpu(values, shares, isRate) {
  const share = shares.map((c) => Math.min(c, 1));
  return { ...stats(values), cpu: Math.min(...share), perCpu: stats(values.map((v, i) => (isRate ? v / share[i] : v * share[i]))) };
}

export const FLOP = (() => {
  const conv1 = 28 * 28 * 25 * 6 * 2; // 235,200: output pixels x (kh kw ic) x oc x 2
  const conv2 = 10 * 10 * 150 * 16 * 2; // 480,000
  const dense = 2 * (400 * 120 + 120 * 84 + 84 * 10); // 117,840
  return {
    conv1, conv2, dense,
    convInfer: conv1 + conv2,
    // Training adds the weight gradient (as many FLOPs as the forward pass) to every layer and the
    // input gradient (as many again) to every layer but the first, whose input gradient nobody needs.
    convTrain: 2 * conv1 + 3 * conv2,
  };
})();

// Softmax outputs of float32 pipelines that sum in different orders (ConvNetJS even in float64):
// rounding differences of a few ulp per layer, well under 1e-5 on probabilities in [0, 1].
const CHECK_TOLERANCE = 1e-5;

function maxAbsDiff(a, b) {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

export async function predictAll(peer, data, n = data.nTest) {
  const out = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i += 256) {
    const m = Math.min(256, n - i);
    out.set(await peer.predictBatch(data.xTest.subarray(i * IMAGE, (i + m) * IMAGE), m), i * CLASSES);
  }
  return out;
}

/** Does the peer's LeNet, given wasmcnn's weights, compute wasmcnn's probabilities on the first n test images? */
async function checkAgainst(peer, reference, data, n) {
  const p = await predictAll(peer, data, n);
  const q = reference.probabilities.subarray(0, n * CLASSES);
  const k = argMax(p, n);
  const kRef = argMax(q, n);
  let same = 0;
  for (let i = 0; i < n; i++) same += k[i] === kRef[i] ? 1 : 0;
  const diff = maxAbsDiff(p, q);
  return { maxAbsDiff: diff, sameArgMax: same, of: n, ok: diff <= CHECK_TOLERANCE };
}

/**
 * How many timed epochs, over how many images: cfg.reps full epochs when they fit in
 * cfg.trainSeconds at the warm-up speed; fewer full epochs when one fits; otherwise cfg.reps
 * partial epochs (no accuracy), each a whole number of batches.
 */
export function trainingPlan(cfg, speed) {
  const epoch = cfg.trainImages / speed;
  if (epoch * cfg.reps <= cfg.trainSeconds) return { full: true, reps: cfg.reps, count: cfg.trainImages, note: '' };
  if (epoch <= cfg.trainSeconds) {
    const reps = Math.max(1, Math.floor(cfg.trainSeconds / epoch));
    return { full: true, reps, count: cfg.trainImages, note: `${reps} timed epoch(s) fit in the ${cfg.trainSeconds} s budget` };
  }
  const count = Math.max(64, Math.floor(((cfg.trainSeconds / cfg.reps) * speed) / 32) * 32);
  return {
    full: false, reps: cfg.reps, count, epochSeconds: epoch,
    note: `a full epoch would take ~${fmtDuration(epoch)}: timing ${cfg.reps} partial epoch(s) of ${count} images, no accuracy`,
  };
}

export const fmtDuration = (s) => (s < 120 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(0)} min`);

export async function measurePeer(peer, cfg, data, reference, log) {
  const r = { name: peer.name, canTrain: peer.canTrain };
  const info = await peer.setup(data, { weights: reference?.weights ?? null });
  Object.assign(r, info);

  if (peer.name !== 'wasmcnn' && !reference) log(`  ${peer.name}: no equivalence check (wasmcnn did not run)`);
  if (peer.name !== 'wasmcnn' && reference) {
    if (peer.canTrain) {
      await peer.init();
      peer.loadWeights(reference.weights);
    }
    r.check = await checkAgainst(peer, reference, data, cfg.checkImages);
    log(`  ${peer.name}: with wasmcnn's weights, max |p - p_wasmcnn| = ${r.check.maxAbsDiff.toExponential(1)}, ` +
      `same class ${r.check.sameArgMax}/${r.check.of}`);
    if (!r.check.ok) {
      throw new Error(`its LeNet disagrees with wasmcnn's (max |Δp| ${r.check.maxAbsDiff.toExponential(1)} > ${CHECK_TOLERANCE}); not timed`);
    }
  }

  if (peer.canTrain) {
    // Warm up on a throwaway model, two batches at a time, until warmupImages or warmupSeconds. The
    // speed of the last chunk sizes the timed epochs so that a slow peer stays within trainSeconds.
    await peer.init();
    let warmed = 0;
    let speed = Infinity;
    const w0 = performance.now();
    while (warmed < cfg.warmupImages && (performance.now() - w0) / 1e3 < cfg.warmupSeconds) {
      const t = await timed(() => peer.train(-1, { count: 2 * 32 }));
      warmed += 2 * 32;
      speed = (2 * 32) / t.seconds;
    }
    const plan = trainingPlan(cfg, speed);
    if (!plan.full || plan.reps < cfg.reps) log(`  ${peer.name}: ~${fmtNum(speed)} images/s after warm-up; ${plan.note}`);
    const reps = [];
    for (let i = 0; i < plan.reps; i++) {
      await peer.init();
      gc();
      const t = await timed(() => peer.train(i, { count: plan.count }));
      const memory = peer.memory(); // before accuracy(), whose batches of 256 are not training
      const accuracy = plan.full ? await peer.accuracy() : null;
      reps.push({ ...t, imagesPerSecond: plan.count / t.seconds, accuracy, memory });
      log(`  ${peer.name}: epoch ${i + 1}/${plan.reps}: ${fmtNum(plan.count / t.seconds)} images/s` +
        (plan.full ? `, test accuracy ${(100 * accuracy).toFixed(2)}%` : ` over ${plan.count} images`));
    }
    r.train = {
      plan,
      imagesPerSecond: withCpu(reps.map((x) => x.imagesPerSecond), reps.map((x) => x.cpu), true),
      accuracy: plan.full ? stats(reps.map((x) => x.accuracy)) : null,
    };
    // Linear memory only grows: after the first epoch it is the peak of warm-up plus training. Later
    // epochs would also carry the growth of the first epoch's accuracy check.
    r.memory = { ...reps[0].memory, during: 'training' };
    if (peer.name === 'wasmcnn') {
      reference = { weights: peer.getWeights(), probabilities: await predictAll(peer, data) };
      r.reference = reference;
    }
  }

  // Latency of one image: each call wraps the input, runs, and reads the 10 probabilities back.
  const one = (i) => data.xTest.subarray((i % data.nTest) * IMAGE, (i % data.nTest + 1) * IMAGE);
  const warm = await timed(async () => {
    for (let i = 0; i < cfg.warmupCalls; i++) await peer.predictOne(one(i));
  });
  const calls = Math.min(cfg.latencyCalls, Math.max(20, Math.floor(cfg.latencySeconds / cfg.reps / (warm.seconds / cfg.warmupCalls))));
  const lat = [];
  const latCpu = [];
  for (let rep = 0; rep < cfg.reps; rep++) {
    gc();
    const ts = [];
    const t = await timed(async () => {
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await peer.predictOne(one(i));
        ts.push(performance.now() - t0);
      }
    });
    lat.push(stats(ts).median);
    latCpu.push(t.cpu);
  }
  r.latencyMs = { ...withCpu(lat, latCpu, false), calls };

  // Throughput in batches of 256: up to cfg.batches different slices of the test set per repetition.
  const batch = (b) => data.xTest.subarray(b * 256 * IMAGE, (b + 1) * 256 * IMAGE);
  const warmB = await timed(async () => {
    for (let b = 0; b < 2; b++) await peer.predictBatch(batch(b), 256);
  });
  const batches = Math.min(cfg.batches, Math.max(1, Math.floor(cfg.batchSeconds / cfg.reps / (warmB.seconds / 2))));
  const thr = [];
  const thrCpu = [];
  for (let rep = 0; rep < cfg.reps; rep++) {
    gc();
    const t = await timed(async () => {
      for (let b = 0; b < batches; b++) await peer.predictBatch(batch(b), 256);
    });
    thr.push((batches * 256) / t.seconds);
    thrCpu.push(t.cpu);
  }
  r.batchImagesPerSecond = { ...withCpu(thr, thrCpu, true), batches };
  if (!peer.canTrain) r.memory = { ...peer.memory(), during: 'inference' };
  log(`  ${peer.name}: latency ${r.latencyMs.median.toFixed(3)} ms, batch-256 ${fmtNum(r.batchImagesPerSecond.median)} images/s`);
  await peer.dispose();
  return r;
}
