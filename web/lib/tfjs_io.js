// Where TensorFlow.js layers models come from and go to: a model.json and the weight files its
// manifest lists (a URL, or a path under Node), files from a file input, page downloads, TF.js'
// own IOHandlers. The conversion itself is tfjs_format.js.
//
// A model.json only ever makes us read the weight files its manifest names, and only inside its own
// directory: a manifest pointing elsewhere ('../x', '/x', another origin, file:///etc/...) is an
// Error before anything is read.
import { isNode, nodeBuiltins } from './env.js';
import { concatBuffers, fromTfjsArtifacts, toTfjsArtifacts } from './tfjs_format.js';

/** model.json's contents for artifacts whose weights are stored in the one file `weightsPath`. */
export function tfjsModelJson(artifacts, weightsPath) {
  const { weightData, weightSpecs, ...rest } = artifacts;
  return { ...rest, weightsManifest: [{ paths: [weightsPath], weights: weightSpecs }] };
}

/** Artifacts from parsed model.json contents; read(path) returns the bytes of one manifest path. */
async function assemble(json, read) {
  const specs = [];
  const parts = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths ?? []) parts.push(await read(p));
    specs.push(...(group.weights ?? []));
  }
  const { weightsManifest, ...rest } = json;
  return { ...rest, weightSpecs: specs, weightData: concatBuffers(parts) };
}

const hasScheme = (s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** A URL for a string or URL; plain paths are file paths under Node and page-relative elsewhere. */
async function toUrl(target) {
  if (target instanceof URL) return target;
  if (hasScheme(target)) return new URL(target);
  if (isNode) {
    const { url, path } = await nodeBuiltins('a file path');
    return url.pathToFileURL(path.resolve(target));
  }
  return new URL(target, typeof location === 'object' ? location.href : undefined);
}

/** The model.json URL for a URL that names it or its directory. */
async function modelJsonUrl(url) {
  if (url.pathname.endsWith('/')) return new URL('model.json', url);
  if (url.protocol !== 'file:' || url.pathname.endsWith('.json')) return url;
  const { fs } = await nodeBuiltins('tfjs import from a file: URL');
  const isDir = await fs.stat(url).then((s) => s.isDirectory(), () => false);
  return isDir ? new URL(`${url.href}/model.json`) : url;
}

async function readUrl(url, what) {
  if (url.protocol === 'file:') {
    const { fs } = await nodeBuiltins('tfjs import from a file: URL');
    const bytes = await fs.readFile(url).catch((e) => {
      throw new Error(`tfjs import: could not read ${what} ${url.pathname} (${e.code ?? e.message})`);
    });
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tfjs import: could not fetch ${what} ${url} (HTTP ${response.status})`);
  return response.arrayBuffer();
}

/** Artifacts from a model.json URL or path (or its directory) and the weight files next to it. */
async function readTfjsModelJson(source) {
  const url = await modelJsonUrl(await toUrl(source));
  const text = new TextDecoder().decode(await readUrl(url, 'model.json'));
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`tfjs import: ${url} is not valid JSON (${e.message})`);
  }
  const dir = new URL('.', url);
  const paths = (json.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  const urls = paths.map((p) => {
    const w = new URL(p, dir);
    if (w.protocol !== dir.protocol || w.origin !== dir.origin || !w.pathname.startsWith(dir.pathname)) {
      throw new Error(`tfjs import: weight file '${p}' is outside the model's directory ${dir.href}; only files next to model.json are read`);
    }
    return w;
  });
  return assemble(json, (p) => readUrl(urls[paths.indexOf(p)], 'weight file'));
}

/** Artifacts from File-like objects (a file input, a drop): one model.json and its weight files, by name. */
async function readTfjsFiles(files) {
  const list = Array.from(files);
  const jsonFile = list.find((f) => f.name.endsWith('.json'));
  if (!jsonFile) throw new Error(`tfjs import: no model.json among the files (${list.map((f) => f.name).join(', ')})`);
  return assemble(JSON.parse(await jsonFile.text()), (p) => {
    const base = p.split('/').pop();
    const f = list.find((x) => x.name === base);
    if (!f) throw new Error(`tfjs import: weight file '${base}' is not among the files (${list.map((x) => x.name).join(', ')})`);
    return f.arrayBuffer();
  });
}

