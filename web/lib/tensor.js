// Tensor: a Float32Array with a shape, batch first (NHWC for images), as TensorFlow.js lays out data.
// Plain JavaScript memory: nothing to dispose.

export class Tensor {
  constructor(data, shape) {
    this.data = data;
    this.shape = shape;
    this.dtype = 'float32';
  }
  get size() {
    return this.data.length;
  }
  get rank() {
    return this.shape.length;
  }
  /** Samples [begin, begin + count) along the first axis, sharing no memory with this tensor. */
  slice(begin, count = this.shape[0] - begin) {
    const per = sampleSize(this.shape);
    if (!Number.isInteger(begin) || !Number.isInteger(count) || begin < 0 || count < 0 || begin + count > this.shape[0]) {
      throw new Error(`tensor.slice: [${begin}, ${begin + count}) is outside the first axis of shape ${fmt(this.shape)}`);
    }
    return new Tensor(this.data.slice(begin * per, (begin + count) * per), [count, ...this.shape.slice(1)]);
  }
  /**
   * Index of the largest value along `axis` (default the last, -1 counting from the end; the first
   * on ties), as TF.js' argMax: an Int32Array laid out as the shape without that axis, row-major.
   */
  argMax(axis = -1) {
    const rank = this.shape.length;
    if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
      throw new Error(`argMax: axis must be an integer in [${-rank}, ${rank - 1}] for a tensor of shape ${fmt(this.shape)}, got ${JSON.stringify(axis)}`);
    }
    const a = axis < 0 ? axis + rank : axis;
    const k = this.shape[a];
    const inner = this.shape.slice(a + 1).reduce((p, d) => p * d, 1);
    const outer = this.data.length / (k * inner);
    const out = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * k * inner + i;
        let best = 0;
        for (let c = 1; c < k; c++) if (this.data[base + c * inner] > this.data[base + best * inner]) best = c;
        out[o * inner + i] = best;
      }
    }
    return out;
  }
  toString() {
    return `Tensor ${fmt(this.shape)}`;
  }
}

export function fmt(shape) {
  return `[${Array.from(shape, (d) => (d === null ? 'null' : d)).join(',')}]`;
}

export function sampleSize(shape) {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i];
  return n;
}

/**
 * Makes a float32 tensor. `data` is a Float32Array (used as is), a number array, or integer pixels
 * (Uint8Array, Uint8ClampedArray) multiplied by `scale` (default 1; pass 1/255 for [0, 1]).
 */
export function tensor(data, shape, options = {}) {
  if (options === null || typeof options !== 'object') throw new Error('tensor: options must be an object such as { scale: 1 / 255 }');
  const { scale } = options;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`tensor: shape must be an array of positive integers, got ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(size) || size > 2 ** 30) throw new Error(`tensor: shape ${fmt(shape)} is too large`);
  if (data == null || typeof data === 'string' || typeof data.length !== 'number') {
    throw new Error(`tensor: data must be a typed array or an array of numbers, got ${typeof data}`);
  }
  if (data.length !== size) {
    throw new Error(`tensor: shape ${fmt(shape)} needs ${size} values, got ${data.length}`);
  }
  if (scale !== undefined && (typeof scale !== 'number' || !Number.isFinite(scale))) {
    throw new Error(`tensor: scale must be a finite number, got ${JSON.stringify(scale)}`);
  }
  let out;
  if (data instanceof Float32Array && scale === undefined) out = data;
  else {
    out = Float32Array.from(data);
    if (scale !== undefined && scale !== 1) for (let i = 0; i < out.length; i++) out[i] *= scale;
  }
  return new Tensor(out, shape.slice());
}

/** Accepts a Tensor or a {data, shape} record; returns a Tensor, validated. */
export function asTensor(x, what) {
  if (x instanceof Tensor) return x;
  // A TensorFlow.js tensor: its data lives in a backend, behind data()/dataSync().
  if (x && typeof x === 'object' && typeof x.dataSync === 'function' && typeof x.data === 'function') {
    throw new Error(`${what}: got a TensorFlow.js tensor (shape ${fmt(x.shape ?? [])}, dtype ${x.dtype}); wasmcnn takes its own ` +
      'tensors: convert it with cnn.tensor(await t.data(), t.shape) (or t.dataSync() where a synchronous read is fine)');
  }
  if (x && typeof x === 'object' && x.shape && x.data) {
    return tensor(x.data, Array.from(x.shape));
  }
  throw new Error(`${what}: expected a tensor (cnn.tensor(data, shape)), got ${x === null ? 'null' : typeof x}`);
}
