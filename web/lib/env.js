// Where the library runs, and the way to Node's built-ins without a browser build ever seeing them.
//
// Node-only code (node:fs, node:path, node:url, node:worker_threads) lives in node.js alone. The
// package's "node" export condition loads it first (index.node.js), so Node never takes the
// fallback below; a file imported by its path under Node (this repository's tests, a Node worker
// thread) gets node.js on first use through an import() that bundlers are told to leave alone. It
// runs only when isNode, so a browser build neither follows it nor ever executes it.

/** True under Node (main thread or worker_threads); false in pages and Web Workers. The one such check. */
export const isNode = typeof process === 'object' && process.versions?.node != null &&
  typeof window === 'undefined' && typeof WorkerGlobalScope === 'undefined';

let builtins = null;

/** Called by node.js when it is evaluated. */
export function setNodeBuiltins(modules) {
  builtins = modules;
}

/** Node's { fs (promises), module, os, path, url, workerThreads }; `what` names the feature for the Error elsewhere. */
export async function nodeBuiltins(what) {
  if (!isNode) throw new Error(`${what} only works under Node`);
  if (!builtins) {
    const nodeModule = './node.js'; // a variable, so that no bundler adds it to a build
    await import(/* webpackIgnore: true */ /* @vite-ignore */ nodeModule);
  }
  return builtins;
}

/**
 * An absolute URL for a URL the user gave: relative ones resolve against the page (or the Web
 * Worker's script) in browsers, and against the working directory under Node, like fetch() and
 * file paths do. Never against import.meta.url: after bundling that is the bundle's location (or,
 * with webpack, a file: path on the machine that built it).
 */
export async function userUrl(source, what) {
  if (source instanceof URL) return source;
  const s = String(source);
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) return new URL(s);
  if (isNode) {
    const { url, path } = await nodeBuiltins(what);
    return url.pathToFileURL(path.resolve(s));
  }
  const base = typeof document === 'object' && document.baseURI ? document.baseURI : globalThis.location?.href;
  return new URL(s, base);
}
