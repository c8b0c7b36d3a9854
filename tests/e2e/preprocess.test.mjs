// The demo's MNIST preprocessing (web/demo/preprocess.js): pure functions, checked in Node.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  inkFromRGBA, boundingBox, crop, resizeArea, centerOfMass, toMnist, MNIST_SIZE, MNIST_BOX,
} from '../../web/demo/preprocess.js';

function image(width, height, fill = () => 0) {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = fill(x, y);
  return { data, width, height };
}

const rect = (x0, y0, x1, y1, v = 1) => (x, y) => (x >= x0 && x < x1 && y >= y0 && y < y1 ? v : 0);
const sum = (a) => a.reduce((s, v) => s + v, 0);

test('inkFromRGBA takes alpha as ink', () => {
  const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 51]);
  const ink = inkFromRGBA(rgba, 3, 1);
  assert.deepEqual(Array.from(ink.data, (v) => Math.round(v * 100) / 100), [1, 0, 0.2]);
  assert.throws(() => inkFromRGBA(rgba, 2, 2), /needs 16 bytes, got 12/);
});

test('boundingBox: exact box of the ink; null when blank or below the threshold', () => {
  assert.equal(boundingBox(image(10, 10)), null);
  assert.deepEqual(boundingBox(image(10, 8, rect(2, 3, 7, 5))), { x: 2, y: 3, width: 5, height: 2 });
  assert.equal(boundingBox(image(4, 4, () => 0.01), 0.02), null);
  assert.deepEqual(boundingBox(image(5, 5, (x, y) => (x === 4 && y === 0 ? 1 : 0))), { x: 4, y: 0, width: 1, height: 1 });
});

test('crop copies the box', () => {
  const img = image(4, 3, (x, y) => y * 4 + x);
  assert.deepEqual(Array.from(crop(img, { x: 1, y: 1, width: 2, height: 2 }).data), [5, 6, 9, 10]);
});

test('resizeArea averages whole blocks exactly on integer ratios', () => {
  const img = image(4, 4, (x, y) => y * 4 + x);
  const out = resizeArea(img, 2, 2);
  assert.deepEqual(Array.from(out.data), [2.5, 4.5, 10.5, 12.5]);
});

test('resizeArea weights partial pixels by overlap (3 -> 2)', () => {
  const out = resizeArea(image(3, 1, (x) => [0, 3, 6][x]), 2, 1);
  // cell 0 covers [0, 1.5): 0*1 + 3*0.5 over 1.5; cell 1 covers [1.5, 3): 3*0.5 + 6*1 over 1.5
  assert.deepEqual(Array.from(out.data), [1, 5]);
});

test('resizeArea keeps the mean and keeps a uniform image uniform, for odd sizes both ways', () => {
  for (const [w, h, ow, oh] of [[280, 280, 20, 20], [13, 7, 5, 3], [3, 5, 7, 9], [200, 37, 20, 4], [1, 1, 3, 2]]) {
    const flat = resizeArea(image(w, h, () => 0.7), ow, oh);
    for (const v of flat.data) assert.ok(Math.abs(v - 0.7) < 1e-5, `${w}x${h}->${ow}x${oh}: ${v}`);
    const img = image(w, h, (x, y) => ((x * 7 + y * 13) % 11) / 10);
    const out = resizeArea(img, ow, oh);
    const meanIn = sum(img.data) / img.data.length;
    const meanOut = sum(out.data) / out.data.length;
    assert.ok(Math.abs(meanIn - meanOut) < 1e-4, `${w}x${h}->${ow}x${oh}: mean ${meanIn} vs ${meanOut}`);
  }
});

test('centerOfMass uses pixel centres', () => {
  assert.equal(centerOfMass(image(3, 3)), null);
  assert.deepEqual(centerOfMass(image(4, 4, rect(0, 0, 1, 1))), { x: 0.5, y: 0.5 });
  assert.deepEqual(centerOfMass(image(4, 2, rect(0, 0, 4, 2))), { x: 2, y: 1 });
});

test('toMnist: a blank drawing is empty and all zeros', () => {
  const r = toMnist(image(280, 280));
  assert.equal(r.empty, true);
  assert.equal(r.data.length, MNIST_SIZE * MNIST_SIZE);
  assert.equal(sum(r.data), 0);
});

test('toMnist: longer side becomes 20 px, values in [0, 1] with a saturated maximum, mass at the centre', () => {
  // A tall bar in the top-left corner of a 280x280 drawing, like a "1" drawn off-centre.
  const r = toMnist(image(280, 280, rect(10, 5, 30, 205)));
  assert.equal(r.empty, false);
  const out = { data: r.data, width: 28, height: 28 };
  const box = boundingBox(out);
  assert.equal(box.height, MNIST_BOX);
  assert.equal(box.width, 2); // 20 x 200 scaled by 0.1
  assert.ok(r.data.every((v) => v >= 0 && v <= 1));
  assert.equal(Math.max(...r.data), 1);
  const com = centerOfMass(out);
  assert.ok(Math.abs(com.x - 14) <= 0.5 && Math.abs(com.y - 14) <= 0.5, `centre of mass ${com.x}, ${com.y}`);
});

test('toMnist: a lopsided shape is placed by its centre of mass, not its box', () => {
  // An "L": a heavy bottom bar pulls the mass down, so the box sits higher than centred.
  const L = (x, y) => (rect(0, 0, 40, 200)(x, y) || rect(0, 160, 200, 200)(x, y) ? 1 : 0);
  const r = toMnist(image(240, 240, (x, y) => L(x - 20, y - 20)));
  const out = { data: r.data, width: 28, height: 28 };
  const com = centerOfMass(out);
  assert.ok(Math.abs(com.x - 14) <= 0.5 && Math.abs(com.y - 14) <= 0.5, `centre of mass ${com.x}, ${com.y}`);
  const box = boundingBox(out);
  assert.equal(box.width, 20);
  assert.equal(box.height, 20);
  assert.ok(box.x + box.width / 2 > 14, 'the box is pushed right of centre (mass is at the left)');
  assert.ok(box.y + box.height / 2 < 14, 'and up (mass is at the bottom)');
});

test('toMnist: the same shape drawn at two sizes gives nearly the same input', () => {
  const ring = (cx, cy, r, t) => (x, y) => {
    const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
    return d > r - t && d < r + t ? 1 : 0;
  };
  const big = toMnist(image(280, 280, ring(140, 140, 100, 10)));
  const small = toMnist(image(280, 280, ring(60, 200, 50, 5)));
  let diff = 0;
  for (let i = 0; i < big.data.length; i++) diff += Math.abs(big.data[i] - small.data[i]);
  assert.ok(diff / sum(big.data) < 0.1, `relative L1 difference ${diff / sum(big.data)}`);
});
