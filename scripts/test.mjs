// `npm test`: setup, build, then every test suite in order, going on past failures.
// Ends with the plain line `N passed, N failed` (totals over all suites) and exits 1 if anything failed.
// A suite that crashes, times out or prints no count counts as (at least) 1 failed; so does a failed
// build step, and each suite that `needs` it is then not run and counts 1 failed. A suite that only
// `uses` a step (JS tests: some load the wasm module, others don't) runs anyway.
//
// Usage: npm test [-- --suite=native,asan,tsan,wasm,fuzz,node,browser,bundlers]
// Env:   WASMCNN_DOCTEST_ARGS     extra arguments for the doctest binaries (e.g. "--test-case=*conv*")
//        WASMCNN_SUITE_TIMEOUT_S  per-suite time limit in seconds (default 1200)
import fs from 'node:fs';
import path from 'node:path';
import { build, STEPS } from './build.mjs';
import { repoRoot, run, runOrThrow, show } from './lib/run.mjs';

const timeoutMs = 1000 * Number(process.env.WASMCNN_SUITE_TIMEOUT_S || 1200);
const doctestArgs = ['--no-colors=true', ...(process.env.WASMCNN_DOCTEST_ARGS || '').split(/\s+/).filter(Boolean)];
// The fuzz suite is a fixed, reproducible slice of the search: the same seed and number of runs each
// time, so a failure in CI fails again on a developer's machine (~12 s here). Longer, randomised
// runs are documented in tests/fuzz/README.md; WASMCNN_FUZZ_SEED picks another slice.
const FUZZ_SEED = Number(process.env.WASMCNN_FUZZ_SEED || 1);
const FUZZ_RUNS = 100000;
const FUZZ_MAX_SECONDS = 120; // a ceiling for slow machines, not the usual stop

// --- result parsers: output -> {passed, failed} or null when the output has no count ---

function parseDoctest(out) {
  // [doctest] test cases:  12 |  12 passed | 0 failed | 0 skipped   (the last one printed is the summary)
  const m = [...out.matchAll(/\[doctest\] test cases:\s*\d+\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed/g)].at(-1);
  return m && { passed: Number(m[1]), failed: Number(m[2]) };
}

