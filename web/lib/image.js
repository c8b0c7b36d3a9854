// Images in, tensors out: cnn.image.fromPixels for any picture the browser can draw, and
// cnn.image.digitFromCanvas, the MNIST preprocessing of the demo page, so an app's own drawing pad
// reads digits as well as the demo does.
//
// The pixel work is plain functions over typed arrays (grey images are { data: Float32Array,
// width, height }, row-major, one value per pixel); only readPixels touches the DOM, so the rest
// runs, and is tested, in Node.
import { Tensor } from './tensor.js';

export const MNIST_SIZE = 28;
export const MNIST_BOX = 20;
// Stroke width as a share of the digit's box. MNIST's strokes are about 2 px in its 20 px box; a
// drawing is re-stroked to this width whatever pen and size it was drawn with (see normalizeStroke).
export const STROKE_SHARE = 0.1;

const FITS = ['contain', 'cover', 'stretch'];

/**
 * Bilinear resampling of the source rectangle `from` ({ x, y, width, height } in source pixels)
 * of an interleaved image src [sh, sw, c] onto a whole dst [dh, dw, c]. Pixel centres sit at
 * i + 0.5 (TensorFlow's half-pixel convention); samples are clamped to the source's edge.
 */
export function resizeBilinear(src, [sh, sw], c, dst, [dh, dw], from = { x: 0, y: 0, width: sw, height: sh }) {
  const sy = from.height / dh;
  const sx = from.width / dw;
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(sh - 1, Math.max(0, from.y + (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(sw - 1, Math.max(0, from.x + (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const tx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = src[(y0 * sw + x0) * c + k] * (1 - tx) + src[(y0 * sw + x1) * c + k] * tx;
        const b = src[(y1 * sw + x0) * c + k] * (1 - tx) + src[(y1 * sw + x1) * c + k] * tx;
        dst[(y * dw + x) * c + k] = a * (1 - ty) + b * ty;
      }
    }
  }
  return dst;
}

const isImageDataLike = (s) => s && typeof s === 'object' && s.data && s.data.length !== undefined
  && Number.isInteger(s.width) && Number.isInteger(s.height) && !(typeof s.getContext === 'function');

function sourceSize(s) {
  if (typeof HTMLVideoElement !== 'undefined' && s instanceof HTMLVideoElement) return [s.videoWidth, s.videoHeight];
  if (typeof HTMLImageElement !== 'undefined' && s instanceof HTMLImageElement) return [s.naturalWidth, s.naturalHeight];
  return [s.width, s.height];
}

/** The RGBA bytes of an ImageData, a 2D canvas or OffscreenCanvas, an <img>, an ImageBitmap or a <video>. */
export function readPixels(source, what = 'image.fromPixels') {
  if (source == null) throw new Error(`${what}: expected a canvas, ImageData, <img>, ImageBitmap, <video> or OffscreenCanvas, got ${source}`);
  if (isImageDataLike(source)) {
    if (source.data.length !== source.width * source.height * 4) {
      throw new Error(`${what}: a ${source.width}x${source.height} ImageData needs ${source.width * source.height * 4} bytes, got ${source.data.length}`);
    }
    return { rgba: source.data, width: source.width, height: source.height };
  }
  const [width, height] = sourceSize(source);
  if (!(width > 0 && height > 0)) throw new Error(`${what}: the source is ${width}x${height}; an <img> or <video> must have loaded first`);
  let ctx = typeof source.getContext === 'function' ? source.getContext('2d', { willReadFrequently: true }) : null;
  if (!ctx) {
    // A WebGL canvas, an <img>, an ImageBitmap or a <video>: draw it onto a 2D canvas to read it.
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height)
      : typeof document !== 'undefined' ? Object.assign(document.createElement('canvas'), { width, height }) : null;
    if (!canvas) throw new Error(`${what}: reading a ${source.constructor?.name ?? typeof source} needs a canvas (a browser or worker); pass ImageData in Node`);
    ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, width, height);
  }
  return { rgba: ctx.getImageData(0, 0, width, height).data, width, height };
}

/**
 * A picture as a Tensor [1, h, w, channels] in [0, 1]: channels 1 (luminance), 3 (RGB) or 4 (RGBA).
 * fit: 'stretch' (the default) resizes to [h, w]; 'contain' keeps the aspect ratio and pads with 0;
 * 'cover' keeps the aspect ratio and crops the middle.
 */
export function fromPixels(source, { size, channels = 3, fit = 'stretch' } = {}) {
  const { rgba, width, height } = readPixels(source);
  if (![1, 3, 4].includes(channels)) throw new Error(`image.fromPixels: channels must be 1, 3 or 4, got ${JSON.stringify(channels)}`);
  if (!FITS.includes(fit)) throw new Error(`image.fromPixels: fit must be one of ${FITS.join(', ')}, got ${JSON.stringify(fit)}`);
  const [h, w] = size ?? [height, width];
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) {
    throw new Error(`image.fromPixels: size must be [height, width] in whole pixels, got ${JSON.stringify(size)}`);
  }
  const src = new Float32Array(width * height * channels);
  for (let i = 0, n = width * height; i < n; i++) {
    const [r, g, b, a] = [rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2], rgba[i * 4 + 3]];
    if (channels === 1) src[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    else {
      src[i * channels] = r / 255;
      src[i * channels + 1] = g / 255;
      src[i * channels + 2] = b / 255;
      if (channels === 4) src[i * channels + 3] = a / 255;
    }
  }
  const out = new Float32Array(h * w * channels);
  if (fit === 'stretch') {
    resizeBilinear(src, [height, width], channels, out, [h, w]);
  } else if (fit === 'cover') {
    const scale = Math.max(h / height, w / width);
    const from = { width: w / scale, height: h / scale };
    resizeBilinear(src, [height, width], channels, out, [h, w], { ...from, x: (width - from.width) / 2, y: (height - from.height) / 2 });
  } else {
    const scale = Math.min(h / height, w / width);
    const rh = Math.max(1, Math.min(h, Math.round(height * scale)));
    const rw = Math.max(1, Math.min(w, Math.round(width * scale)));
    const inner = resizeBilinear(src, [height, width], channels, new Float32Array(rh * rw * channels), [rh, rw]);
    const oy = Math.floor((h - rh) / 2);
    const ox = Math.floor((w - rw) / 2);
    for (let y = 0; y < rh; y++) out.set(inner.subarray(y * rw * channels, (y + 1) * rw * channels), ((oy + y) * w + ox) * channels);
  }
  return new Tensor(out, [1, h, w, channels]);
}

