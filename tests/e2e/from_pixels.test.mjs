// cnn.image.fromPixels on every kind of picture a page has: a 2D canvas, ImageData, an <img>, an
// ImageBitmap, an OffscreenCanvas and a playing <video>. The Node tests (tests/js/image.test.mjs)
// cover the pixel arithmetic with ImageData; these cover reading each source in a real browser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './browser.mjs';

let env;
test.before(async () => { env = await launch(); });
test.after(async () => { await env?.close(); });

async function openLib() {
  const page = await env.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.server.url}/lib/index.d.ts`); // any same-origin page: the demo's own scripts are not needed
  await page.evaluate(async () => { window.cnn = await import('/lib/index.js'); });
  return { page, errors };
}

// The picture every source shows: 8x4, left half red, right half blue, bottom row white.
const PAINT = `(ctx) => {
  ctx.fillStyle = '#ff0000'; ctx.fillRect(0, 0, 4, 3);
  ctx.fillStyle = '#0000ff'; ctx.fillRect(4, 0, 4, 3);
  ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 3, 8, 1);
}`;

test('fromPixels reads a canvas, ImageData, <img>, ImageBitmap and OffscreenCanvas alike', async () => {
  const { page, errors } = await openLib();
  const result = await page.evaluate(async (paintSrc) => {
    const paint = eval(paintSrc); // eslint-disable-line no-eval
    const canvas = Object.assign(document.createElement('canvas'), { width: 8, height: 4 });
    paint(canvas.getContext('2d'));
    const img = new Image();
    img.src = canvas.toDataURL('image/png');
    await img.decode();
    const offscreen = new OffscreenCanvas(8, 4);
    paint(offscreen.getContext('2d'));
    const sources = {
      canvas,
      imageData: canvas.getContext('2d').getImageData(0, 0, 8, 4),
      img,
      imageBitmap: await createImageBitmap(canvas),
      offscreenCanvas: offscreen,
    };
    const out = {};
    for (const [name, source] of Object.entries(sources)) {
      const t = window.cnn.image.fromPixels(source, { channels: 3 });
      out[name] = { shape: t.shape, data: Array.from(t.data) };
    }
    return out;
  }, PAINT);
  const expected = [];
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 8; x++) expected.push(...(y === 3 ? [1, 1, 1] : x < 4 ? [1, 0, 0] : [0, 0, 1]));
  }
  for (const [name, { shape, data }] of Object.entries(result)) {
    assert.deepEqual(shape, [1, 4, 8, 3], name);
    assert.deepEqual(data.map((v) => Math.round(v * 1000) / 1000), expected, name);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('fromPixels reads the current frame of a playing <video>, resized and as grey', async () => {
  const { page, errors } = await openLib();
  const grey = await page.evaluate(async (paintSrc) => {
    const paint = eval(paintSrc); // eslint-disable-line no-eval
    const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 32 });
    const ctx = canvas.getContext('2d');
    ctx.scale(8, 8);
    paint(ctx);
    const video = Object.assign(document.createElement('video'), { muted: true, srcObject: canvas.captureStream(30) });
    document.body.append(video);
    await video.play();
    // A captured stream only produces frames when the canvas changes: touch it until one arrives.
    for (let i = 0; i < 100 && video.videoWidth === 0; i++) {
      ctx.fillRect(0, 3, 8, 1);
      await new Promise((r) => setTimeout(r, 20));
    }
    const t = window.cnn.image.fromPixels(video, { size: [4, 8], channels: 1 });
    return { shape: t.shape, data: Array.from(t.data), size: [video.videoWidth, video.videoHeight] };
  }, PAINT);
  assert.deepEqual(grey.size, [64, 32]);
  assert.deepEqual(grey.shape, [1, 4, 8, 1]);
  // Luminance: red 0.299, blue 0.114, white 1 (video encoding may shift a colour by a few levels).
  for (let x = 0; x < 8; x++) {
    assert.ok(Math.abs(grey.data[x] - (x < 4 ? 0.299 : 0.114)) < 0.06, `top row, x=${x}: ${grey.data[x]}`);
    assert.ok(grey.data[3 * 8 + x] > 0.9, `bottom row, x=${x}: ${grey.data[3 * 8 + x]}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('fromPixels refuses an <img> that has not loaded, naming the problem', async () => {
  const { page } = await openLib();
  const message = await page.evaluate(() => {
    try {
      window.cnn.image.fromPixels(new Image());
      return 'no error';
    } catch (e) {
      return e.message;
    }
  });
  assert.match(message, /image\.fromPixels: the source is 0x0; an <img> or <video> must have loaded first/);
  await page.close();
});
