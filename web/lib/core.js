// Loads the wasm core once and wraps its calls.
//
// The Emscripten module never fetches its own .wasm: we compile it here and hand it over, so the
// same file works in Node (read with node:fs), browsers, workers and bundlers. The .wasm is found
// with the one expression bundlers recognise and rewrite, new URL('./wasmcnn_core.wasm',
// import.meta.url); ready({ wasmUrl }) overrides it. `call` throws the Error a core call returns
// in place of its result (the core keeps no error state); `Staging` owns the wasm buffers that
// batches are copied into.
import createWasmcnnCore from './wasmcnn_core.mjs';
import { isNode, nodeBuiltins, userUrl } from './env.js';

let corePromise = null;
let core = null;
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

async function compileWasm(source) {
  if (isBytes(source)) return WebAssembly.compile(source).catch((e) => { throw compileFailure('the bytes given', e); });
  const url = source ? await userUrl(source, 'ready({ wasmUrl })') : new URL('./wasmcnn_core.wasm', import.meta.url);
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
 * Loads the WebAssembly core. Called automatically when the package is imported; call it yourself
 * to pass the .wasm's location (`wasmUrl`: a URL, relative to the page; or its bytes, or a compiled
 * WebAssembly.Module) and the training worker's (`workerUrl`), when you serve them elsewhere.
 * `wasm` is the older name of `wasmUrl`.
 */
export function ready(options = {}) {
  if (options.workerUrl != null) userLocations.worker = options.workerUrl;
  const wasm = options.wasmUrl ?? options.wasm;
  if (wasm != null && !isBytes(wasm) && !(typeof WebAssembly === 'object' && wasm instanceof WebAssembly.Module)) {
    userLocations.wasm = wasm;
  }
  // Once loaded, the core stays: a second instance would orphan every model made with the first
  // (their calls would go to one instance and their staging buffers to the other).
  if (core) return Promise.resolve(core);
  if (corePromise && !wasm) return corePromise;
  corePromise = (async () => {
    let compiled;
    if (typeof WebAssembly === 'object' && wasm instanceof WebAssembly.Module) compiled = wasm;
    else compiled = await compileWasm(wasm);
    const module = await createWasmcnnCore({
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled));
        return {};
      },
      print: () => {},
      printErr: () => {},
    });
    core = module;
    loadError = null;
    return module;
  })();
  corePromise.catch((e) => { loadError = e; corePromise = null; });
  return corePromise;
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
