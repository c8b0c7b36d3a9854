// Makes web/demo/fashion-samples.wcds: the Fashion-MNIST pictures the demo page offers in place of
// the drawing pad when the Fashion-MNIST model is active (3 of each class, the first in the 10,000
// test images, which the model never trained on). 23 KB; committed, so the page needs no data step.
// Reads Debian's dataset-fashion-mnist. Usage: node scripts/make_fashion_samples.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { encodeWcds } from '../web/lib/dataset.js';
import { repoRoot } from './lib/run.mjs';

const DIR = '/usr/share/datasets/fashion-mnist';
const PER_CLASS = 3;

const idx = (file) => zlib.gunzipSync(fs.readFileSync(path.join(DIR, file)));
const images = idx('t10k-images-idx3-ubyte.gz').subarray(16);
const labels = idx('t10k-labels-idx1-ubyte.gz').subarray(8);
const picks = [];
for (let c = 0; c < 10; c++) {
  for (let i = 0, n = 0; i < labels.length && n < PER_CLASS; i++) if (labels[i] === c) { picks.push(i); n++; }
}
const pixels = new Uint8Array(picks.length * 784);
picks.forEach((i, k) => pixels.set(images.subarray(i * 784, (i + 1) * 784), k * 784));
const bytes = encodeWcds({ count: picks.length, height: 28, width: 28, channels: 1, pixels, labels: Uint8Array.from(picks, (i) => labels[i]) });
const out = path.join(repoRoot, 'web/demo/fashion-samples.wcds');
fs.writeFileSync(out, bytes);
console.log(`wrote ${path.relative(repoRoot, out)}: ${picks.length} images, ${bytes.length} bytes`);
