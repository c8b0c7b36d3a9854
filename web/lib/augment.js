// Data augmentation options, shared by fit({ augment }) and the preview cnn.data.augment(), which
// runs the core's augmentation on any batch of images so one can see what training will see.
import { call, getCore } from './core.js';
import { Tensor, asTensor, fmt } from './tensor.js';

export const AUGMENT_OPTIONS = ['rotation', 'zoom', 'translate', 'crop', 'flipHorizontal', 'flipVertical'];

/**
 * The core's AugmentOptions record for `options` (null or undefined: everything off). Checks names
 * and types here; the ranges (which depend on the image size) are checked by the core.
 * `who` prefixes the messages: 'fit' -> "fit: augment.rotation must be a number, got "10"".
 */
export function toCoreAugment(options, who) {
  const o = options ?? {};
  if (typeof o !== 'object' || Array.isArray(o)) throw new Error(`${who}: augment must be an object such as { rotation: 10, zoom: 0.1 }`);
  for (const k of Object.keys(o)) {
    if (!AUGMENT_OPTIONS.includes(k)) throw new Error(`${who}: unknown augment option '${k}' (known: ${AUGMENT_OPTIONS.join(', ')})`);
  }
  const num = (k) => {
    const v = o[k] ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${who}: augment.${k} must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const flag = (k) => {
    const v = o[k] ?? false;
    if (typeof v !== 'boolean') throw new Error(`${who}: augment.${k} must be true or false`);
    return v;
  };
  return {
    rotation: num('rotation'), zoom: num('zoom'), translate: num('translate'), crop: Math.round(num('crop')),
    flipHorizontal: flag('flipHorizontal'), flipVertical: flag('flipVertical'),
  };
}

/**
 * Augmented copies of images [n, h, w, c]: each image gets its own random transform, drawn from a
 * generator seeded by `seed` (default 42), so a seed fixes the result. The input is not changed.
 */
export function augmentImages(images, options = {}, { seed = 42, ...rest } = {}) {
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`data.augment: unknown option '${unknown[0]}' (known: seed)`);
  const x = asTensor(images, 'data.augment');
  const shape = Array.from(x.shape);
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0 && d < 2 ** 31)) {
    throw new Error(`data.augment: expected images of shape [n,height,width,channels], got ${fmt(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (!x.data || x.data.length !== size) {
    throw new Error(`data.augment: images of shape ${fmt(shape)} need ${size} values, their data has ${x.data?.length}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw new Error(`data.augment: seed must be a non-negative integer, got ${JSON.stringify(seed)}`);
  }
  const config = toCoreAugment(options, 'data.augment');
  const c = getCore();
  const bytes = size * 4;
  const p = c._malloc(2 * bytes);
  if (!p) throw new Error(`data.augment: out of memory: could not allocate ${2 * bytes} bytes of wasm memory`);
  try {
    c.HEAPF32.set(x.data, p >> 2);
    const [n, h, w, ch] = shape;
    call(() => c.augmentImages(p, p + bytes, n, h, w, ch, config, seed));
    // A fresh view: memory may have grown since the copy in.
    return new Tensor(c.HEAPF32.slice((p + bytes) >> 2, (p + 2 * bytes) >> 2), shape);
  } finally {
    c._free(p);
  }
}
