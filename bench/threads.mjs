// `npm run bench -- --threads` (issue 15): wasmcnn on 1 and 2 threads, with both strategies
// (pthreads, and helper workers each with a single-thread module), next to ONNX Runtime Web and
// TF.js-wasm on 1 and 2 threads, in one run, in Node. See bench/README.md ("Threads").
//
//   npm run bench -- --threads [--quick] [--reps N] [--json out.json]
//
// Every column runs in a process of its own (bench/threads_side.mjs): 1 thread under `taskset -c 0`,
// 2 threads under `taskset -c 0,1`. First the two vCPUs are compared (an f32x4 loop pinned to CPU 0,
// then CPU 1, then both at once), because an unequal pair caps any 2-thread speed-up. Figures are
// medians over repetitions with [min–max]; nothing here asserts on time.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtNum } from './report.mjs';

const SIDE = fileURLToPath(new URL('./threads_side.mjs', import.meta.url));

// The issue's targets, on this 2-vCPU machine.
const TARGETS = {
  lenetInfer256: { speedup: 1.7 }, lenetTrain32: { speedup: 1.7 }, lenetTrain256: { speedup: 1.7 },
  vggInfer64: { speedup: 1.8 }, vggTrain64: { speedup: 1.8 },
  lenetLatency: { noWorse: true }, vggLatency: { noWorse: true },
};
// "No worse than single-thread" for a latency: within this factor, the spread of repeated runs here.
const LATENCY_SLACK = 1.05;
// A figure taken while other processes had more than this share of its pinned CPUs is starred.
const OTHERS_LIMIT = 0.1;

