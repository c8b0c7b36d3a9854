// The threads of this context (the page, a worker, or Node): how many, which strategy runs, and
// the threaded build's pool. cnn.threads() and cnn.backendInfo() are read here; cnn.setThreads
// (parallel.js) checks its arguments and sets them here, then sizes the helper workers.
//
// Two strategies split the same fixed work (a batch is cut into shards of shardSize() = 16 samples
// whose gradients are summed in shard order), so they give the same bits:
// - 'pthreads': the threaded build's pool (Node, cross-origin isolated pages); trainBatch and
//   predict split the work inside the core, so there is nothing to do here but size the pool.
// - 'workers': helper workers with single-thread modules (parallel.js), anywhere.
import { call, getCore } from './core.js';
import { isNode, nodeBuiltins } from './env.js';

export const MAX_THREADS = 16;
// The default stops at 4: a step's fixed costs (sending the parameters to every helper, the
// optimizer update on one thread) grow with the thread count, while a batch of 32 has only 2 shards
// of 16 to share out and one of 64 only 4 (see README, "Threads").
const DEFAULT_CAP = 4;
export const STRATEGIES = ['auto', 'pthreads', 'workers'];
// How long the pthreads pool may take to start before setThreads gives up with an Error.
const POOL_START_MS = 20000;

let hardware = null;
const config = { threads: null, strategy: 'auto' };  // threads null: the default

/** The hardware threads of this machine (navigator.hardwareConcurrency; under Node, os.availableParallelism()). */
export async function detectHardware() {
  if (hardware !== null) return hardware;
  if (isNode) {
    const { os } = await nodeBuiltins('threads');
    hardware = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } else {
    hardware = globalThis.navigator?.hardwareConcurrency ?? 1;
  }
  hardware = Math.max(1, hardware | 0);
  return hardware;
}

const knownHardware = () => hardware ?? (isNode ? 1 : Math.max(1, globalThis.navigator?.hardwareConcurrency | 0));

/** Whether the loaded core is the threaded (pthreads) build. */
export function threadsBuild() {
  const c = getCore();
  return typeof c.threadsBuild === 'function' && c.threadsBuild() === true;
}

/** Samples per shard (8). */
export function shardSize() {
  const c = getCore();
  return typeof c.shardSize === 'function' ? c.shardSize() : 16;
}

/** The thread count of this context: what setThreads set, else min(hardware threads, 4). */
export function threads() {
  return config.threads ?? Math.min(knownHardware(), DEFAULT_CAP);
}

/** What `strategy` ('auto' | 'pthreads' | 'workers') means on n threads here: 'single' | 'pthreads' | 'workers'. */
export function resolveStrategy(n, wanted) {
  if (n === 1) return 'single';
  if (wanted !== 'auto') return wanted;
  return threadsBuild() ? 'pthreads' : 'workers';
}

/** The strategy setThreads was given: 'auto' | 'pthreads' | 'workers'. */
export function wantedStrategy() {
  return config.strategy;
}

/** 'single' | 'pthreads' | 'workers': what runs now. */
export function strategy() {
  return resolveStrategy(threads(), config.strategy);
}

/** What runs here: strategy, thread count, which build is loaded and why. */
export function backendInfo() {
  return {
    strategy: strategy(),
    threads: threads(),
    build: threadsBuild() ? 'pthreads' : 'single',
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: knownHardware(),
    shardSize: shardSize(),
    simd: true,
  };
}

export function checkThreads(n, what) {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new Error(`${what}: the thread count must be an integer from 1 to ${MAX_THREADS}, got ${JSON.stringify(n)}`);
  }
  return n;
}

/**
 * Sets n threads with strategy `wanted` (checked by the caller) and sizes the pthreads pool: n for
 * 'pthreads', else 1 (the workers strategy runs a single-thread coordinator).
 */
export async function configure(n, wanted, what) {
  await detectHardware();
  if (resolveStrategy(n, wanted) === 'pthreads' && !threadsBuild()) {
    throw new Error(`${what}: strategy 'pthreads' needs the threaded build of wasmcnn, which loads only under Node and in ` +
      `cross-origin isolated pages (crossOriginIsolated is ${globalThis.crossOriginIsolated === true} here; the page needs the ` +
      'headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp); use \'workers\' or \'auto\'');
  }
  config.threads = n;
  config.strategy = wanted;
  if (threadsBuild()) await startPool(strategy() === 'pthreads' ? n : 1);
}

/** The core's pthreads pool with n threads (the caller and n - 1 more), waited for without blocking. */
async function startPool(n) {
  const c = getCore();
  if (c.threads() === n && c.threadsStarted() === n - 1) return;
  call(() => c.setThreads(n));
  // In a browser the pool's threads start only once this thread lets the event loop run.
  const deadline = Date.now() + POOL_START_MS;
  while (c.threadsStarted() < n - 1) {
    if (Date.now() > deadline) {
      throw new Error(`setThreads: only ${c.threadsStarted()} of the ${n - 1} pool threads started within ${POOL_START_MS / 1000} s ` +
        '(the browser may limit workers, or the pthread worker script did not load: see the console)');
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * The default (min(hardware threads, 4)), once the core is loaded: starts the threaded build's
 * pool. Helper workers start only when a call first needs them.
 */
export async function initThreads() {
  await detectHardware();
  if (config.threads === null && strategy() === 'pthreads') await startPool(threads());
}
