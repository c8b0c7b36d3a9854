// LayerView: one layer of a model, as model.layers and model.getLayer() give it: its spec, shapes,
// trainability, and its place in the graph (input, output, apply). It reads the model every time,
// so it stays current; a model keeps one view per layer (model._view(i)).
import { call } from './core.js';
import { SymbolicTensor, appliedNode, sampleShape, symbolicList } from './symbolic.js';

/** A view of one layer of a model: its spec, shapes and trainability. */
export class LayerView {
  constructor(model, index) {
    this.model = model;
    this.index = index;
  }
  get #h() {
    return this.model._handle();
  }
  get #spec() {
    return call(() => this.#h.layerSpec(this.index));
  }
  get name() {
    return this.#spec.config.name;
  }
  get className() {
    return this.#spec.className;
  }
  getConfig() {
    return this.#spec.config;
  }
  /** [null, ...shape] of its input; a list of them for a layer with several inputs (a merge). */
  get inputShape() {
    const shapes = this.model._nodeInputTensors(this.index).map((t) => t.shape);
    return shapes.length === 1 ? shapes[0] : shapes;
  }
  /** The symbolic tensor this layer outputs in its model: cut the model there with cnn.model({ inputs: model.inputs, outputs: layer.output }). */
  get output() {
    return this.model._nodeTensor(this.index);
  }
  /** The symbolic tensor(s) this layer reads in its model. */
  get input() {
    const ins = this.model._nodeInputTensors(this.index);
    return ins.length === 1 ? ins[0] : ins;
  }
  /**
   * This layer applied to other symbolic tensors; a model built from the result starts from a copy
   * of this layer's weights (cnn.model() never shares weights between models).
   */
  apply(xs) {
    const { model, index } = this;
    const spec = () => call(() => model._handle().layerSpec(index));
    return applyLayerView(this, xs, spec, () => ({ model, index }), `layer '${this.name}'.apply`);
  }
  get outputShape() {
    return [null, ...call(() => this.#h.layerOutputShape(this.index))];
  }
  get trainable() {
    return this.#spec.config.trainable ?? true;
  }
  /** Frozen layers keep their weights bit-identical through fit() (and BatchNorm runs in inference mode). */
  set trainable(on) {
    if (typeof on !== 'boolean') throw new Error(`layer '${this.name}': trainable must be true or false`);
    call(() => this.#h.setTrainable(this.index, on));
  }
  get lrMultiplier() {
    return this.#spec.config.lrMultiplier ?? 1;
  }
  set lrMultiplier(k) {
    if (typeof k !== 'number' || !Number.isFinite(k) || k < 0) {
      throw new Error(`layer '${this.name}': lrMultiplier must be a finite non-negative number, got ${k}`);
    }
    call(() => this.#h.setLrMultiplier(this.index, k));
  }
  countParams() {
    return this.model.getWeights().filter((w) => w.layer === this.name).reduce((a, w) => a + w.data.length, 0);
  }
}

// Applying a built layer: shape from the core, like a spec (symbolic.js), weights from the model.
function applyLayerView(view, xs, spec, source, what) {
  const inputs = symbolicList(xs, what);
  const shape = call((c) => c.layerOutputShape(spec().className, spec().config, inputs.map(sampleShape)));
  return new SymbolicTensor(shape, appliedNode(view, inputs, spec, source), `${view.name}/output`);
}
