// Loads the wasm core once and wraps its calls.
//
// The Emscripten module is built for web and worker environments and never fetches its own
// .wasm: we hand it the bytes (read with node:fs under Node, fetched elsewhere) so the same file
// works in Node, browsers, workers and bundlers. `call` turns the core's stored error message into
// a JavaScript Error; `Staging` owns the wasm buffers that batches are copied into.
import createWasmcnnCore from './wasmcnn_core.mjs';

const isNode = typeof process === 'object' && process.versions != null && process.versions.node != null &&
  typeof window === 'undefined';

let corePromise = null;
let core = null;
let loadError = null;

async function wasmBytes(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  const url = source ? new URL(String(source), import.meta.url) : new URL('./wasmcnn_core.wasm', import.meta.url);
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`wasmcnn: could not load ${url} (HTTP ${response.status})`);
  return response.arrayBuffer();
}

// In a browser, compile while the bytes download (the server sends application/wasm); fall back
// to compiling the whole buffer where streaming is unavailable or the MIME type is wrong.
async function compileWasm(source) {
  const isBytes = source instanceof ArrayBuffer || ArrayBuffer.isView(source);
  if (!isNode && !isBytes && typeof WebAssembly.compileStreaming === 'function') {
    const url = source ? new URL(String(source), import.meta.url) : new URL('./wasmcnn_core.wasm', import.meta.url);
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch {
      // fall through
    }
  }
  return WebAssembly.compile(await wasmBytes(source));
}

/**
 * Loads the WebAssembly core. Called automatically when the package is imported; call it yourself
 * to pass the .wasm's URL or bytes (e.g. when a bundler moved it).
 */
export function ready(options = {}) {
  // Once loaded, the core stays: a second instance would orphan every model made with the first
  // (their calls would go to one instance and their errors and staging buffers to the other).
  if (core) return Promise.resolve(core);
  if (corePromise && !options.wasm) return corePromise;
  corePromise = (async () => {
    let compiled;
    if (typeof WebAssembly === 'object' && options.wasm instanceof WebAssembly.Module) compiled = options.wasm;
    else compiled = await compileWasm(options.wasm);
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

/** The loaded core; throws a clear Error before ready() has resolved. */
export function getCore() {
  if (core) return core;
  if (loadError) throw new Error(`wasmcnn: the WebAssembly core failed to load (${loadError.message}); ` +
    'call await cnn.ready({ wasm: urlOrBytes }) with the location of wasmcnn_core.wasm');
  throw new Error('wasmcnn: the WebAssembly core is not loaded yet; await cnn.ready() first');
}

/** Runs fn(core) and throws the core's error, if it set one, as an Error. */
export function call(fn) {
  const c = getCore();
  const result = fn(c);
  const error = c.takeError();
  if (error) throw new Error(error);
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