// --- grey images and the MNIST recipe ---

/** The ink of an RGBA image (e.g. ImageData drawn white on a transparent canvas): alpha / 255. */
export function inkFromRGBA(rgba, width, height, ink = 'alpha') {
  if (rgba.length !== width * height * 4) {
    throw new Error(`inkFromRGBA: ${width}x${height} RGBA needs ${width * height * 4} bytes, got ${rgba.length}`);
  }
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const lum = (0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]) / 255;
    data[i] = ink === 'alpha' ? rgba[i * 4 + 3] / 255 : ink === 'light' ? lum : 1 - lum;
  }
  return { data, width, height };
}

/** The smallest box holding every pixel above `threshold`: { x, y, width, height }, or null for a blank image. */
export function boundingBox({ data, width, height }, threshold = 0) {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** The pixels inside `box` (which may reach past the image: outside is 0), as a new image. */
export function crop(img, box) {
  const data = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const sy = box.y + y;
    if (sy < 0 || sy >= img.height) continue;
    for (let x = 0; x < box.width; x++) {
      const sx = box.x + x;
      if (sx >= 0 && sx < img.width) data[y * box.width + x] = img.data[sy * img.width + sx];
    }
  }
  return { data, width: box.width, height: box.height };
}

// For one axis: each destination cell [d*s, (d+1)*s) in source units (s = src/dst) as a list of
// [source index, overlap] pairs. The overlaps of a cell sum to s.
function areaWeights(src, dst) {
  const s = src / dst;
  const cells = [];
  for (let d = 0; d < dst; d++) {
    const lo = d * s;
    const hi = lo + s;
    const w = [];
    for (let i = Math.floor(lo); i < Math.min(src, Math.ceil(hi)); i++) {
      const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
      if (overlap > 1e-9) w.push([i, overlap]);
    }
    cells.push(w);
  }
  return { cells, s };
}

/**
 * Resamples by area averaging: each output pixel is the mean of the source area it covers, with
 * partial pixels weighted by their overlap (what MNIST's anti-aliased downscale approximates).
 * Separable: an exact box filter is the product of its two axes' overlaps.
 */
