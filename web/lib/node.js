// Node's built-ins for the library, handed to env.js: the only module that imports `node:`. Reached
// through the package's "node" export condition (index.node.js) or env.js' Node-only fallback, never
// from a browser build.
import * as fs from 'node:fs/promises';
import * as module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as url from 'node:url';
import * as workerThreads from 'node:worker_threads';
import { setNodeBuiltins } from './env.js';

// The training worker's script, for worker_threads (here, not in worker_client.js: a bundler would
// take new URL('./worker.js', import.meta.url) outside new Worker(...) for an asset and copy it raw).
const workerScript = new URL('./worker.js', import.meta.url);

setNodeBuiltins({ fs, module, os, path, url, workerThreads, workerScript });
