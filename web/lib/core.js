// Loads the wasm core once and wraps its calls.
//
// Two builds of the core ship side by side: the single-thread one (wasmcnn_core.*) and the pthreads
// one (wasmcnn_core_mt.*: a pool of threads on SharedArrayBuffer memory). ready() loads the pthreads
// build where threads can run: under Node, and in pages and workers that are cross-origin isolated
// (so SharedArrayBuffer exists); everywhere else, or with ready({ threads: false }), the single one.
//
// Neither Emscripten module fetches its own .wasm: we compile it here and hand it over, so the
// same files work in Node (read with node:fs), browsers, workers and bundlers. Every file is found
// with the one expression bundlers recognise and rewrite, new URL('./file', import.meta.url), so a
// bundled app emits them as assets; ready({ wasmUrl }) overrides the .wasm. The pthreads build's
// JavaScript is imported from its asset URL (not bundled) because its pool threads import the very
// same file (Module.mainScriptUrlOrBlob) next to their worker script (locateFile).
// `call` throws the Error a core call returns in place of its result (the core keeps no error
// state); `Staging` owns the wasm buffers that batches are copied into.
import createWasmcnnCore from './wasmcnn_core.mjs';
import { isNode, nodeBuiltins, userUrl } from './env.js';

let corePromise = null;
let core = null;
let loadedBuild = null; // 'single' | 'pthreads'
let loadError = null;
// What the user passed to ready({ wasmUrl, workerUrl }): training workers use the same.
const userLocations = { wasm: null, worker: null };

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"
const isBytes = (x) => x instanceof ArrayBuffer || ArrayBuffer.isView(x);

/** An Error that names the URL, what went wrong and what to do. */
function loadFailure(url, what) {
  return new Error(`wasmcnn: could not load the WebAssembly core from ${url}: ${what}. ` +
    'Serve wasmcnn_core.wasm from the package\'s web/lib/ folder with the type application/wasm, or pass its location: ' +
    'await cnn.ready({ wasmUrl })');
}

async function fetchWasm(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw loadFailure(url, `the request failed (${e.message}; offline, blocked by CORS, or by the page's ` +
      'Content-Security-Policy connect-src?)');
  }
  if (!response.ok) throw loadFailure(url, `HTTP ${response.status} ${response.statusText}`.trim());
  return response;
}

// Compiles a fetched response: while it downloads when the server sends application/wasm, else
// from its bytes (a server that says application/octet-stream still works). Bytes that are not
// wasm at all are most often a web server's fallback page for a file it doesn't have.
async function compileResponse(url, response) {
  const type = response.headers.get('content-type') ?? '(none)';
  if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/i.test(type)) {
    return WebAssembly.compileStreaming(response);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!WASM_MAGIC.every((b, i) => bytes[i] === b)) {
    const start = new TextDecoder().decode(bytes.subarray(0, 16)).replace(/\s+/g, ' ');
    throw loadFailure(url, `the server answered with Content-Type ${type} and ${bytes.length} bytes that are not ` +
      `WebAssembly (they start with ${JSON.stringify(start)}; a fallback page for a missing file?)`);
  }
  return WebAssembly.compile(bytes);
}

// A page whose Content-Security-Policy lacks 'wasm-unsafe-eval' refuses to compile any wasm.
function compileFailure(url, e) {
  const csp = /unsafe-eval|Content Security Policy/i.test(e.message)
    ? '; the page\'s Content-Security-Policy must allow script-src \'wasm-unsafe-eval\'' : '';
  return loadFailure(url, `it did not compile (${e.message})${csp}`);
}

async function compileWasm(source, build) {
  if (isBytes(source)) return WebAssembly.compile(source).catch((e) => { throw compileFailure('the bytes given', e); });
  let url;
  if (source) url = await userUrl(source, 'ready({ wasmUrl })');
  else if (build === 'pthreads') url = new URL('./wasmcnn_core_mt.wasm', import.meta.url);
  else url = new URL('./wasmcnn_core.wasm', import.meta.url);
  if (isNode && url.protocol === 'file:') {
    const { fs } = await nodeBuiltins('reading a file: URL');
    const bytes = await fs.readFile(url).catch((e) => {
      throw loadFailure(url, e.code ?? e.message);
    });
    return WebAssembly.compile(bytes).catch((e) => { throw compileFailure(url, e); });
  }
  const response = await fetchWasm(url);
  return compileResponse(url, response).catch((e) => {
    throw e.message.startsWith('wasmcnn:') ? e : compileFailure(url, e);
  });
}

/**
 * True where the pthreads build can run: Node, or a page or worker that is cross-origin isolated
 * (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
 * require-corp), the only places with SharedArrayBuffer.
 */
export function threadsPossible() {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  return isNode || globalThis.crossOriginIsolated === true;
}

