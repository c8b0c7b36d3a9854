// TensorFlow.js 4.22 on its WebAssembly backend (XNNPACK, SIMD, one thread). Inference only: the
// backend has no Conv2DBackpropFilter kernel, so a CNN cannot train on it. It runs wasmcnn's
// trained weights.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { SEED } from './common.mjs';
import { lenet, predict, setWeights } from './tf_lenet.mjs';

export const name = 'TF.js (wasm)';
export const canTrain = false;
export const whyNoTraining = 'cannot train (no Conv2DBackpropFilter kernel)';

let tf = null;
let backend = null;
let data = null;
let model = null;

export async function setup(d, { weights }) {
  tf = await import('@tensorflow/tfjs');
  tf.enableProdMode();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // The .wasm files from node_modules (never a CDN), the SIMD build without threads, one XNNPACK thread.
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
  wasm.setThreadsCount(1);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('the wasm backend reports no SIMD support');
  backend = tf.backend();
  data = d;
  if (!weights) throw new Error("needs wasmcnn's trained weights, and wasmcnn did not run");
  model = lenet(tf, SEED);
  setWeights(tf, model, weights);
  return { version: tf.version.tfjs, detail: `XNNPACK, SIMD, ${wasm.getThreadsCount()} thread` };
}

export async function predictOne(x) {
  return predict(tf, model, x, 1, 1);
}

export async function predictBatch(x, n) {
  return predict(tf, model, x, n, 256);
}

export function memory() {
  return { bytes: backend.wasm.HEAPU8.length, detail: "the backend module's heap" };
}

export async function dispose() {
  model?.dispose();
  model = null;
}