export function resizeArea({ data, width, height }, outWidth, outHeight) {
  if (!(outWidth >= 1 && outHeight >= 1)) throw new Error(`resizeArea: output size must be at least 1x1, got ${outWidth}x${outHeight}`);
  const xs = areaWeights(width, outWidth);
  const ys = areaWeights(height, outHeight);
  const tmp = new Float32Array(outWidth * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (const [i, w] of xs.cells[x]) sum += data[y * width + i] * w;
      tmp[y * outWidth + x] = sum / xs.s;
    }
  }
  const out = new Float32Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      for (const [i, w] of ys.cells[y]) sum += tmp[i * outWidth + x] * w;
      out[y * outWidth + x] = sum / ys.s;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/** The centre of mass in pixel coordinates (pixel i covers [i, i+1), so its centre is i + 0.5), or null when all zero. */
export function centerOfMass({ data, width, height }) {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      sum += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  return sum > 0 ? { x: sx / sum, y: sy / sum } : null;
}

// Exact Euclidean distance transform, squared (Felzenszwalb and Huttenlocher 2012): f holds 0 at
// the seeds and Infinity elsewhere; on return, each cell's squared distance to the nearest seed.
function edt1(f, n, d, v, z) {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    if (f[q] === Infinity) continue;
    if (f[v[k]] === Infinity) {
      v[k] = q;
      continue;
    }
    let s;
    for (;;) {
      s = ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      if (s > z[k] || k === 0) break;
      k--;
    }
    if (s <= z[k] && k === 0) {
      v[0] = q;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const dq = q - v[k];
    d[q] = f[v[k]] === Infinity ? Infinity : dq * dq + f[v[k]];
  }
}

export function distanceTransform(seeds, width, height) {
  const g = Float64Array.from(seeds, (s) => (s ? 0 : Infinity));
  const n = Math.max(width, height);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = g[y * width + x];
    edt1(f, height, d, v, z);
    for (let y = 0; y < height; y++) g[y * width + x] = d[y];
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) f[x] = g[y * width + x];
    edt1(f, width, d, v, z);
    for (let x = 0; x < width; x++) g[y * width + x] = Math.sqrt(d[x]);
  }
  return g;
}

/**
 * Re-strokes a drawing with a pen STROKE_SHARE as wide as its box, the way MNIST's writers' pens
 * were the same relative width whatever the digit's size: a digit drawn small with a thick pen no
 * longer turns into a blob (a small 3 read as an 8). The pen width is estimated from the ink
 * itself (across a stroke of width w, distances to the edge run evenly from 1 to w/2, so the
 * median is about (1 + w/2) / 2); the ink is then eroded or dilated to the new width.
 * Returns { image, strokeWidth, extent }: extent is the box's longer side minus the stroke, over
 * the stroke width (a dot is about 0, a digit several).
 */
export function normalizeStroke(img, { share = STROKE_SHARE, threshold = 0.5 } = {}) {
  const box = boundingBox(img, threshold);
  if (!box) return { image: img, strokeWidth: 0, extent: 0 };
  const pad = Math.ceil(Math.max(box.width, box.height) * share) + 2;
  const work = crop(img, { x: box.x - pad, y: box.y - pad, width: box.width + 2 * pad, height: box.height + 2 * pad });
  const { width, height } = work;
  const ink = work.data.map((v) => (v > threshold ? 1 : 0));
  const inside = distanceTransform(ink.map((v) => 1 - v), width, height); // ink pixels: distance to the background
  const depths = [];
  for (let i = 0; i < ink.length; i++) if (ink[i]) depths.push(inside[i]);
  depths.sort((a, b) => a - b);
  const strokeWidth = Math.max(1, 4 * depths[depths.length >> 1] - 2);
  const skeleton = Math.max(0, Math.max(box.width, box.height) - strokeWidth);
  const side = skeleton / (1 - share); // the box side once re-stroked: skeleton + share * side
  const delta = (share * side - strokeWidth) / 2; // how far each edge moves: < 0 erodes, > 0 dilates
  const out = new Float32Array(ink.length);
  // Edges move by fractions of a pixel too: a pixel's value is how much of it the new stroke covers.
  const cover = (v) => Math.min(1, Math.max(0, v));
  if (delta < 0) {
    for (let i = 0; i < ink.length; i++) out[i] = ink[i] ? cover(inside[i] + delta) : 0;
  } else {
    const outside = distanceTransform(ink, width, height);
    for (let i = 0; i < ink.length; i++) out[i] = ink[i] ? 1 : cover(delta + 1 - outside[i]);
  }
  const empty = !out.some((v) => v > 0);
  return { image: empty ? { data: Float32Array.from(ink), width, height } : { data: out, width, height }, strokeWidth, extent: skeleton / strokeWidth };
}

