// Starting wasmcnn's worker script (web/lib/worker.js): the training worker of trainInWorker and
// the helper workers of the workers strategy (parallel.js) are the same file in different roles, so
// bundlers only ever see one worker. A spawned worker is wrapped as { on, onError, post, terminate,
// ref, unref }, the same under Node (worker_threads) and in browsers (module Web Workers).
import { isNode, nodeBuiltins, userUrl } from './env.js';

// Only to name the worker's URL in an Error when it fails to load; in a webpack build this is a
// file: path of the build machine, which is then not named.
const moduleUrl = import.meta.url;

function nodeWorker(w, url, who) {
  return {
    on: (fn) => w.on('message', fn),
    onError: (fn) => {
      w.on('error', (e) => fn(new Error(`${who.caller}: ${who.name} ${url} failed: ${e?.message ?? e}`)));
      w.on('exit', (code) => fn(new Error(`${who.name} exited (code ${code})`)));
    },
    post: (m, t) => w.postMessage(m, t),
    terminate: () => w.terminate(),
    // A helper worker waiting for work must not keep Node running; one that is working must.
    ref: () => w.ref(),
    unref: () => w.unref(),
  };
}

/** Why a worker script did not load: fetched again to read the HTTP status and the MIME type. */
async function whyNotLoaded(url) {
  if (!url || !/^https?:/.test(url.protocol)) return 'it did not load (see the browser console)';
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) return `HTTP ${response.status} ${response.statusText}`.trim();
    const type = response.headers.get('content-type') ?? '(none)';
    if (!/javascript|ecmascript/i.test(type)) return `it is served as ${type}, not JavaScript, so a module worker refuses it`;
    return 'the script loaded but failed to start (see the browser console; a Content-Security-Policy worker-src that refuses it?)';
  } catch (e) {
    return `the request failed (${e.message}; blocked by CORS or the page's Content-Security-Policy?)`;
  }
}

function webWorker(w, url, who) {
  const where = url ? `${who.name} ${url}` : who.name;
  const help = 'Serve wasmcnn\'s web/lib/ folder (worker.js and the modules it imports) there, or pass ' +
    'trainInWorker(model, x, y, { workerUrl }) or cnn.ready({ workerUrl })';
  return {
    on: (fn) => w.addEventListener('message', (e) => fn(e.data)),
    onError: (fn) => {
      w.addEventListener('error', (e) => {
        // An ErrorEvent with a message is an exception in the worker; a bare Event is a failed load.
        if (e.message) fn(new Error(`${where} failed to start or crashed: ${e.message}`));
        else whyNotLoaded(url).then((why) => fn(new Error(`${where} could not be loaded: ${why}. ${help}`)));
      });
      w.addEventListener('messageerror', () => fn(new Error(`${who.name} sent a message that could not be read`)));
    },
    post: (m, t) => w.postMessage(m, t),
    terminate: () => w.terminate(),
    ref: () => {},
    unref: () => {},
  };
}

/**
 * Starts web/lib/worker.js (or `workerUrl`). `who` names it in Errors: { caller: 'trainInWorker',
 * name: 'the training worker' } by default.
 */
export async function spawn(workerUrl, who = { caller: 'trainInWorker', name: 'the training worker' }) {
  if (isNode) {
    const { workerThreads, workerScript } = await nodeBuiltins(who.caller);
    const url = workerUrl ? await userUrl(workerUrl, `${who.caller}({ workerUrl })`) : workerScript;
    return nodeWorker(new workerThreads.Worker(url), url, who);
  }
  if (workerUrl) {
    const url = await userUrl(workerUrl, `${who.caller}({ workerUrl })`);
    return webWorker(startWorker(() => new Worker(url, { type: 'module' }), url, who), url, who);
  }
  // Where the worker is when nothing moved it (the files as in the package, e.g. from a CDN).
  const guess = moduleUrl.startsWith('file:') ? null : new URL('./worker.js', moduleUrl);
  // Exactly this one expression: the pattern Vite, webpack and Parcel recognise, bundle as a worker
  // and point at the file they emit. Anything else (a URL made beforehand, a variable) they leave
  // alone, and the worker 404s.
  return webWorker(startWorker(() => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }), guess, who), guess, who);
}

/**
 * Starts a worker. A page may not start one from another origin's URL (the package on a CDN): then
 * a same-origin module worker that only imports the script from there (the CDN must send CORS
 * headers), whose own imports resolve against that URL.
 */
function startWorker(create, url, who) {
  try {
    return create();
  } catch (e) {
    if (e?.name !== 'SecurityError' || !url || url.origin === globalThis.location?.origin) {
      throw new Error(`${who.caller}: could not start ${who.name} ${url ?? ''}: ${e.message}`);
    }
    const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
    try {
      return new Worker(shim, { type: 'module' });
    } finally {
      // The worker has its own reference to the script once started.
      setTimeout(() => URL.revokeObjectURL(shim), 60000);
    }
  }
}