/**
 * A load handler for loadModel(): `source` is ModelArtifacts, a TF.js IOHandler with load() (e.g.
 * tf.io.fromMemory), a model.json URL, a directory or model.json path (Node), or File objects.
 */
export function fromTfjs(source) {
  return {
    async load() {
      let artifacts;
      if (source && typeof source === 'object' && source.modelTopology) artifacts = source;
      else if (source && typeof source === 'object' && typeof source.load === 'function') artifacts = await source.load();
      else if (typeof source === 'string' || source instanceof URL) artifacts = await readTfjsModelJson(source);
      else if (source && typeof source === 'object' && typeof source[Symbol.iterator] === 'function') artifacts = await readTfjsFiles(source);
      else {
        throw new Error('tfjs import: expected ModelArtifacts, a TF.js IOHandler, a model.json URL or path, or files, ' +
          `got ${source === null ? 'null' : typeof source}`);
      }
      return fromTfjsArtifacts(artifacts);
    },
  };
}

/** What TF.js' save handlers resolve to, plus where the files went. */
function saveResult(artifacts, extra) {
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(), modelTopologyType: 'JSON',
      modelTopologyBytes: new TextEncoder().encode(JSON.stringify(artifacts.modelTopology)).length,
      weightSpecsBytes: new TextEncoder().encode(JSON.stringify(artifacts.weightSpecs)).length,
      weightDataBytes: artifacts.weightData.byteLength,
    },
    ...extra,
  };
}

function download(name, bytes, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function saveArtifacts(target, artifacts) {
  if (typeof target === 'function') return target(artifacts);
  if (target && typeof target === 'object' && typeof target.save === 'function') return target.save(artifacts);
  const m = /^downloads:\/\/(.*)$/.exec(String(target));
  if (m) {
    // The names tf.io.browserDownloads uses: name.json and name.weights.bin.
    if (typeof document === 'undefined') throw new Error('tfjs export: downloads:// only works in a page');
    const name = m[1] || 'model';
    download(`${name}.json`, JSON.stringify(tfjsModelJson(artifacts, `./${name}.weights.bin`)), 'application/json');
    download(`${name}.weights.bin`, artifacts.weightData, 'application/octet-stream');
    return saveResult(artifacts, { url: `downloads://${name}` });
  }
  const url = await toUrl(target);
  if (url.protocol !== 'file:') {
    throw new Error(`tfjs export: can't save to ${url}; pass 'downloads://name', a directory (Node), or a TF.js IOHandler such as tf.io.http(url)`);
  }
  const { fs, path, url: nodeUrl } = await nodeBuiltins('tfjs export: file:// paths');
  let dir = nodeUrl.fileURLToPath(url);
  let jsonName = 'model.json';
  if (dir.endsWith('.json')) {
    jsonName = path.basename(dir);
    dir = path.dirname(dir);
  }
  await fs.mkdir(dir, { recursive: true });
  const files = [path.join(dir, jsonName), path.join(dir, 'weights.bin')];
  await fs.writeFile(files[1], new Uint8Array(artifacts.weightData));
  await fs.writeFile(files[0], JSON.stringify(tfjsModelJson(artifacts, 'weights.bin')));
  return saveResult(artifacts, { files });
}

/**
 * A handler for model.save() that writes TF.js' format to `target`: a directory or model.json path
 * or file: URL (Node: model.json + weights.bin), 'downloads://name' (a page: name.json +
 * name.weights.bin), a TF.js IOHandler with save(), or a function given the artifacts. For a path
 * or URL it also loads: loadModel(cnn.io.tfjs(dir)).
 */
export function tfjsHandler(target) {
  if (target == null) throw new Error('io.tfjs: expected a directory, a file: URL, \'downloads://name\', a TF.js IOHandler or a function');
  const handler = { save: (bytes, model) => saveArtifacts(target, toTfjsArtifacts(model)) };
  if (typeof target === 'string' || target instanceof URL) handler.load = () => fromTfjs(target).load();
  return handler;
}

/** True for what loadModel should read as TF.js: ModelArtifacts, or a URL or path ending in .json. */
export function looksLikeTfjs(source) {
  if (source && typeof source === 'object' && !ArrayBuffer.isView(source) && source.modelTopology) return true;
  if (typeof source !== 'string' && !(source instanceof URL)) return false;
  const s = String(source);
  return !/^(indexeddb|downloads):\/\//.test(s) && /\.json$/i.test(s.split(/[?#]/)[0]);
}
