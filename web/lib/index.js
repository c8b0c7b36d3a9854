// wasmcnn: train and run convolutional neural networks in the browser and Node, on a C++ core
// compiled to WebAssembly SIMD. The API follows TensorFlow.js' layers API (Keras in camelCase);
// index.d.ts is the reference.
import { ready } from './core.js';
import { useSpawner } from './helper_pool.js';
import { initThreads } from './threads.js';
import { spawn } from './spawn.js';

export { ready, memory } from './core.js';
export { Tensor, tensor } from './tensor.js';
export { layers, regularizers } from './layers.js';
export { initializers } from './initializers.js';
export { optimizers } from './optimizers.js';
export { callbacks, schedules } from './callbacks.js';
export { Model, sequential } from './model.js';
export { model, input } from './functional.js';
export { SymbolicTensor } from './symbolic.js';
export { loadModel, io } from './io.js';
export { toTfjsArtifacts, fromTfjsArtifacts } from './tfjs_format.js';
export { trainInWorker, TrainingJob } from './worker_client.js';
export { setThreads } from './parallel.js';
export { threads, backendInfo } from './threads.js';
export { image } from './image.js';
import { mnistSample } from './data.js';
import { augmentImages } from './augment.js';

export const data = {
  mnistSample,
  /** A reference to the bundled sample that a training worker loads itself (no copy from this thread). */
  sampleRef: ({ count } = {}) => ({ dataset: 'mnistSample', count }),
  /** Augmented copies of images [n,h,w,c], as fit({ augment }) would make them; seeded. */
  augment: augmentImages,
};

export const version = '0.1.0';

// Only the entry can start workers (see helper_pool.js): helper workers come from here.
useSpawner(spawn);

// Load the core on import so that the synchronous API (sequential, tensor, predict) is usable
// straight away. A failure is not thrown here: the first call that needs the core explains it,
// and ready({ wasm }) can retry with the .wasm's real location. Then the default threads
// (min(hardware threads, 4)): the threaded build's pool starts; helper workers wait until used.
await ready().then(initThreads).catch(() => {});
