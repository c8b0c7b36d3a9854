// The pthreads build under Node (web/lib/wasmcnn_core_mt.*, loaded by web/lib/core.js): Node loads
// it by default, ready({ threads: false }) loads the single-thread build instead; a process whose
// pool is running ends by itself when its script is done; and training and prediction give the same
// bits on the single build, and on the pthreads build with 1, 2, 3 and 4 threads (threads-spec: fixed
// shards summed in order), also after a pool thread grew wasm memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cnn from '../../web/lib/index.js';
import { build, getCore, ready } from '../../web/lib/core.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'threads_child.mjs');
// A generous ceiling for a child that should end on its own: long enough for a loaded CI machine,
// short enough that a pool keeping Node alive fails the test instead of hanging the suite.
const EXIT_WITHIN_MS = 60000;

/** Runs the child (or node with `nodeArgs`); resolves to { code, signal, out, err, timedOut }. */
function runChild(args, nodeArgs = [CHILD, ...args]) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, EXIT_WITHIN_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, timedOut });
    });
  });
}

async function childResult(which, threads) {
  const r = await runChild([which, String(threads)]);
  assert.equal(r.timedOut, false, `${which} on ${threads} threads: the process did not end by itself within ` +
    `${EXIT_WITHIN_MS / 1000} s (a pool thread keeping Node alive?)\n${r.out}${r.err}`);
  assert.equal(r.code, 0, `${which} on ${threads} threads exited with ${r.code}:\n${r.out}${r.err}`);
  assert.equal(r.err, '', `${which} on ${threads} threads wrote to stderr`);
  return JSON.parse(r.out.trim().split('\n').at(-1));
}

test('under Node the pthreads build loads, and says so', async () => {
  await cnn.ready();
  assert.equal(build(), 'pthreads');
  assert.equal(getCore().threadsBuild(), true);
  assert.equal(getCore().shardSize(), 16);
});

test('ready({ threads }) takes a boolean only', async () => {
  await assert.rejects(ready({ threads: 2 }), /ready: threads must be true or false, got 2/);
  await assert.rejects(ready({ threads: 'no' }), /ready: threads must be true or false, got "no"/);
});

test('the same bits on the single build and on 1, 2, 3 and 4 pool threads; each process ends by itself', async (t) => {
  const single = await childResult('single', 1);
  assert.equal(single.build, 'single');
  for (const n of [1, 2, 3, 4]) {
    const r = await childResult('pthreads', n);
    t.diagnostic(`pthreads, ${n} threads: ${r.started} pool threads started, weights ${r.weights.slice(0, 12)}…`);
    assert.equal(r.build, 'pthreads');
    assert.equal(r.threads, n);
    assert.equal(r.started, n - 1);
    assert.equal(r.fresh, true, 'HEAPF32 does not cover all of the grown memory');
    assert.equal(r.weights, single.weights, `trained weights differ on ${n} threads from the single build`);
    assert.equal(r.predictions, single.predictions, `predictions differ on ${n} threads from the single build`);
  }
});

test('node --input-type=module -e runs the pool too (its threads do not inherit --input-type) and exits', async () => {
  const entry = new URL('../../web/lib/index.js', import.meta.url).href;
  const script = `const cnn = await import(${JSON.stringify(entry)});
    const m = cnn.sequential({ inputShape: [4], layers: [cnn.layers.dense({ units: 2, activation: 'softmax' })] });
    await cnn.setThreads(2);
    console.log(cnn.backendInfo().strategy, m.predict(cnn.tensor(new Float32Array(256), [64, 4])).shape.join('x'));`;
  const r = await runChild([], ['--input-type=module', '-e', script]);
  assert.equal(r.timedOut, false, 'the process ended by itself');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), 'pthreads 64x2');
});

test('an error inside a core call is still a plain Error with its message in the pthreads build', () => {
  assert.throws(() => cnn.layers.dense({ units: 3, foo: 1 }) && cnn.sequential({ inputShape: [4], layers: [cnn.layers.dense({ units: 3, foo: 1 })] }),
    (e) => e.constructor === Error && /dense: unknown option 'foo'/.test(e.message));
});
