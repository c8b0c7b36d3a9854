// --pre-js of the pthreads build (wasmcnn_core_mt), placed inside the module's factory function.
//
// Emscripten 3.1.6 writes its Node code for a CommonJS script: `require`, `__dirname`, and a pool
// of `new Worker(file)` that it first stores in the global `Worker`. Loaded as an ES module none of
// that exists, so web/lib/core.js hands them over on the Module object and these `var`s (function
// scope: every free use in the generated code resolves to them) take them:
// - nodeRequire: createRequire(import.meta.url) of core.js;
// - nodeWorker: a worker_threads.Worker subclass that runs the pthread worker script as CommonJS
//   and does not keep Node alive (see core.js).
// A pool thread under Node gets `require` and `Worker` from the worker script's globals instead.
// In browsers and Web Workers these stay unused.
// `process` and `global` are the same objects as the globals; declared here, they are no free
// Node globals a bundler would polyfill (Parcel installs and bundles a `process` package for one).
var require = Module['nodeRequire'] || globalThis['require'];
var __dirname = '.';
var Worker = Module['nodeWorker'] || globalThis['Worker'];
var process = globalThis['process'];
var global = globalThis;
