// Turns a drawing into the 28x28 image an MNIST network expects, the way MNIST itself was made
// (LeCun et al.): crop to the ink, scale the longer side to 20 px with area averaging, then paste
// into a 28x28 field so that the centre of mass sits at the centre. White ink on black, values in [0, 1].
//
// Pure functions over grey images: { data: Float32Array (row-major, one value per pixel, >= 0),
// width, height }. No DOM, so they run (and are tested) in Node.

export const MNIST_SIZE = 28;
export const MNIST_BOX = 20;

/** The ink of an RGBA image (e.g. ImageData drawn white on a transparent canvas): alpha / 255. */
export function inkFromRGBA(rgba, width, height) {
  if (rgba.length !== width * height * 4) {
    throw new Error(`inkFromRGBA: ${width}x${height} RGBA needs ${width * height * 4} bytes, got ${rgba.length}`);
  }
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4 + 3] / 255;
  return { data, width, height };
}

/** The smallest box holding every pixel above `threshold`: { x, y, width, height }, or null for a blank image. */
export function boundingBox({ data, width, height }, threshold = 0) {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (data[row + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** The pixels inside `box`, as a new image. */
export function crop(img, box) {
  const data = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (box.y + y) * img.width + box.x;
    data.set(img.data.subarray(from, from + box.width), y * box.width);
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
  const tmp = new Float32Array(outWidth * height); // rows resampled, columns not yet
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

/**
 * The 28x28 MNIST-style input for a grey drawing (ink > 0 on 0).
 * Returns { data: Float32Array(784) in [0, 1], width: 28, height: 28, empty, box, offset }:
 * `empty` is true (and data all zeros) when there is no ink above `threshold`.
 */
export function toMnist(img, { threshold = 0.02, size = MNIST_SIZE, box: boxSide = MNIST_BOX } = {}) {
  const out = new Float32Array(size * size);
  const box = boundingBox(img, threshold);
  if (!box) return { data: out, width: size, height: size, empty: true, box: null, offset: null };

  // Longer side to boxSide px, aspect ratio kept (a "1" stays thin).
  const scale = boxSide / Math.max(box.width, box.height);
  const w = Math.max(1, Math.min(boxSide, Math.round(box.width * scale)));
  const h = Math.max(1, Math.min(boxSide, Math.round(box.height * scale)));
  const small = resizeArea(crop(img, box), w, h);

  // MNIST digits are saturated: stretch so the strongest pixel is 1, whatever the stroke thickness.
  let max = 0;
  for (const v of small.data) if (v > max) max = v;
  if (max > 0) for (let i = 0; i < small.data.length; i++) small.data[i] = Math.min(1, small.data[i] / max);

  // Whole-pixel shift that brings the centre of mass nearest the field's centre, kept inside the field.
  const com = centerOfMass(small);
  const ox = Math.max(0, Math.min(size - w, Math.round(size / 2 - com.x)));
  const oy = Math.max(0, Math.min(size - h, Math.round(size / 2 - com.y)));
  for (let y = 0; y < h; y++) out.set(small.data.subarray(y * w, (y + 1) * w), (oy + y) * size + ox);
  return { data: out, width: size, height: size, empty: false, box, offset: { x: ox, y: oy } };
}
