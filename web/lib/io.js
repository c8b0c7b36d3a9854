// Where models go and come from: bytes, a download, IndexedDB (also inside workers), a URL.
// Handlers are objects with save(bytes, model) and/or load(); strings name the built-in ones.
import { ready } from './core.js';
import { nodeBuiltins, userUrl } from './env.js';
import { modelFromBytes, setSaveHandler } from './model.js';
import { fromTfjs, looksLikeTfjs, tfjsHandler } from './tfjs_io.js';

const DB = 'wasmcnn-models';
const STORE = 'models';

function openDb() {
  if (typeof indexedDB === 'undefined') throw new Error('indexeddb://: IndexedDB is not available here');
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`indexeddb://: ${req.error?.message ?? 'could not open the database'}`));
  });
}

async function idb(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(new Error(`indexeddb://: ${tx.error?.message ?? 'transaction failed'}`));
    });
  } finally {
    db.close();
  }
}

function downloadHandler(name) {
  return {
    async save(bytes) {
      if (typeof document === 'undefined') throw new Error('downloads://: only works in a page');
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name.endsWith('.wcnn') ? name : `${name}.wcnn`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      return { url: `downloads://${name}`, bytes: bytes.length };
    },
  };
}

function indexedDbHandler(key) {
  return {
    async save(bytes) {
      await idb('readwrite', (s) => s.put(bytes, key));
      return { url: `indexeddb://${key}`, bytes: bytes.length };
    },
    async load() {
      const bytes = await idb('readonly', (s) => s.get(key));
      if (!bytes) throw new Error(`indexeddb://${key}: no model saved under that name`);
      return bytes;
    },
  };
}

function handlerFor(target, what) {
  if (typeof target === 'object' && target !== null && (target.save || target.load)) return target;
  if (typeof target === 'string') {
    const m = /^(downloads|indexeddb):\/\/(.+)$/.exec(target);
    if (m) return m[1] === 'downloads' ? downloadHandler(m[2]) : indexedDbHandler(m[2]);
  }
  throw new Error(`${what}: expected 'downloads://name', 'indexeddb://name' or a handler, got ${JSON.stringify(target)}`);
}

setSaveHandler(async (target, bytes, model) => {
  const h = handlerFor(target, 'save');
  if (!h.save) throw new Error('save: this handler cannot save');
  return h.save(bytes, model);
});

/**
 * Loads a model: bytes (Uint8Array/ArrayBuffer), a URL of a .wcnn file, 'indexeddb://name', or
 * a handler with load(). Model files never make wasmcnn fetch anything else.
 */
export async function loadModel(source) {
  await ready();
  // TensorFlow.js ModelArtifacts, or a model.json URL or path: see tfjs_io.js.
  if (looksLikeTfjs(source)) return fromTfjs(source).load();
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return modelFromBytes(source);
  if (ArrayBuffer.isView(source)) return modelFromBytes(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  if (typeof source === 'string' && source.startsWith('indexeddb://')) return modelFromBytes(await handlerFor(source).load());
  if (source && typeof source === 'object' && typeof source.load === 'function') {
    const loaded = await source.load();
    return loaded instanceof Uint8Array || loaded instanceof ArrayBuffer ? modelFromBytes(loaded) : loaded;
  }
  if (typeof source === 'string' || source instanceof URL) {
    // Relative to the page, or under Node to the working directory (not to this package's folder).
    const url = await userUrl(source, 'loadModel(path)');
    let bytes;
    if (url.protocol === 'file:') {
      const { fs } = await nodeBuiltins('loadModel(file: URL)');
      bytes = await fs.readFile(url).catch((e) => {
        throw new Error(`loadModel: could not read ${url.pathname} (${e.code ?? e.message})`);
      });
    } else {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`loadModel: could not fetch ${url} (HTTP ${response.status})`);
      bytes = await response.arrayBuffer();
    }
    return modelFromBytes(new Uint8Array(bytes));
  }
  throw new Error(`loadModel: expected bytes, a URL, 'indexeddb://name' or a handler, got ${source === null ? 'null' : typeof source}`);
}

export const io = {
  downloads: downloadHandler,
  indexedDb: indexedDbHandler,
  /** TensorFlow.js layers-model format: save to a directory, 'downloads://name' or a TF.js IOHandler (and load from a path). */
  tfjs: tfjsHandler,
  /** Loads TensorFlow.js ModelArtifacts, a TF.js IOHandler, a model.json URL or directory, or files. */
  fromTfjs,
};