// The pool starts with as many workers as the default thread count needs: cnn.threads() defaults
// to min(hardware threads, 4). More are added when setThreads asks for more.
const DEFAULT_THREADS_CAP = 4;
async function defaultThreads() {
  let hardware = globalThis.navigator?.hardwareConcurrency;
  if (isNode) {
    const { os } = await nodeBuiltins('threads');
    hardware = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return Math.max(1, Math.min(Math.floor(hardware) || 1, DEFAULT_THREADS_CAP));
}

// The views Emscripten keeps on the module (HEAPF32 and so on). With threads, memory can grow while
// a pool thread runs, and the module's views then still cover the old, smaller buffer (a shared
// buffer is not detached: reads past the old end would silently come back short). Each view becomes
// a getter that checks the memory's current buffer first, so every caller (here, model.js,
// augment.js) keeps reading c.HEAPF32 as before.
const HEAP_VIEWS = {
  HEAP8: Int8Array, HEAPU8: Uint8Array, HEAP16: Int16Array, HEAPU16: Uint16Array,
  HEAP32: Int32Array, HEAPU32: Uint32Array, HEAPF32: Float32Array, HEAPF64: Float64Array,
};
function keepViewsFresh(module) {
  const memory = module.wasmMemory;
  for (const [name, View] of Object.entries(HEAP_VIEWS)) {
    let view = module[name];
    Object.defineProperty(module, name, {
      configurable: true,
      enumerable: true,
      get: () => {
        if (view.buffer !== memory.buffer) view = new View(memory.buffer);
        return view;
      },
      set: (v) => { view = v; },
    });
  }
}

/**
 * What the pthreads build needs besides the compiled .wasm: where its pool threads find their
 * script (locateFile) and this module's JavaScript (mainScriptUrlOrBlob), how many threads the
 * pool starts with, and under Node what Emscripten's CommonJS-minded glue expects (see
 * scripts/emscripten/mt_pre.js).
 */
async function threadedModuleOptions() {
  const script = new URL('./wasmcnn_core_mt.mjs', import.meta.url);
  const workerScript = new URL('./wasmcnn_core_mt.worker.js', import.meta.url);
  // Vite inlines assets under 4 KB as data: URLs, this 3 KB script included. A worker started from a
  // data: URL has an opaque origin: it could neither share the module's memory nor import its script.
  // A blob: URL made from the same text is same-origin (CSP: worker-src blob:, as for any such worker).
  let workerUrl = workerScript.href;
  if (workerScript.protocol === 'data:') {
    const text = await (await fetch(workerScript)).text();
    workerUrl = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
  }
  const options = {
    mainScriptUrlOrBlob: script.href,
    locateFile: (file) => (file.endsWith('.worker.js') ? workerUrl : new URL(file, script).href),
    pthreadPoolSize: (await defaultThreads()) - 1,
  };
  if (isNode) {
    const { fs, module: nodeModule, workerThreads } = await nodeBuiltins('the pthreads build');
    const source = await fs.readFile(workerScript, 'utf8').catch((e) => {
      throw loadFailure(workerScript, e.code ?? e.message);
    });
    // The worker script is CommonJS, but a .js file in this package ("type": "module") would load as
    // an ES module: it runs from its source instead. unref(): a pool thread waiting for work does not
    // keep Node running once the app's own work is done (the calls that give it work block until it
    // is done, or wait on a timer). Adding a 'message' listener refs the worker again, so on() unrefs.
    options.nodeWorker = class PoolThread extends workerThreads.Worker {
      constructor() {
        // Without --input-type=module (node --input-type=module -e '...'), which would make the
        // CommonJS source an ES module; every other option of the app's node is kept. (globalThis.:
        // Parcel polyfills, and installs into the app, a bare `process` wherever it sees one.)
        super(source, { eval: true, execArgv: globalThis.process.execArgv.filter((a) => !a.startsWith('--input-type')) });
        this.unref();
      }
      on(event, listener) {
        super.on(event, listener);
        this.unref();
        return this;
      }
    };
    options.nodeRequire = nodeModule.createRequire(import.meta.url);
  }
  return options;
}

// The pthreads module's factory: imported from the file's URL, which bundlers copy as an asset
// (from the new URL above) and must not bundle (the pool threads import that same file).
async function importThreadedFactory() {
  const script = new URL('./wasmcnn_core_mt.mjs', import.meta.url);
  let factory;
  try {
    factory = (await import(/* webpackIgnore: true */ /* @vite-ignore */ script.href)).default;
  } catch (e) {
    throw loadFailure(script, `its JavaScript did not load (${e.message})`);
  }
  if (typeof factory !== 'function') throw loadFailure(script, 'it has no default export (did a bundler rewrite it?)');
  return factory;
}

// threaded: [factory, options] of the pthreads build; null for the single one.
async function instantiate(compiled, threaded) {
  const options = {
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled));
      return {};
    },
    print: () => {},
    printErr: () => {},
  };
  if (!threaded) return createWasmcnnCore(options);
  const [factory, threadedOptions] = threaded;
  // Emscripten's Node glue also sets the global Worker (to worker_threads' Worker); the app's own
  // global stays as it was.
  const hadWorker = Object.prototype.hasOwnProperty.call(globalThis, 'Worker');
  const appWorker = globalThis.Worker;
  try {
    const module = await factory({ ...options, ...threadedOptions });
    keepViewsFresh(module);
    return module;
  } finally {
    if (isNode) {
      if (hadWorker) globalThis.Worker = appWorker;
      else delete globalThis.Worker;
    }
  }
}

