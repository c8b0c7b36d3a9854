// The npm package as users get it: `npm pack`, install the tarball offline into an empty project,
// import 'wasmcnn' there, train and predict. Checks what the tarball holds (and doesn't), that
// publint and arethetypeswrong find nothing, that its types resolve under TypeScript's bundler,
// node16 and nodenext module resolution, and reports its size. (Browser builds: tests/bundlers/.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let tmp;
let packed; // npm pack --json's record
let tarball;

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const mib = (n) => `${(n / 2 ** 20).toFixed(2)} MiB`;

function npm(args, cwd) {
  // A cache of its own: nothing from (or into) the user's, and nothing fetched.
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_cache: path.join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmcnn-pack-'));
  [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], root));
  tarball = path.join(tmp, packed.filename);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds the library, its wasm, the sample and the types, and no tests or sources', () => {
  const files = packed.files.map((f) => f.path);
  for (const f of ['package.json', 'web/lib/index.js', 'web/lib/index.node.js', 'web/lib/node.js', 'web/lib/env.js',
    'web/lib/index.d.ts', 'web/lib/worker.d.ts', 'web/lib/wasmcnn_core.mjs', 'web/lib/wasmcnn_core.wasm',
    'web/lib/wasmcnn_core_mt.mjs', 'web/lib/wasmcnn_core_mt.wasm', 'web/lib/wasmcnn_core_mt.worker.js',
    'web/lib/mnist-sample.bin', 'web/lib/worker.js', 'web/lib/worker_client.js']) {
    assert.ok(files.includes(f), `${f} is missing from the tarball`);
  }
  const stray = files.filter((f) => !(f === 'package.json' || f === 'README.md' || f === 'LICENSE' || f.startsWith('web/lib/')));
  assert.deepEqual(stray, [], 'files outside web/lib');
  assert.deepEqual(files.filter((f) => /(^|\/)(tests?|src|scripts|bench|build|demo)\/|\.test\.|\.tgz$|\.map$/.test(f)), []);
  // Every module the entry point imports (transitively) is in the package.
  const libFiles = new Set(files.filter((f) => f.startsWith('web/lib/')).map((f) => f.slice('web/lib/'.length)));
  for (const f of libFiles) {
    if (!/\.(m?js)$/.test(f)) continue;
    const text = fs.readFileSync(path.join(root, 'web/lib', f), 'utf8');
    for (const [, dep] of text.matchAll(/(?:import|export)[^'"]*?from\s+'\.\/([^']+)'/g)) {
      assert.ok(libFiles.has(dep), `${f} imports ./${dep}, which is not packed`);
    }
  }
  // Only node.js imports node: modules (the "node" entry and env.js's Node-only fallback load it).
  const nodeImports = [...libFiles].filter((f) => /\.m?js$/.test(f) &&
    /(?:from\s+|import\s*\(\s*)['"]node:/.test(fs.readFileSync(path.join(root, 'web/lib', f), 'utf8')));
  assert.deepEqual(nodeImports, ['node.js']);
});

test('publint and arethetypeswrong report nothing', (t) => {
  const bin = (name) => path.join(root, 'node_modules/.bin', name);
  const publint = spawnSync(bin('publint'), ['--strict'], { cwd: root, encoding: 'utf8' });
  t.diagnostic(publint.stdout.trim().split('\n').at(-1));
  assert.equal(publint.status, 0, publint.stdout + publint.stderr);
  assert.match(publint.stdout, /All good!/);
  // ESM only, by design: CommonJS require() and node10 resolution are out of scope (--profile esm-only).
  const attw = spawnSync(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json'], { cwd: root, encoding: 'utf8' });
  assert.equal(attw.status, 0, attw.stdout + attw.stderr);
  const problems = Object.values(JSON.parse(attw.stdout).problems ?? {}).flat()
    .filter((p) => !['node10', 'node16-cjs'].includes(p.resolutionKind));
  assert.deepEqual(problems, []);
  t.diagnostic('attw --profile esm-only: no problems under node16 (from ESM) and bundler resolution');
});

test('installed offline into an empty project, `import "wasmcnn"` trains LeNet and predicts', (t) => {
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const started = performance.now();
  npm(['install', '--no-audit', '--no-fund', '--offline', tarball], app);
  t.diagnostic(`npm install --offline: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const installed = path.join(app, 'node_modules/wasmcnn');
  assert.ok(fs.existsSync(path.join(installed, 'web/lib/index.d.ts')));
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['.'].types, './web/lib/index.d.ts');
  assert.ok(fs.existsSync(path.join(installed, pkg.types)));

  fs.writeFileSync(path.join(app, 'main.mjs'), `
    import * as cnn from 'wasmcnn';
    const L = cnn.layers;
    const { images, labels } = await cnn.data.mnistSample({ count: 512 });
    const model = cnn.sequential({ inputShape: [28, 28, 1], seed: 1, layers: [
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
      L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 84, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
    ] });
    model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
    const history = await model.fit(images, labels, { epochs: 2, batchSize: 32 });
    const p = model.predict(images.slice(0, 4));
    const sums = Array.from({ length: 4 }, (_, i) => p.data.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0));
    const job = await cnn.trainInWorker(model, images.slice(0, 64), labels.slice(0, 64), { epochs: 1 });
    console.log(JSON.stringify({
      version: cnn.version, shape: p.shape, sums, loss: history.history.loss, accuracy: model.evaluate(images, labels).accuracy,
      worker: import.meta.resolve('wasmcnn/worker'), workerEpochs: job.history.epoch, core: import.meta.resolve('wasmcnn'),
    }));
    model.dispose();
    job.model.dispose();
  `);
  const out = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' }));
  assert.equal(out.version, pkg.version);
  assert.deepEqual(out.shape, [4, 10]);
  assert.ok(out.sums.every((s) => Math.abs(s - 1) < 1e-5), String(out.sums));
  assert.ok(out.loss[1] < out.loss[0], String(out.loss));
  assert.ok(out.accuracy > 0.6, `accuracy ${out.accuracy}`);
  assert.deepEqual(out.workerEpochs, [0]);
  // Resolved from the installed copy, not from this repository.
  assert.ok(out.core.startsWith(`file://${installed}/`), out.core);
  assert.ok(out.worker.startsWith(`file://${installed}/`), out.worker);
});

test('the types resolve through the installed package under moduleResolution bundler, node16 and nodenext', () => {
  const app = path.join(tmp, 'app');
  assert.ok(fs.existsSync(path.join(app, 'node_modules/wasmcnn/package.json')), 'the install test did not run');
  fs.writeFileSync(path.join(app, 'main.ts'), `
    import * as cnn from 'wasmcnn';
    import 'wasmcnn/worker';
    await cnn.ready({ wasmUrl: '/assets/wasmcnn_core.wasm', workerUrl: new URL('https://example.com/worker.js') });
    const sample: cnn.MnistSample = await cnn.data.mnistSample({ count: 16 });
    const model: cnn.Model = cnn.sequential({ inputShape: [28, 28, 1], layers: [cnn.layers.flatten(), cnn.layers.dense({ units: 10 })] });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const job: cnn.TrainingJob = cnn.trainInWorker(model, cnn.data.sampleRef({ count: 16 }), null, { epochs: 1, workerUrl: 'worker.js', wasm: 'x.wasm' });
    const { history } = await job;
    const n: number = sample.count + history.epoch.length;
    // @ts-expect-error workerUrl is a string or URL
    cnn.trainInWorker(model, sample.images, sample.labels, { workerUrl: 1 });
    export { n };
  `);
  for (const [module, moduleResolution] of [['esnext', 'bundler'], ['node16', 'node16'], ['nodenext', 'nodenext']]) {
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'es2022', module, moduleResolution, lib: ['es2022', 'dom'], types: [], skipLibCheck: false },
      files: ['main.ts'],
    }));
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', app, '--traceResolution'], { cwd: app, encoding: 'utf8' });
    const errors = r.stdout.split('\n').filter((l) => /error TS/.test(l));
    assert.deepEqual(errors, [], `moduleResolution ${moduleResolution}`);
    assert.equal(r.status, 0, `moduleResolution ${moduleResolution}:\n${errors.join('\n')}`);
    // Resolved from the installed package's exports, not from this repository.
    assert.match(r.stdout, new RegExp(`'wasmcnn' was successfully resolved to '${app}/node_modules/wasmcnn/web/lib/index\\.d\\.ts'`),
      `moduleResolution ${moduleResolution}`);
  }
});

test('package size (diagnostics)', (t) => {
  const sizes = packed.files.map((f) => {
    const bytes = fs.readFileSync(path.join(root, f.path));
    return { path: f.path, size: bytes.length, gz: zlib.gzipSync(bytes, { level: 9 }).length };
  });
  const sum = (list, key) => list.reduce((a, f) => a + f[key], 0);
  const js = sizes.filter((f) => /\.m?js$/.test(f.path));
  const wasm = sizes.filter((f) => f.path.endsWith('.wasm'));
  const sample = sizes.find((f) => f.path.endsWith('mnist-sample.bin'));
  const dts = sizes.find((f) => f.path.endsWith('index.d.ts'));
  t.diagnostic(`tarball ${mib(fs.statSync(tarball).size)} (${packed.files.length} files, ${mib(packed.unpackedSize)} unpacked; ` +
    `the MNIST sample is ${mib(sample.size)} of that, ${mib(sample.gz)} gzipped)`);
  t.diagnostic(`JS + wasm: ${kb(sum(js, 'size') + sum(wasm, 'size'))} raw, ${kb(sum(js, 'gz') + sum(wasm, 'gz'))} gzipped ` +
    `(wasm ${kb(sum(wasm, 'size'))} -> ${kb(sum(wasm, 'gz'))}; JS ${js.length} files ${kb(sum(js, 'size'))} -> ${kb(sum(js, 'gz'))}; ` +
    `index.d.ts ${kb(dts.size)} -> ${kb(dts.gz)})`);
  for (const f of sizes.sort((a, b) => b.size - a.size)) t.diagnostic(`  ${f.path.padEnd(28)} ${kb(f.size).padStart(10)} ${kb(f.gz).padStart(10)} gz`);
  assert.ok(sum(wasm, 'gz') < 1024 * 1024, 'the wasm should stay well under 1 MB gzipped');
});