function parseTap(out) {
  const count = (name) => Number(out.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
  const passed = count('pass');
  if (Number.isNaN(passed)) return null;
  return { passed, failed: (count('fail') || 0) + (count('cancelled') || 0) };
}

const SANITIZER_REPORT = /^==\d+==ERROR: \w+Sanitizer|^SUMMARY: \w+Sanitizer|: runtime error: |^WARNING: ThreadSanitizer/m;

// --- suites: the build steps each needs (or just uses), and how to run and read it ---

const hasTests = (dir) => fs.existsSync(dir) &&
  fs.readdirSync(dir, { recursive: true }).some((f) => /\.test\.(c|m)?js$/.test(f));

const SUITES = {
  native: {
    needs: ['native'],
    cmd: () => ['build/native/wasmcnn_tests', doctestArgs],
    parse: parseDoctest,
  },
  asan: {
    needs: ['asan'],
    // Without the 2-epoch MNIST training run: under the sanitizers it takes minutes and walks the
    // same fit/train_batch code as the small training tests; the native and wasm suites run it.
    cmd: () => ['build/asan/wasmcnn_tests', [...doctestArgs, '--test-case-exclude=lenet5 learns MNIST']],
    env: {
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
    },
    parse: (out) => {
      const r = parseDoctest(out);
      // A report after a passing summary (leaks are reported at exit) still fails the suite.
      return r && SANITIZER_REPORT.test(out) ? { ...r, failed: Math.max(r.failed, 1) } : r;
    },
  },
  // The native suite under ThreadSanitizer (~30 s here), its two-threads tests (test_threads.cpp)
  // included, all but "lenet5 learns MNIST": 4 minutes under TSan, one thread, no path the other
  // cases miss. Any report fails the suite.
  tsan: {
    needs: ['tsan'],
    cmd: () => ['build/tsan/wasmcnn_tests', ['--test-case-exclude=lenet5 learns MNIST', ...doctestArgs]],
    env: { TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1' },
    parse: (out) => {
      const r = parseDoctest(out);
      return r && SANITIZER_REPORT.test(out) ? { ...r, failed: Math.max(r.failed, 1) } : r;
    },
  },
  wasm: {
    needs: ['wasm'],
    cmd: () => ['node', ['build/wasm/wasmcnn_tests.cjs', ...doctestArgs]],
    parse: parseDoctest,
  },
  fuzz: {
    needs: ['fuzz'],
    cmd: () => {
      // libFuzzer writes new inputs into its first corpus dir: give it a fresh scratch one so the
      // checked-in seeds in tests/fuzz/corpus (read as the second dir) stay untouched.
      const scratch = 'build/fuzz/scratch-corpus';
      fs.rmSync(path.join(repoRoot, scratch), { recursive: true, force: true });
      fs.mkdirSync(path.join(repoRoot, scratch), { recursive: true });
      fs.mkdirSync(path.join(repoRoot, 'build/fuzz/artifacts'), { recursive: true }); // crash inputs land here
      const seeds = fs.existsSync(path.join(repoRoot, 'tests/fuzz/corpus')) ? ['tests/fuzz/corpus'] : [];
      // -timeout: one input running that long is a finding (a hang), not just a slow run;
      // -malloc_limit_mb: so is any single allocation that large (inputs are at most a few KB).
      return ['build/fuzz/model_fuzzer', [`-seed=${FUZZ_SEED}`, `-runs=${FUZZ_RUNS}`, `-max_total_time=${FUZZ_MAX_SECONDS}`, '-print_final_stats=1',
        '-timeout=10', '-malloc_limit_mb=512', '-dict=tests/fuzz/model.dict',
        '-artifact_prefix=build/fuzz/artifacts/', scratch, ...seeds]];
    },
    parse: (out, code) => (code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 }),
  },
  node: {
    needs: ['data'],
    uses: ['wasm'],
    cmd: () => ['node', ['--test', '--test-reporter=tap', 'tests/js/']],
    parse: parseTap,
  },
  browser: {
    needs: ['data', 'demo'],
    browser: true,
    uses: ['wasm'],
    skip: () => !hasTests(path.join(repoRoot, 'tests/e2e')) && 'tests/e2e has no *.test.mjs yet',
    cmd: () => ['node', ['--test', '--test-reporter=tap', 'tests/e2e/']],
    parse: parseTap,
  },
  // The packed tarball in Vite, webpack, Rollup, esbuild and plain-page apps (tests/bundlers/).
  // Skipped (and said so in the results) only when an app must be installed and npm's registry is unreachable.
  bundlers: {
    needs: ['data', 'wasm'],
    browser: true,
    cmd: () => ['node', ['--test', '--test-reporter=tap', 'tests/bundlers/bundlers.test.mjs']],
    parse: (out) => {
      const r = parseTap(out);
      const skipped = Number(out.match(/^# skip(?:ped)? (\d+)$/m)?.[1] ?? 0);
      const why = out.match(/SKIPPING the bundler suite: (.*)$/m)?.[1];
      return r && skipped ? { ...r, skipped, why: `${skipped} skipped: ${why ?? 'see its output'}` } : r;
    },
  },
};

function parseSuites(argv) {
  const arg = argv.find((a) => a.startsWith('--suite='));
  const bad = argv.find((a) => !a.startsWith('--suite='));
  const names = arg ? arg.slice('--suite='.length).split(',').filter(Boolean) : Object.keys(SUITES);
  const unknown = names.find((n) => !(n in SUITES));
  if (bad || unknown) {
    console.error(`test: unknown ${bad ? `argument '${bad}'` : `suite '${unknown}'`} ` +
      `(usage: npm test -- --suite=${Object.keys(SUITES).join(',')})`);
    process.exit(2);
  }
  return Object.keys(SUITES).filter((n) => names.includes(n)); // canonical order
}

async function runSuite(name, suite) {
  const [cmd, args] = suite.cmd();
  console.log(`\n== suite ${name}: ${show(cmd, args)}`);
  const r = await run(cmd, args, { capture: true, timeoutMs, env: { ...process.env, ...suite.env } });
  let counts = suite.parse(r.output, r.code);
  let note = '';
  if (r.timedOut) note = `timed out after ${timeoutMs / 1000} s`;
  else if (r.signal) note = `killed by ${r.signal}`;
  else if (!counts) note = `exit code ${r.code}, no test count in its output`;
  else if (r.code !== 0 && counts.failed === 0) note = `exit code ${r.code} after all tests passed`;
  if (note) counts = { passed: counts?.passed ?? 0, failed: Math.max(counts?.failed ?? 0, 1) };
  // Skipped tests count neither way; the suite says why (e.g. no registry for the bundler apps).
  else if (counts.why) note = counts.why;
  return { passed: counts.passed, failed: counts.failed, note, ms: r.ms };
}

async function main() {
  const selected = parseSuites(process.argv.slice(2));
  const results = []; // {name, passed, failed, note, ms}
  const started = Date.now();

  const browser = selected.some((n) => SUITES[n].browser);
  await runOrThrow('bash', ['scripts/setup.sh', ...(browser ? ['--browser'] : [])]);

  // Build only what the selected suites need, one step at a time so one failure doesn't hide the rest.
  const failedSteps = new Set();
  const wanted = new Set(selected.flatMap((n) => [...SUITES[n].needs, ...(SUITES[n].uses ?? [])]));
  const steps = Object.keys(STEPS).filter((s) => wanted.has(s)); // build.mjs's canonical order
  for (const step of steps) {
    const t = Date.now();
    try {
      await build({ only: [step] });
    } catch (err) {
      console.error(`\n${err.message}`);
      failedSteps.add(step);
      results.push({ name: `build:${step}`, passed: 0, failed: 1, note: err.message, ms: Date.now() - t });
    }
  }

  for (const name of selected) {
    const suite = SUITES[name];
    const skip = suite.skip?.();
    if (skip) {
      if (skip !== 'silent') results.push({ name, skipped: true, note: skip, ms: 0 });
      continue;
    }
    const broken = suite.needs.filter((s) => failedSteps.has(s));
    if (broken.length) {
      results.push({ name, passed: 0, failed: 1, note: `not run: build step ${broken.join(', ')} failed`, ms: 0 });
      continue;
    }
    results.push({ name, ...(await runSuite(name, suite)) });
  }

  const passed = results.reduce((n, r) => n + (r.passed ?? 0), 0);
  const failed = results.reduce((n, r) => n + (r.failed ?? 0), 0);
  console.log(`\n== results (${((Date.now() - started) / 1000).toFixed(1)} s in all)`);
  for (const r of results) {
    const what = r.skipped ? 'skipped' : `${r.passed} passed, ${r.failed} failed`;
    const mark = r.skipped ? '-' : r.failed ? 'FAIL' : 'ok';
    console.log(`${mark.padEnd(4)} ${r.name.padEnd(13)} ${what.padEnd(24)} ${(r.ms / 1000).toFixed(1).padStart(6)} s` +
      `${r.note ? `  (${r.note})` : ''}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  // Setup failed, or a runner bug: still end with a count line so CI reads it as a failure.
  console.error(`\ntest: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