/**
 * Loads the WebAssembly core. Called automatically when the package is imported; call it yourself
 * to pass the .wasm's location (`wasmUrl`: a URL, relative to the page; or its bytes, or a compiled
 * WebAssembly.Module) and the training worker's (`workerUrl`), when you serve them elsewhere.
 * `wasm` is the older name of `wasmUrl`. `threads: false` loads the single-thread build even where
 * the pthreads build could run (only in the call that loads the core: once loaded, it stays).
 * A `wasmUrl` must point at the .wasm of the build that loads (build()).
 */
export function ready(options = {}) {
  if (options.workerUrl != null) userLocations.worker = options.workerUrl;
  if (options.threads != null && typeof options.threads !== 'boolean') {
    return Promise.reject(new Error(`ready: threads must be true or false, got ${JSON.stringify(options.threads)}`));
  }
  const wasm = options.wasmUrl ?? options.wasm;
  if (wasm != null && !isBytes(wasm) && !(typeof WebAssembly === 'object' && wasm instanceof WebAssembly.Module)) {
    userLocations.wasm = wasm;
  }
  // Once loaded, the core stays: a second instance would orphan every model made with the first
  // (their calls would go to one instance and their staging buffers to the other).
  if (core) return Promise.resolve(core);
  if (corePromise && !wasm) return corePromise;
  const load = async (which) => {
    // The pthreads build's glue loads while its .wasm downloads and compiles.
    const threaded = which === 'pthreads' ? Promise.all([importThreadedFactory(), threadedModuleOptions()]) : null;
    threaded?.catch(() => {}); // its failure is reported below, once the .wasm is settled
    let compiled;
    if (typeof WebAssembly === 'object' && wasm instanceof WebAssembly.Module) compiled = wasm;
    else compiled = await compileWasm(wasm, which);
    return instantiate(compiled, threaded && await threaded);
  };
  corePromise = (async () => {
    let which = options.threads !== false && threadsPossible() ? 'pthreads' : 'single';
    let module = null;
    if (which === 'pthreads') {
      // A page that serves only the single build's files (or a bundler that mangled the pthreads
      // build's) still works, on one thread: said once on the console, with the reason.
      module = await load('pthreads').catch((e) => {
        console.warn(`wasmcnn: the pthreads build did not load, so the single-thread build runs (${e.message})`);
        return null;
      });
      if (!module) which = 'single';
    }
    module ??= await load('single');
    core = module;
    loadedBuild = which;
    loadError = null;
    return module;
  })();
  corePromise.catch((e) => { loadError = e; corePromise = null; });
  return corePromise;
}

/** Which build of the core is loaded: 'single' | 'pthreads'; null before ready() has resolved. */
export function build() {
  return core ? loadedBuild : null;
}

/** The locations given to ready({ wasmUrl, workerUrl }): { wasm, worker }, each null when not given. */
export function locations() {
  return { ...userLocations };
}

/** The loaded core; throws a clear Error before ready() has resolved. */
export function getCore() {
  if (core) return core;
  if (loadError) throw new Error(`wasmcnn: the WebAssembly core failed to load (${loadError.message}); ` +
    'call await cnn.ready({ wasmUrl }) with the location of wasmcnn_core.wasm');
  throw new Error('wasmcnn: the WebAssembly core is not loaded yet; await cnn.ready() first');
}

/**
 * Runs fn(core) and returns its result. A core call that fails returns an Error (built by the
 * core, with its message) instead of a result: that Error is thrown here.
 */
export function call(fn) {
  const result = fn(getCore());
  if (result instanceof Error) throw result;
  return result;
}

/** Memory of the wasm instance: the size of its linear memory and the bytes malloc has handed out. */
export function memory() {
  const c = getCore();
  return { wasmBytes: c.HEAP8.length, heapUsed: c.heapUsed() };
}

/**
 * A growable region of wasm memory. `ensure(n)` returns a byte address with room for n floats;
 * the address changes when it grows, so always take it fresh.
 */
export class Staging {
  constructor() {
    this.ptr = 0;
    this.capacity = 0;
  }
  ensure(floats) {
    if (floats <= this.capacity) return this.ptr;
    const c = getCore();
    this.free();
    const ptr = c._malloc(Math.max(floats, 16) * 4);
    if (!ptr) throw new Error(`wasmcnn: out of memory: could not allocate ${floats * 4} bytes of wasm memory`);
    this.ptr = ptr;
    this.capacity = floats;
    return ptr;
  }
  /** A fresh Float32Array view of the first n floats (views die when memory grows). */
  view(n) {
    return getCore().HEAPF32.subarray(this.ptr >> 2, (this.ptr >> 2) + n);
  }
  free() {
    if (this.ptr) getCore()._free(this.ptr);
    this.ptr = 0;
    this.capacity = 0;
  }
}
