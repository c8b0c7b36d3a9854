// cnn.image: fromPixels (ImageData-like sources in Node; canvases, <img>, ImageBitmap, <video> and
// OffscreenCanvas go through the same path after a 2D canvas reads them) and digitFromCanvas.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.js';

/** An RGBA image { data, width, height } from fill(x, y) -> [r, g, b, a]. */
function rgbaImage(width, height, fill) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(fill(x, y), (y * width + x) * 4);
  return { data, width, height };
}

const close = (a, b, tol = 1e-5) => Math.abs(a - b) <= tol;

test('fromPixels: shape [1, h, w, c], values in [0, 1], channels 1 (luminance), 3 and 4', () => {
  const img = rgbaImage(3, 2, (x, y) => [x * 100, y * 200, 50, 255]);
  const rgb = cnn.image.fromPixels(img);
  assert.deepEqual(rgb.shape, [1, 2, 3, 3]);
  assert.ok(close(rgb.data[0], 0) && close(rgb.data[1], 0) && close(rgb.data[2], 50 / 255));
  const last = rgb.data.length - 3;
  assert.ok(close(rgb.data[last], 200 / 255) && close(rgb.data[last + 1], 200 / 255));
  const grey = cnn.image.fromPixels(img, { channels: 1 });
  assert.deepEqual(grey.shape, [1, 2, 3, 1]);
  assert.ok(close(grey.data[1], (0.299 * 100 + 0.114 * 50) / 255));
  const rgba = cnn.image.fromPixels(img, { channels: 4, size: [2, 3] });
  assert.equal(rgba.data[3], 1);
});

test('fromPixels stretch: bilinear with half-pixel centres; a uniform image stays uniform; 2x up is exact', () => {
  const flat = cnn.image.fromPixels(rgbaImage(7, 5, () => [80, 80, 80, 255]), { size: [13, 3], channels: 1 });
  for (const v of flat.data) assert.ok(close(v, 80 / 255));
  // [0, 255] in one row, doubled: the sample points fall at 0.25 and 0.75 of the way between the pixels.
  const up = cnn.image.fromPixels(rgbaImage(2, 1, (x) => [x * 255, x * 255, x * 255, 255]), { size: [1, 4], channels: 1 });
  assert.deepEqual(Array.from(up.data, (v) => Math.round(v * 1000) / 1000), [0, 0.25, 0.75, 1]);
  // Downscaling 4 -> 2 samples between pixel pairs: their mean.
  const down = cnn.image.fromPixels(rgbaImage(4, 1, (x) => [[0, 100, 200, 250][x], 0, 0, 255]), { size: [1, 2], channels: 3 });
  assert.ok(close(down.data[0], 50 / 255) && close(down.data[3], 225 / 255));
});

test('fromPixels contain pads with zeros and keeps the aspect ratio; cover crops the middle', () => {
  const wide = rgbaImage(4, 2, (x) => (x < 2 ? [255, 255, 255, 255] : [0, 0, 0, 255])); // left half white
  const contain = cnn.image.fromPixels(wide, { size: [4, 4], channels: 1, fit: 'contain' });
  const row = (t, y) => Array.from(t.data.subarray(y * 4, y * 4 + 4), (v) => Math.round(v * 100) / 100);
  assert.deepEqual(row(contain, 0), [0, 0, 0, 0], 'padding above');
  assert.deepEqual(row(contain, 1), [1, 1, 0, 0]);
  assert.deepEqual(row(contain, 2), [1, 1, 0, 0]);
  assert.deepEqual(row(contain, 3), [0, 0, 0, 0], 'padding below');
  const cover = cnn.image.fromPixels(wide, { size: [2, 2], channels: 1, fit: 'cover' });
  assert.deepEqual(Array.from(cover.data, (v) => Math.round(v * 100) / 100), [1, 0, 1, 0], 'the middle two columns');
});

test('fromPixels: clear errors for bad sources and options', () => {
  assert.throws(() => cnn.image.fromPixels(null), /image\.fromPixels: expected a canvas, ImageData, <img>, ImageBitmap, <video> or OffscreenCanvas, got null/);
  assert.throws(() => cnn.image.fromPixels({ data: new Uint8Array(5), width: 2, height: 2 }), /a 2x2 ImageData needs 16 bytes, got 5/);
  const img = rgbaImage(2, 2, () => [0, 0, 0, 255]);
  assert.throws(() => cnn.image.fromPixels(img, { channels: 2 }), /channels must be 1, 3 or 4, got 2/);
  assert.throws(() => cnn.image.fromPixels(img, { fit: 'fill' }), /fit must be one of contain, cover, stretch, got "fill"/);
  assert.throws(() => cnn.image.fromPixels(img, { size: [2.5, 3] }), /size must be \[height, width\] in whole pixels, got \[2\.5,3\]/);
  assert.throws(() => cnn.image.fromPixels({ width: 0, height: 0, getContext: () => null }), /the source is 0x0/);
});

