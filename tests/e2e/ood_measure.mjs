// Measures the demo's "not a digit" checks (web/demo/ood.js): how often real digits are flagged
// (held-out MNIST digits, samples 8,000-9,999, placed at random sizes and places on a 280 px pad) and
// how often generated scribbles and dots are caught. Prints feature quantiles and the rates.
// Usage: node tests/e2e/ood_measure.mjs   (needs the wasm build and models/digits.wcnn; ~1 min)
import * as cnn from '../../web/lib/index.js';
import fs from 'node:fs';
import { toMnist } from '../../web/lib/image.js';
import { notADigit } from '../../web/demo/ood.js';
import { rng, scribble, dots, rasterise } from './shapes.mjs';
import { repoRoot } from '../../scripts/lib/run.mjs';

const model = await cnn.loadModel(new Uint8Array(fs.readFileSync(`${repoRoot}/models/digits.wcnn`)));
const { images, labels } = await cnn.data.mnistSample();
const rand = rng(1);

/** Held-out digit i, enlarged to 30-85% of a 280 px pad at a random place (the pen scales with it). */
function placeMnist(i) {
  const side = 280;
  const s = Math.round(side * (0.3 + 0.55 * rand()));
  const img = new Float32Array(side * side);
  const src = images.data.subarray(i * 784, (i + 1) * 784);
  const small = cnn.image.resizeBilinear(src, [28, 28], 1, new Float32Array(s * s), [s, s]);
  const ox = Math.floor(rand() * (side - s));
  const oy = Math.floor(rand() * (side - s));
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) img[(oy + y) * side + ox + x] = small[y * s + x];
  return { data: img, width: side, height: side };
}

/** The features the checks look at, the model's answer, and whether the page would say "unsure". */
function feats(grey) {
  const r = toMnist(grey);
  const p = model.predict(cnn.tensor(r.data, [1, 28, 28, 1])).data;
  let max = 0;
  let arg = 0;
  let ent = 0;
  for (let d = 0; d < 10; d++) {
    if (p[d] > max) [max, arg] = [p[d], d];
    if (p[d] > 0) ent -= p[d] * Math.log(p[d]);
  }
  return { max, arg, ent, extent: r.extent, ink: r.inkShare, sw: r.strokeWidth, unsure: notADigit(r, p) !== null };
}

const rows = { digit: [], scribble: [], dots: [] };
for (let i = 8000; i < 10000; i++) rows.digit.push({ ...feats(placeMnist(i)), label: labels[i] });
for (let k = 0; k < 500; k++) rows.scribble.push(feats(rasterise(scribble(rand))));
for (let k = 0; k < 500; k++) rows.dots.push(feats(rasterise(dots(rand))));
/** Quantiles 1%, 5%, 50%, 95%, 99% of f over rows. */
function quantiles(rowsOf, f) {
  const v = rowsOf.map(f).sort((x, y) => x - y);
  return [0.01, 0.05, 0.5, 0.95, 0.99].map((p) => v[Math.floor(p * (v.length - 1))].toFixed(3)).join(' ');
}

console.log('feature quantiles (1% 5% 50% 95% 99%)');
for (const [kind, r] of Object.entries(rows)) {
  const acc = kind === 'digit' ? ` (read right: ${(100 * r.filter((x) => x.arg === x.label).length / r.length).toFixed(2)}%)` : '';
  console.log(`${kind}, ${r.length}${acc}`);
  for (const f of ['max', 'ent', 'extent', 'ink', 'sw']) console.log(`  ${f.padEnd(6)} ${quantiles(r, (x) => x[f])}`);
}
for (const [kind, r] of Object.entries(rows)) {
  console.log(`${kind}: ${(100 * r.filter((x) => x.unsure).length / r.length).toFixed(1)}% said "not a digit"`);
}
const sure = rows.digit.filter((x) => !x.unsure);
console.log(`digits not flagged: ${(100 * sure.filter((x) => x.arg === x.label).length / sure.length).toFixed(2)}% read right`);