function parseArgs(argv) {
  const o = { quick: false, reps: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) throw new Error(`bench --threads: ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--threads') continue;
    if (a === '--quick') o.quick = true;
    else if (a.startsWith('--reps')) o.reps = Number(value());
    else if (a.startsWith('--json')) o.json = value();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/bench.mjs --threads [--quick] [--reps N] [--json out.json]');
      process.exit(0);
    } else throw new Error(`bench --threads: unknown argument '${a}' (try --help)`);
  }
  if (o.reps !== null && !(Number.isInteger(o.reps) && o.reps > 0)) throw new Error('bench --threads: --reps must be a positive integer');
  return o;
}

function hasTaskset() {
  return !spawnSync('taskset', ['-c', '0', 'true']).error;
}

/** Runs one side in its own process under `taskset -c cpus`; resolves to what it wrote, or { error }. */
function runSide(dir, side, cfg, { threads = 1, strategy = null, build = null, cpus = '0', label, reference = null, timeoutSeconds }) {
  const out = join(dir, `${label.replace(/\W+/g, '_')}.json`);
  const spec = JSON.stringify({ side, threads, strategy, build, cfg, label, reference, out });
  const args = [...process.execArgv, SIDE, spec];
  const [cmd, argv] = cfg.taskset ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1e3);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ error: `timed out after ${timeoutSeconds} s (killed)` });
      try {
        resolve(JSON.parse(readFileSync(out, 'utf8')));
      } catch {
        resolve({ error: `exited with ${signal ?? `code ${code}`} without figures` });
      }
    });
  });
}

// ---------------------------------------------------------------- formatting

const isRate = (key) => !/Latency$/.test(key);
const fmtFigure = (f, key) => {
  if (!f) return null;
  const d = isRate(key) ? (f.median < 100 ? 1 : 0) : (f.median < 1 ? 3 : 2);
  const spread = f.min !== f.max ? ` [${fmtNum(f.min, d)}–${fmtNum(f.max, d)}]` : '';
  return `${fmtNum(f.median, d)}${spread}${f.others !== null && f.others > OTHERS_LIMIT ? '*' : ''}`;
};
/** How much better a is than b (>1: better), for a rate or a latency. */
const better = (a, b, key) => (isRate(key) ? a.median / b.median : b.median / a.median);

/** A column's figure; for 2 threads also how many CPUs the process kept busy (all its threads). */
function cell(result, key, { cpus = false } = {}) {
  if (!result) return 'not run';
  if (result.error) return `failed: ${result.error}`;
  if (result.na) return `n/a (${result.short ?? result.na})`;
  const f = result.rows?.[key];
  if (!f) return 'n/a';
  return `${fmtFigure(f, key)}${cpus ? ` (${f.cpus.toFixed(1)} CPUs)` : ''}`;
}

const ROWS = [
  ['lenetTrain32', 'LeNet training, batch 32: images/s over one epoch (model.fit, SGD momentum 0.9, shuffled)'],
  ['lenetTrain256', 'LeNet training, batch 256: images/s over one epoch'],
  ['lenetInfer256', 'LeNet inference, batches of 256: images/s'],
  ['vggInfer64', 'CIFAR-sized VGG inference, batches of 64: images/s'],
  ['vggTrain64', 'CIFAR-sized VGG training, batch 64: images/s over one pass'],
  ['lenetLatency', 'LeNet 1-image latency: median ms per call (lower is better)'],
  ['vggLatency', 'VGG 1-image latency: median ms per call (lower is better)'],
];

function printRowTable(r, key, title, n) {
  const trains = /Train/.test(key);
  const lines = [
    ['wasmcnn pthreads', r.single, r.pthreads],
    ['wasmcnn workers', r.single, r.workers],
  ];
  // The pthreads build on one thread, against the single build: what the build alone costs.
  const mt = r.singleMt?.rows?.[key];
  const base = r.single?.rows?.[key];
  const mtNote = mt && base ? `pthreads build / single build: ${(mt.median / base.median).toFixed(2)}x` : '';
  if (!trains) lines.push(['ONNX Runtime Web', r.ort1, r.ort2], ['TF.js (wasm)', r.tf1, r.tf2], ['TF.js-wasm Chromium', r.tfb1, r.tfb2]);
  console.log(`\n${n}. ${title}`);
  const unit = isRate(key) ? 'images/s' : 'ms';
  console.log(`   ${''.padEnd(20)} ${`1 thread (CPU 0), ${unit}`.padEnd(30)} ${`2 threads (CPUs 0,1), ${unit}`.padEnd(30)} 2T/1T`);
  const t = TARGETS[key];
  for (const [name, one, two] of lines) {
    const a = one?.rows?.[key];
    const b = two?.rows?.[key];
    let ratio = '';
    if (a && b) {
      const q = b.median / a.median;
      // A verdict on a disturbed figure is marked: rerun on a quiet machine before trusting it.
      const mark = [a, b].some((f) => f.others > OTHERS_LIMIT) ? '* (disturbed)' : '';
      ratio = `${q.toFixed(2)}x`;
      if (name.startsWith('wasmcnn') && t?.speedup) ratio += `  target ≥ ${t.speedup}x: ${q >= t.speedup ? 'met' : 'NOT met'}${mark}`;
      if (name.startsWith('wasmcnn') && t?.noWorse) ratio += `  target no worse than 1 thread (≤ ${LATENCY_SLACK}x): ${q <= LATENCY_SLACK ? 'met' : 'NOT met'}${mark}`;
    } else if (name.startsWith('wasmcnn') && t) {
      ratio = 'target: not measured';
    }
    const first = name.startsWith('wasmcnn') && r.single ? `${cell(one, key)}${name === 'wasmcnn workers' ? ' (the same run)' : ''}` : cell(one, key);
    console.log(`   ${name.padEnd(20)} ${first.padEnd(30)} ${cell(two, key, { cpus: true }).padEnd(30)} ${ratio}`.trimEnd());
  }
  console.log(`   ${'wasmcnn, mt build'.padEnd(20)} ${cell(r.singleMt, key).padEnd(30)} ${'(the pthreads build on one thread)'.padEnd(30)} ${mtNote}`.trimEnd());
  if (trains) {
    console.log('   ONNX Runtime Web and TF.js (wasm) cannot train a CNN (an inference runtime; no Conv2DBackpropFilter kernel in TF.js 4.22 wasm)');
    return;
  }
  // wasmcnn against each peer, both at 2 threads: the issue wants wasmcnn ahead.
  for (const [strategy, ours] of [['pthreads', r.pthreads], ['workers', r.workers]]) {
    const a = ours?.rows?.[key];
    const parts = [['ORT', r.ort2], ['TF.js-wasm', r.tf2], ['TF.js-wasm in Chromium', r.tfb2]].map(([peer, p]) => {
      const b = p?.rows?.[key];
      if (!a || !b) return `vs ${peer} 2T: n/a`;
      const q = better(a, b, key);
      const mark = [a, b].some((f) => f.others > OTHERS_LIMIT) ? '*' : '';
      return `vs ${peer} 2T ${q.toFixed(2)}x (${q >= 1 ? 'ahead: met' : 'behind: NOT met'}${mark})`;
    });
    console.log(`   at 2 threads, wasmcnn ${strategy}: ${parts.join('; ')}`);
  }
}

/**
 * How the measured 2-thread speed-ups would extend to more cores: Amdahl's law with the serial share
 * s read off the 2-thread figure (the vCPU pair counted as `ceiling` CPUs, what the peak loop got
 * from both at once), and the work split into units that cannot be cut further: shards of 16 samples
 * for training, images for batch inference. Plus what a training step's reduction moves.
 */
function printScaling(r, models, ceiling) {
  const C = ceiling ?? 2;
  const rows = [
    ['lenetTrain32', 'LeNet training, batch 32', 'lenet', 32, true], ['lenetTrain256', 'LeNet training, batch 256', 'lenet', 256, true],
    ['vggTrain64', 'VGG training, batch 64', 'vgg', 64, true],
    ['lenetInfer256', 'LeNet inference, batch 256', 'lenet', 256, false], ['vggInfer64', 'VGG inference, batch 64', 'vgg', 64, false],
  ];
  console.log(`\nScaling beyond two cores: Amdahl's law from the measured 2-thread speed-up S2, the vCPU pair counted as ${C.toFixed(2)} CPUs:` +
    '\n   serial share s = (1/S2 - 1/C) / (1 - 1/C); S(N) = 1 / (s + (1 - s) / min(N, units)), units = shards of 16 samples (training) or images (inference)');
  for (const [key, title, model, batch, trains] of rows) {
    const m = models?.[model];
    const units = trains ? Math.ceil(batch / 16) : batch;  // backendInfo().shardSize
    const step = m && trains
      ? `; a step sums ${units} shard gradients of ${(m.params * 4 / 1e6).toFixed(2)} MB = ${(units * m.params * 4 / 1e6).toFixed(1)} MB against ${(batch * m.train / 1e9).toFixed(2)} GFLOP`
      : '';
    const parts = [];
    for (const strategy of ['pthreads', 'workers']) {
      const a = r.single?.rows?.[key];
      const b = r[strategy]?.rows?.[key];
      if (!a || !b) continue;
      const S2 = b.median / a.median;
      if ([a, b].some((f) => f.others > OTHERS_LIMIT)) {
        parts.push(`${strategy} S2 ${S2.toFixed(2)}*: no projection from a disturbed figure`);
        continue;
      }
      if (S2 <= 1) {
        parts.push(`${strategy} S2 ${S2.toFixed(2)}: no gain to project`);
        continue;
      }
      const sh = Math.min(1, Math.max(0, (1 / S2 - 1 / C) / (1 - 1 / C)));
      const S = (n) => 1 / (sh + (1 - sh) / Math.min(n, units));
      parts.push(`${strategy} S2 ${S2.toFixed(2)}, s ${(100 * sh).toFixed(1)}%: 4 cores ${S(4).toFixed(1)}x, 8 ${S(8).toFixed(1)}x, 16 ${S(16).toFixed(1)}x`);
    }
    console.log(`   ${title}: ${parts.length ? parts.join('; ') : 'no 2-thread figure'}${units < 16 ? ` (${units} shards: threads beyond ${units} idle)` : ''}${step}`);
  }
}