test('digitFromCanvas: ink on transparent, light on dark and dark on light give the same 28x28 digit', () => {
  const bar = (x, y) => x >= 120 && x < 150 && y >= 40 && y < 240; // a "1", 30 px wide
  const alpha = cnn.image.digitFromCanvas(rgbaImage(280, 280, (x, y) => (bar(x, y) ? [255, 0, 0, 255] : [0, 0, 0, 0])));
  const light = cnn.image.digitFromCanvas(rgbaImage(280, 280, (x, y) => (bar(x, y) ? [255, 255, 255, 255] : [0, 0, 0, 255])));
  const dark = cnn.image.digitFromCanvas(rgbaImage(280, 280, (x, y) => (bar(x, y) ? [0, 0, 0, 255] : [255, 255, 255, 255])));
  assert.deepEqual(alpha.tensor.shape, [1, 28, 28, 1]);
  assert.equal(alpha.empty, false);
  for (const r of [light, dark]) r.data.forEach((v, i) => assert.ok(close(v, alpha.data[i], 1e-6)));
  assert.ok(Math.max(...alpha.data) === 1 && Math.min(...alpha.data) === 0);
  const blank = cnn.image.digitFromCanvas(rgbaImage(50, 50, () => [0, 0, 0, 0]));
  assert.equal(blank.empty, true);
  assert.ok(blank.data.every((v) => v === 0));
  assert.throws(() => cnn.image.digitFromCanvas(rgbaImage(5, 5, () => [0, 0, 0, 0]), { ink: 'blue' }), /ink must be 'auto', 'alpha', 'light' or 'dark', got "blue"/);
});

test('digitFromCanvas re-strokes at MNIST\'s relative width: a small thick digit matches a big thin one', () => {
  const ring = (cx, cy, r, t) => (x, y) => (Math.abs(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r) < t / 2 ? [255, 255, 255, 255] : [0, 0, 0, 0]);
  const big = cnn.image.digitFromCanvas(rgbaImage(280, 280, ring(140, 140, 100, 20)));
  const small = cnn.image.digitFromCanvas(rgbaImage(280, 280, ring(60, 200, 40, 20))); // same pen, a third of the size
  const raw = cnn.image.digitFromCanvas(rgbaImage(280, 280, ring(60, 200, 40, 20)), { normalizeStroke: false });
  const bigRaw = cnn.image.digitFromCanvas(rgbaImage(280, 280, ring(140, 140, 100, 20)), { normalizeStroke: false });
  // Relative L1 distance, at the best whole-pixel shift (centring rounds to whole pixels).
  const l1 = (a, b) => {
    let best = Infinity;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        let d = 0;
        for (let y = 1; y < 27; y++) for (let x = 1; x < 27; x++) d += Math.abs(a.data[y * 28 + x] - b.data[(y + dy) * 28 + x + dx]);
        best = Math.min(best, d);
      }
    }
    return best / a.data.reduce((t, v) => t + v, 0);
  };
  // Edges differ by anti-aliasing (0.21 here); without re-stroking the two differ by 0.94.
  assert.ok(l1(big, small) < 0.25, `normalised: relative L1 ${l1(big, small)}`);
  assert.ok(Math.abs(big.inkShare - small.inkShare) < 0.02, `ink ${big.inkShare} vs ${small.inkShare}`);
  assert.ok(l1(bigRaw, raw) > 3 * l1(big, small) && raw.inkShare > 1.5 * bigRaw.inkShare,
    `without re-stroking the small ring is a thick blob (L1 ${l1(bigRaw, raw)}, ink ${raw.inkShare} vs ${bigRaw.inkShare})`);
  assert.ok(close(small.strokeWidth, 20, 2.5), `pen width found ${small.strokeWidth}`);
  assert.ok(big.extent > 5 && small.extent > 2, `extent ${big.extent}, ${small.extent}`);
  const dot = cnn.image.digitFromCanvas(rgbaImage(280, 280, ring(100, 100, 5, 20)));
  assert.ok(dot.extent < 1, `a dot's extent ${dot.extent}`);
});

test('image.resizeBilinear maps a source rectangle onto the whole output', () => {
  const src = Float32Array.from({ length: 16 }, (_, i) => i); // 4x4, one channel
  const out = cnn.image.resizeBilinear(src, [4, 4], 1, new Float32Array(4), [2, 2], { x: 1, y: 1, width: 2, height: 2 });
  assert.deepEqual(Array.from(out), [5, 6, 9, 10]);
});