/**
 * The 28x28 MNIST-style input for a grey drawing (ink > 0 on 0), as MNIST was made (LeCun et al.):
 * crop to the ink, scale the longer side to 20 px with area averaging, paste into 28x28 so the
 * centre of mass sits at the centre. With `normalize` (the default) the strokes are first redrawn
 * at MNIST's relative width (normalizeStroke). Returns { data: Float32Array(784) in [0, 1], width,
 * height, empty, box, offset, strokeWidth, extent, inkShare }: inkShare is the mean of the 20 px
 * box's pixels (scribbles fill it, digits don't).
 */
export function toMnist(img, { threshold = 0.02, size = MNIST_SIZE, box: boxSide = MNIST_BOX, normalize = true } = {}) {
  const out = new Float32Array(size * size);
  const blank = { data: out, width: size, height: size, empty: true, box: null, offset: null, strokeWidth: 0, extent: 0, inkShare: 0 };
  if (!boundingBox(img, threshold)) return blank;
  let strokeWidth = 0;
  let extent = 0;
  if (normalize && boundingBox(img, 0.5)) ({ image: img, strokeWidth, extent } = normalizeStroke(img));
  const box = boundingBox(img, threshold);

  // Longer side to boxSide px, aspect ratio kept (a "1" stays thin).
  const scale = boxSide / Math.max(box.width, box.height);
  const w = Math.max(1, Math.min(boxSide, Math.round(box.width * scale)));
  const h = Math.max(1, Math.min(boxSide, Math.round(box.height * scale)));
  const small = resizeArea(crop(img, box), w, h);

  // MNIST digits are saturated: stretch so the strongest pixel is 1.
  let max = 0;
  for (const v of small.data) if (v > max) max = v;
  if (max > 0) for (let i = 0; i < small.data.length; i++) small.data[i] = Math.min(1, small.data[i] / max);
  let inkSum = 0;
  for (const v of small.data) inkSum += v;

  // Whole-pixel shift that brings the centre of mass nearest the field's centre, kept inside the field.
  const com = centerOfMass(small);
  const ox = Math.max(0, Math.min(size - w, Math.round(size / 2 - com.x)));
  const oy = Math.max(0, Math.min(size - h, Math.round(size / 2 - com.y)));
  for (let y = 0; y < h; y++) out.set(small.data.subarray(y * w, (y + 1) * w), (oy + y) * size + ox);
  return { data: out, width: size, height: size, empty: false, box, offset: { x: ox, y: oy }, strokeWidth, extent, inkShare: inkSum / (boxSide * boxSide) };
}

/**
 * A drawn digit as the 28x28 input of an MNIST model: the demo page's preprocessing.
 * source: anything fromPixels reads, or a grey image { data: Float32Array, width, height }.
 * ink: 'alpha' (any colour on a transparent canvas), 'light' (light on dark), 'dark' (dark on light)
 * or 'auto' (alpha if the canvas has transparency, else whichever is rarer).
 * Returns { tensor: Tensor [1,28,28,1], empty, ...toMnist's fields }; an empty drawing gives zeros.
 */
export function digitFromCanvas(source, { ink = 'auto', normalizeStroke: normalize = true } = {}) {
  let grey;
  if (source && source.data instanceof Float32Array && source.data.length === source.width * source.height) {
    grey = source;
  } else {
    const { rgba, width, height } = readPixels(source, 'image.digitFromCanvas');
    let mode = ink;
    if (mode === 'auto') {
      let transparent = false;
      let light = 0;
      for (let i = 0; i < width * height; i++) {
        if (rgba[i * 4 + 3] < 255) transparent = true;
        if (rgba[i * 4] + rgba[i * 4 + 1] + rgba[i * 4 + 2] > 382) light++;
      }
      mode = transparent ? 'alpha' : light > (width * height) / 2 ? 'dark' : 'light';
    }
    if (!['alpha', 'light', 'dark'].includes(mode)) throw new Error(`image.digitFromCanvas: ink must be 'auto', 'alpha', 'light' or 'dark', got ${JSON.stringify(ink)}`);
    grey = inkFromRGBA(rgba, width, height, mode);
  }
  const r = toMnist(grey, { normalize });
  return { ...r, tensor: new Tensor(r.data, [1, MNIST_SIZE, MNIST_SIZE, 1]) };
}

export const image = { fromPixels, digitFromCanvas, resizeBilinear };