// ---------------------------------------------------------------- main

export async function runThreads(argv) {
  const opts = parseArgs(argv);
  const started = performance.now();
  const quick = opts.quick;
  const reps = opts.reps ?? (quick ? 1 : 3);
  const cfg = {
    quick, reps, taskset: hasTaskset(),
    peakSeconds: 0.25, // long enough for the CPU accounting to see a disturbance
    determinismImages: quick ? 256 : 1024,
    warmupCalls: quick ? 50 : 200,
    repSeconds: quick ? 0.2 : 1, // each timed inference pass: calls sized from the warm-up to last this long
    lenetTrainImages: quick ? 1024 : 8000, lenetWarmupImages: quick ? 256 : 1600,
    vggTrainImages: quick ? 256 : 1024,
  };
  const timeoutSeconds = quick ? 240 : 900;
  const dir = mkdtempSync(join(os.tmpdir(), 'wasmcnn-bench-threads-'));
  const log = (s) => console.error(s);
  const load0 = os.loadavg()[0];
  let cpu = os.cpus()[0]?.model ?? '?';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch { /* not Linux */ }

  console.log(`wasmcnn threads benchmark (issue 15)${quick ? ' (--quick: a smoke run, not a measurement)' : ''}`);
  console.log(`  machine: ${cpu}, ${os.cpus().length} logical CPUs; Node ${process.version} (V8 ${process.versions.v8}); load average ${load0.toFixed(2)} at start`);
  console.log(cfg.taskset
    ? '  each column runs in its own process: 1 thread under `taskset -c 0`, 2 threads under `taskset -c 0,1`'
    : '  NOT pinned: taskset not found (figures mix both vCPUs)');
  console.log(`  ${reps} repetition(s) per figure; median [min–max]; * = other processes took over ${100 * OTHERS_LIMIT}% of the pinned CPUs in some repetition`);

  try {
    // ------------------------------------------------ are the two vCPUs equal?
    log('vCPUs: the f32x4 peak on CPU 0, on CPU 1, then on both at once ...');
    const peak0 = await runSide(dir, 'peak', cfg, { cpus: '0', label: 'peak cpu0', timeoutSeconds: 60 });
    const peak1 = await runSide(dir, 'peak', cfg, { cpus: '1', label: 'peak cpu1', timeoutSeconds: 60 });
    const [both0, both1] = await Promise.all([
      runSide(dir, 'peak', cfg, { cpus: '0', label: 'peak both cpu0', timeoutSeconds: 60 }),
      runSide(dir, 'peak', cfg, { cpus: '1', label: 'peak both cpu1', timeoutSeconds: 60 }),
    ]);
    const g = (p) => p?.gflops?.median;
    console.log('\nvCPUs: f32x4 multiply-add peak (bench/peak/peak.cpp), one process pinned to each CPU in turn, then one on each at once');
    let ceiling = null;
    if ([peak0, peak1, both0, both1].some((p) => p.error)) {
      console.log(`   n/a: ${[peak0, peak1, both0, both1].find((p) => p.error).error}`);
    } else {
      const f = (p) => `${g(p).toFixed(1)} GFLOP/s [${p.gflops.min.toFixed(1)}–${p.gflops.max.toFixed(1)}]` +
        (p.others > OTHERS_LIMIT ? `* (others took ${(100 * p.others).toFixed(0)}% of this CPU)` : '');
      const r1 = g(peak1) / g(peak0);
      const measuredCeiling = (g(both0) + g(both1)) / g(peak0);
      console.log(`   CPU 0 alone    ${f(peak0)}`);
      const disturbed = [peak0, peak1, both0, both1].some((p) => p.others > OTHERS_LIMIT);
      const verdict = Math.abs(r1 - 1) <= 0.1 ? ' (equal within 10%)'
        : disturbed ? ' (unequal, but other processes were running: see the stars)' : ' (UNEQUAL: the slower one caps a 2-thread split)';
      console.log(`   CPU 1 alone    ${f(peak1)}   CPU 1 / CPU 0 = ${r1.toFixed(2)}${verdict}`);
      console.log(`   both at once   ${(g(both0) + g(both1)).toFixed(1)} GFLOP/s (CPU 0 ${f(both0)} + CPU 1 ${f(both1)}) = ${measuredCeiling.toFixed(2)}x CPU 0 alone:` +
        ' the most a 2-thread split of compute-bound work can gain here');
      // A disturbed pair says nothing about the hardware: the projection then assumes two equal CPUs.
      ceiling = disturbed ? null : measuredCeiling;
      if (disturbed) console.log('   (disturbed by other processes: the scaling projection below counts the pair as 2 CPUs)');
    }

    // ------------------------------------------------ the reference, then every column
    log('reference: wasmcnn on one thread (CPU 0) trains the LeNet every column is checked against ...');
    const referenceFile = join(dir, 'reference.json');
    const ref = await runSide(dir, 'prepare', cfg, { build: 'single', cpus: '0', label: 'reference', timeoutSeconds });
    if (ref.error) throw new Error(`the single-thread reference failed: ${ref.error}`);
    writeFileSync(referenceFile, JSON.stringify(ref));
    const column = (side, threads, strategy, label, build = null) => {
      log(`${label} ...`);
      return runSide(dir, side, cfg, { threads, strategy, build, cpus: threads > 1 ? '0,1' : '0', label, reference: referenceFile, timeoutSeconds });
    };
    const r = {};
    // The 1-thread baseline is the single-thread build, today's path and what pages without
    // cross-origin isolation load; the workers strategy runs on it too, as in such a page. The
    // pthreads build (Node's default) also runs on one thread, to show what the build itself costs.
    r.single = await column('wasmcnn', 1, null, 'wasmcnn 1 thread', 'single');
    r.singleMt = await column('wasmcnn', 1, null, 'wasmcnn 1 thread, pthreads build', 'pthreads');
    r.pthreads = await column('wasmcnn', 2, 'pthreads', 'wasmcnn pthreads 2', 'pthreads');
    r.workers = await column('wasmcnn', 2, 'workers', 'wasmcnn workers 2', 'single');
    r.ort1 = await column('ort', 1, null, 'ORT 1 thread');
    r.ort2 = await column('ort', 2, null, 'ORT 2 threads');
    r.tf1 = await column('tfjs_wasm', 1, null, 'TF.js-wasm 1 thread');
    r.tf2 = await column('tfjs_wasm', 2, null, 'TF.js-wasm 2 threads');
    // TF.js runs its threads only in a cross-origin isolated page: the same models there, 1 and 2 threads.
    r.tfb1 = await column('tfjs_wasm_browser', 1, null, 'TF.js-wasm in Chromium 1 thread');
    r.tfb2 = await column('tfjs_wasm_browser', 2, null, 'TF.js-wasm in Chromium 2 threads');

    // ------------------------------------------------ report
    console.log('\nColumns');
    const describe = (name, x) => {
      if (x.error) return `${name.padEnd(24)} FAILED: ${x.error}`;
      if (x.na) return `${name.padEnd(24)} n/a (${x.na})`;
      if (x.info) {
        const i = x.info;
        return `${name.padEnd(24)} backendInfo: strategy ${i.strategy}, threads ${i.threads}` +
          `${i.build ? `, build ${i.build}` : ''}${i.note ? ` (${i.note})` : ''}; CPUs ${x.cpus.join(',')}`;
      }
      return `${name.padEnd(24)} ${x.version}, ${x.detail}; CPUs ${x.cpus.join(',')}` +
        (x.check ? `; given wasmcnn's weights: LeNet max |Δp| ${x.check.lenet.maxAbsDiff.toExponential(1)}, VGG ${x.check.vgg.maxAbsDiff.toExponential(1)}, same classes` : '');
    };
    for (const [name, x] of [['wasmcnn 1 thread', r.single], ['wasmcnn mt build, 1', r.singleMt], ['wasmcnn pthreads, 2', r.pthreads], ['wasmcnn workers, 2', r.workers],
      ['ONNX Runtime Web, 1', r.ort1], ['ONNX Runtime Web, 2', r.ort2], ['TF.js (wasm), 1', r.tf1], ['TF.js (wasm), 2', r.tf2],
      ['TF.js-wasm Chromium, 1', r.tfb1], ['TF.js-wasm Chromium, 2', r.tfb2]]) {
      console.log(`   ${describe(name, x)}`);
    }
    console.log(`\nDeterminism against the single-thread reference process (LeNet seed 7, one epoch of ${fmtNum(cfg.determinismImages)} images, batch 32;` +
      ' its probabilities on 512 test images; the seeded VGG on 64 images)');
    for (const [name, x] of [['wasmcnn 1 thread', r.single], ['wasmcnn mt build, 1', r.singleMt], ['wasmcnn pthreads, 2', r.pthreads], ['wasmcnn workers, 2', r.workers]]) {
      const d = x.determinism;
      if (!d) {
        console.log(`   ${name.padEnd(24)} n/a`);
        continue;
      }
      const say = (c) => (c.bitIdentical ? 'bit-identical' : `DIFFERENT (max |Δ| ${c.maxAbsDiff.toExponential(1)})`);
      console.log(`   ${name.padEnd(24)} trained weights ${say(d.trainedWeights)}; LeNet predictions ${say(d.lenetPredictions)}; VGG predictions ${say(d.vggPredictions)}`);
    }

    ROWS.forEach(([key, title], i) => printRowTable(r, key, title, i + 1));

    printScaling(r, ref.models, ceiling);

    const starred = Object.values(r).some((x) => x?.rows && Object.values(x.rows).some((f) => f.others > OTHERS_LIMIT));
    if (starred) {
      console.log(`\n* other processes took over ${100 * OTHERS_LIMIT}% of the pinned CPUs during some repetition (from /proc/stat): the figure is worse than` +
        ' this machine can do, and a ratio that mixes a starred figure is noise.');
    }
    if (ceiling) console.log(`\nThe vCPU pair allows at most ~${ceiling.toFixed(2)}x on compute-bound work (the peak loop on both CPUs at once).`);
    const seconds = (performance.now() - started) / 1e3;
    console.log(`Total ${seconds.toFixed(0)} s; load average ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end.`);
    if (opts.json) {
      writeFileSync(opts.json, JSON.stringify({ config: cfg, targets: TARGETS, vcpus: { peak0, peak1, both0, both1, ceiling }, columns: r, seconds }, null, 2) + '\n');
      console.log(`wrote ${opts.json}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
