// Symbolic tensors: the placeholders of the functional API (cnn.input, layer.apply, cnn.model), as
// in TensorFlow.js. A symbolic tensor holds no data: it records its per-sample shape and the node
// that makes it, so cnn.model({ inputs, outputs }) can walk back from the outputs to the inputs.
//
// A node is one of:
//   an input        cnn.input({ shape }), or the input of a built model (model.inputs[0]);
//   an applied layer  a layer spec (cnn.layers.*) or a built model's layer, applied to tensors;
//   a model node    node i of a built model (model.getLayer(i).output), reading that model's tensors.
// Every node answers the same questions: which tensors it reads, its layer's spec, where its weights
// come from (a built model's layer, or none: initialise) and which layer object it is (a layer may
// have only one place in a graph: see functional.js).
import { call } from './core.js';
import { fmt } from './tensor.js';

const NAME = /^[A-Za-z0-9_./-]{1,128}$/;

export class SymbolicTensor {
  /** @internal use cnn.input() or layer.apply() */
  constructor(shape, node, name) {
    /** [null, ...per-sample shape], as TF.js gives it. */
    this.shape = [null, ...shape];
    this.dtype = 'float32';
    this.name = name;
    Object.defineProperty(this, '_node', { value: node });
  }
  get rank() {
    return this.shape.length;
  }
  /** The layer that outputs this tensor (an input's is { name, className: 'InputLayer' }). */
  get sourceLayer() {
    return this._node.layer;
  }
  toString() {
    return `SymbolicTensor ${this.name} ${fmt(this.shape)}`;
  }
}

export const isSymbolic = (t) => t instanceof SymbolicTensor;
export const sampleShape = (t) => t.shape.slice(1);

/** A model input: cnn.input({ shape: [28, 28, 1], name? }) (or batchShape: [null, 28, 28, 1]). */
export function input(options = {}) {
  if (options === null || typeof options !== 'object') throw new Error('input: options must be an object such as { shape: [28, 28, 1] }');
  const { shape, batchShape, name = 'input_1', dtype = 'float32', ...rest } = options;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`input: unknown option '${unknown[0]}' (known: shape, batchShape, name, dtype)`);
  if (dtype !== 'float32') throw new Error(`input: dtype ${JSON.stringify(dtype)} is not supported (wasmcnn computes in float32)`);
  if (shape !== undefined && batchShape !== undefined) throw new Error('input: give shape or batchShape, not both');
  let s = shape;
  if (batchShape !== undefined) {
    if (!Array.isArray(batchShape) || batchShape[0] !== null) {
      throw new Error(`input: batchShape must be [null, ...shape] (the batch size is never fixed), got ${JSON.stringify(batchShape)}`);
    }
    s = batchShape.slice(1);
  }
  if (!Array.isArray(s) || s.length < 1 || s.length > 3 || !s.every((d) => Number.isInteger(d) && d > 0 && d < 2 ** 31)) {
    throw new Error(`input: shape must be 1 to 3 positive integers without the batch dimension (e.g. [28, 28, 1]), got ${JSON.stringify(s)}`);
  }
  if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`input: name must be 1-128 letters, digits or _ . / -, got ${JSON.stringify(name)}`);
  return inputTensor(s, name);
}

/** @internal an input tensor (a built model's input has one too) */
export function inputTensor(shape, name) {
  const node = { input: true, layer: { name, className: 'InputLayer', batchInputShape: [null, ...shape] } };
  return new SymbolicTensor(shape.slice(), node, name);
}

/** The tensors as a list; checks each is symbolic. */
export function symbolicList(xs, what) {
  const list = Array.isArray(xs) ? xs : [xs];
  if (list.length === 0) throw new Error(`${what}: expected a symbolic tensor or an array of them, got an empty array`);
  for (const t of list) {
    if (isSymbolic(t)) continue;
    const got = t && typeof t === 'object' && t.shape ? `a tensor with data of shape ${fmt(t.shape)}` : JSON.stringify(t) ?? typeof t;
    throw new Error(`${what}: expected symbolic tensors (from cnn.input() or another layer.apply()), got ${got}. ` +
      'wasmcnn layers do not run eagerly: build a model with cnn.model({ inputs, outputs }) and call model.predict(x)');
  }
  return list;
}

/** The per-sample output shape of `spec` applied to inputs of the given shapes (checked by the core). */
export function outputShapeOf(spec, shapes, what) {
  try {
    return call((c) => c.layerOutputShape(spec.className, spec.config, shapes));
  } catch (e) {
    throw new Error(`${what}: ${e.message} (input shape${shapes.length > 1 ? 's' : ''} ${shapes.map((s) => fmt([null, ...s])).join(', ')})`);
  }
}

/**
 * An applied-layer node: `layer` is the layer object (a spec from cnn.layers, or a built model's
 * layer view), `spec()` its { className, config } now, `source()` the built model layer
 * { model, index } whose weights it starts from, or null to initialise.
 */
export function appliedNode(layer, inputs, spec, source) {
  return { layer, inputs: () => inputs, spec, source };
}

/** Applies a layer (spec or view) to symbolic tensors: the one output tensor. */
export function applyLayer(layer, xs, spec, source, what) {
  const inputs = symbolicList(xs, what);
  const s = spec();
  const shape = outputShapeOf(s, inputs.map(sampleShape), what);
  const node = appliedNode(layer, inputs, spec, source);
  return new SymbolicTensor(shape, node, `${s.config.name ?? s.className}/output`);
}
