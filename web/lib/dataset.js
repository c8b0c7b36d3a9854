// The WCDS image-set file (shipped with the library; scripts/lib/dataset.mjs re-exports it): a compact, self-describing container for small uint8 image data sets.
//
// Layout (all integers little-endian u32):
//   0  "WCDS"  magic (ASCII)
//   4  version = 1
//   8  count    n images
//  12  height
//  16  width
//  20  channels
//  24  pixels   n*h*w*c uint8, image after image, each row-major (HWC), 0..255
//  ..  labels   n uint8 class ids
// Works on any Uint8Array (Node Buffer or browser fetch), so the same reader serves both.

export const WCDS_MAGIC = 'WCDS';
export const WCDS_VERSION = 1;
export const WCDS_HEADER_BYTES = 24;

/** Serialises {count, height, width, channels, pixels, labels} into one Uint8Array. */
export function encodeWcds({ count, height, width, channels, pixels, labels }) {
  const imageBytes = count * height * width * channels;
  if (pixels.length !== imageBytes) throw new Error(`wcds: expected ${imageBytes} pixel bytes, got ${pixels.length}`);
  if (labels.length !== count) throw new Error(`wcds: expected ${count} labels, got ${labels.length}`);
  const out = new Uint8Array(WCDS_HEADER_BYTES + imageBytes + count);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = WCDS_MAGIC.charCodeAt(i);
  [WCDS_VERSION, count, height, width, channels].forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  out.set(pixels, WCDS_HEADER_BYTES);
  out.set(labels, WCDS_HEADER_BYTES + imageBytes);
  return out;
}

/** Parses a WCDS file; `pixels` and `labels` are views into `bytes`, not copies. */
export function decodeWcds(bytes) {
  if (!(bytes instanceof Uint8Array)) bytes = new Uint8Array(bytes);
  if (bytes.length < WCDS_HEADER_BYTES) throw new Error(`wcds: file is ${bytes.length} bytes, shorter than its header`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== WCDS_MAGIC) throw new Error(`wcds: bad magic ${JSON.stringify(magic)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, count, height, width, channels] = [4, 8, 12, 16, 20].map((o) => view.getUint32(o, true));
  if (version !== WCDS_VERSION) throw new Error(`wcds: unsupported version ${version}`);
  const imageBytes = count * height * width * channels;
  const expected = WCDS_HEADER_BYTES + imageBytes + count;
  if (bytes.length !== expected) {
    throw new Error(`wcds: ${count} images of ${height}x${width}x${channels} need ${expected} bytes, file has ${bytes.length}`);
  }
  const pixels = bytes.subarray(WCDS_HEADER_BYTES, WCDS_HEADER_BYTES + imageBytes);
  const labels = bytes.subarray(WCDS_HEADER_BYTES + imageBytes);
  return { version, count, height, width, channels, pixels, labels };
}

/** One single-channel image as ASCII art, for eyeballing orientation. */
export function asciiImage(pixels, height, width) {
  const shades = ' .:+#';
  let s = '';
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) s += shades[Math.min(4, Math.floor(pixels[y * width + x] / 52))];
    s += '\n';
  }
  return s;
}
