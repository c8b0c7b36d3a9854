// Model: a CNN living in wasm memory, with a Keras-style API: a sequential stack (sequential()) or
// a graph of layers (cnn.model({ inputs, outputs }), functional.js), one input and one output.
//
// Batches are gathered from JavaScript arrays into wasm staging buffers (one typed-array copy per
// sample) and run by the core; results are copied out at once. fit() is async and yields to the
// event loop every few milliseconds so a page stays responsive.
import { call, getCore, Staging } from './core.js';
import { Tensor, asTensor, fmt, sampleSize } from './tensor.js';
import { checkSpec } from './layers.js';
import { toCoreOptimizer, coreOptimizerRecord } from './optimizers.js';
import { runFit, checkBatchSize, divergence } from './fit.js';
import { toCoreAugment } from './augment.js';
import { SymbolicTensor, appliedNode, inputTensor, symbolicList } from './symbolic.js';
import { LayerView } from './layer_view.js';
import { summaryLines } from './summary.js';
import { parallelPredict } from './parallel.js';
import { forgetModel } from './helper_pool.js';

export const LOSSES = {
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categoricalCrossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  meanSquaredError: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
};

const FORMAT = 'wasmcnn-model';
const finalizer = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((release) => release()) : null;

export class Model {
  #handle;
  #views = [];    // LayerView per node, made on first use (so getLayer(x) === getLayer(x))
  #tensors = [];  // the symbolic output of each node, made on first use
  #input = null;  // the symbolic input: cnn.model()'s, or made on first use
  #graph = null;  // { name } for a model built by cnn.model() (exported as a TF.js 'Model')
  #release;
  #xs = new Staging();
  #ts = new Staging();
  #compileConfig = null;
  #stale = false;
  #metadata = {};

  /**
   * @internal use sequential() or loadModel(). A null handle with a seed is a sequential() without
   * any input shape yet, as tf.sequential(): the core model is made by the first add().
   */
  constructor(handle, deferredSeed = null) {
    this.#handle = handle;
    this.#deferredSeed = handle ? null : deferredSeed;
    this.stopTraining = false;
    /** True while fit() runs (as in TensorFlow.js); read-only for users. */
    this.isTraining = false;
    const xs = this.#xs;
    const ts = this.#ts;
    const box = this.#box;
    box.handle = handle;
    this.#release = () => {
      try { box.handle?.delete(); } catch { /* already deleted */ }
      xs.free();
      ts.free();
    };
    finalizer?.register(this, this.#release, this);
  }

  #deferredSeed = null;
  #box = { handle: null }; // what the finalizer frees (it must not hold the model itself)

  _handle() {
    if (!this.#handle) {
      if (this.#deferredSeed !== null) {
        throw new Error('model: this sequential model has no layers yet, so no input shape: add a first layer with one ' +
          '(model.add(cnn.layers.dense({ inputShape: [784], units: 10 }))) or pass sequential({ inputShape })');
      }
      throw new Error('model: this model was disposed; create or load a new one');
    }
    return this.#handle;
  }

  /** @internal Calls that would interleave with a running fit() (its steps, optimizer and layers) wait for it. */
  _notWhileTraining(what) {
    if (this.isTraining) {
      throw new Error(`${what}: fit() is still running on this model; await it (or set model.stopTraining = true and await it) first`);
    }
  }

  get disposed() {
    return this.#handle === null && this.#deferredSeed === null;
  }

  get inputShape() {
    return [null, ...this._handle().inputShape()];
  }

  get outputShape() {
    return [null, ...this._handle().outputShape()];
  }

  get layers() {
    if (!this.#handle && this.#deferredSeed !== null) return [];
    const n = this._handle().numLayers();
    return Array.from({ length: n }, (_, i) => this._view(i));
  }

  /** @internal */
  _view(i) {
    this.#views[i] ??= new LayerView(this, i);
    return this.#views[i];
  }

  /** 'sequential' for sequential(), the name given to cnn.model() (default 'model'). */
  get name() {
    return this.#graph?.name ?? 'sequential';
  }

  /** True when built by cnn.model() (exported to TF.js as a functional 'Model'). */
  get isGraph() {
    return this.#graph !== null;
  }

  /** @internal set by cnn.model() and when loading a saved graph model */
  _setGraph({ name, input }) {
    this.#graph = { name };
    if (input) this.#input = input;
  }

  /** [the symbolic input]: wasmcnn models have one input. */
  get inputs() {
    this.#input ??= inputTensor(this._handle().inputShape(), 'input_1');
    return [this.#input];
  }

  /** [the symbolic output]: the last layer's output. */
  get outputs() {
    const n = this._handle().numLayers();
    return n === 0 ? this.inputs : [this._nodeTensor(n - 1)];
  }

  /** @internal the nodes node i reads: -1 is the model's input */
  _nodeInputs(i) {
    return Array.from(call(() => this._handle().nodeInputs(i)));
  }

  /** @internal */
  _nodeInputTensors(i) {
    return this._nodeInputs(i).map((k) => (k < 0 ? this.inputs[0] : this._nodeTensor(k)));
  }

  /** @internal the symbolic output of node i, a node of this model (its weights are this model's) */
  _nodeTensor(i) {
    if (!this.#tensors[i]) {
      const h = this._handle();
      const view = this._view(i);
      const node = {
        layer: view,
        inputs: () => this._nodeInputTensors(i),
        spec: () => call(() => h.layerSpec(i)),
        source: () => ({ model: this, index: i }),
      };
      this.#tensors[i] = new SymbolicTensor(call(() => h.layerOutputShape(i)), node, `${view.name}/output`);
    }
    return this.#tensors[i];
  }

  /**
   * This model used as a layer of another: its layers are inlined (flattened) into the graph that
   * reads the result, starting from copies of their weights. x must have this model's input shape.
   */
  apply(xs) {
    const what = `model '${this.name}'.apply`;
    const list = symbolicList(xs, what);
    if (list.length !== 1) throw new Error(`${what}: this model takes one input, got ${list.length}`);
    const [x] = list;
    const want = this.inputs[0].shape;
    if (x.shape.length !== want.length || x.shape.some((d, i) => d !== want[i])) {
      throw new Error(`${what}: expected an input of shape ${fmt(want)}, got ${fmt(x.shape)} (${x.name})`);
    }
    const h = this._handle();
    const made = [];
    const n = h.numLayers();
    if (n === 0) throw new Error(`${what}: the model has no layers`);
    for (let i = 0; i < n; i++) {
      const inputs = this._nodeInputs(i).map((k) => (k < 0 ? x : made[k]));
      const view = this._view(i);
      const node = appliedNode(view, inputs, () => call(() => h.layerSpec(i)), () => ({ model: this, index: i }));
      node.inlinedFrom = this.name;
      made.push(new SymbolicTensor(call(() => h.layerOutputShape(i)), node, `${view.name}/output`));
    }
    return made[n - 1];
  }

  /** false freezes every layer, true unfreezes every layer (as TF.js' model.trainable); reads true while any layer trains. */
  get trainable() {
    return this.layers.length === 0 || this.layers.some((l) => l.trainable);
  }

  set trainable(on) {
    if (typeof on !== 'boolean') throw new Error(`model: trainable must be true or false, got ${JSON.stringify(on)}`);
    this._notWhileTraining('trainable');
    for (const l of this.layers) l.trainable = on;
  }

  getLayer(nameOrIndex) {
    const layers = this.layers;
    const found = typeof nameOrIndex === 'number' ? layers[nameOrIndex] : layers.find((l) => l.name === nameOrIndex);
    if (!found) {
      throw new Error(`model: no layer ${JSON.stringify(nameOrIndex)} (layers: ${layers.map((l) => l.name).join(', ')})`);
    }
    return found;
  }

  /** Marks the named layers (all when omitted) non-trainable. */
  freeze(names) {
    for (const l of this.#named(names, 'freeze')) l.trainable = false;
  }

  unfreeze(names) {
    for (const l of this.#named(names, 'unfreeze')) l.trainable = true;
  }

  #named(names, what) {
    if (names === undefined) return this.layers;
    if (!Array.isArray(names)) throw new Error(`${what}: expected an array of layer names or indices, got ${JSON.stringify(names)}`);
    return names.map((n) => this.getLayer(n));
  }

  /**
   * Keras' model.getConfig(): the layer specs, input shape and seed; for a graph model also
   * `graph: { name, input, inputs }` (the names each layer reads, '' the input), which sequential()
   * refuses rather than chain the layers.
   */
  toSpec() {
    const h = this._handle();
    const spec = {
      inputShape: h.inputShape(),
      seed: h.seed(),
      layers: this.layers.map((l) => call(() => h.layerSpec(l.index))),
    };
    if (this.#graph) {
      const names = spec.layers.map((l) => l.config.name);
      spec.graph = { name: this.name, input: this.inputs[0].name,
        inputs: spec.layers.map((l, i) => this._nodeInputs(i).map((k) => (k < 0 ? '' : names[k]))) };
    }
    return spec;
  }

  add(layer) {
    this._notWhileTraining('add');
    const { className, config } = checkSpec(layer);
    if (!this.#handle && this.#deferredSeed !== null) {
      if (config?.inputShape === undefined) {
        throw new Error(`add: the first layer of a sequential model without inputShape needs one: ${className} has none ` +
          '(e.g. cnn.layers.dense({ inputShape: [784], units: 10 }))');
      }
      const handle = call((c) => c.createModel(checkInputShape(config.inputShape, 'add'), this.#deferredSeed));
      this.#handle = handle;
      this.#box.handle = handle;
      this.#deferredSeed = null;
      try {
        call(() => handle.add(className, config));
      } catch (e) {
        // Back to waiting for a first layer, as before the call.
        this.#deferredSeed = handle.seed();
        this.#handle = null;
        this.#box.handle = null;
        handle.delete();
        throw e;
      }
      return this;
    }
    call(() => this._handle().add(className, config));
    this.#recompileAfterEdit();
    return this;
  }

  pop() {
    this._notWhileTraining('pop');
    call(() => this._handle().pop());
    const n = this._handle().numLayers();
    this.#views.length = Math.min(this.#views.length, n);
    this.#tensors.length = Math.min(this.#tensors.length, n);
    this.#recompileAfterEdit();
    return this;
  }

  // While a head is being replaced (pop, pop, add...) the output may not suit the loss for a while:
  // the edit still happened, so it must not throw; training checks again (see _targets).
  #recompileAfterEdit() {
    this.#stale = false;
    if (!this.#compileConfig) return;
    try {
      this.#recompile();
    } catch {
      this.#stale = true;
    }
  }

  compile(options = {}) {
    this._notWhileTraining('compile');
    options ?? fail('compile: options must be an object such as { optimizer: \'adam\', loss: \'sparseCategoricalCrossentropy\' }');
    const { optimizer = 'adam', loss, metrics = ['accuracy'], ...rest } = options;
    const unknown = Object.keys(rest);
    if (unknown.length) throw new Error(`compile: unknown option '${unknown[0]}' (known: optimizer, loss, metrics)`);
    const knownLosses = 'sparseCategoricalCrossentropy, categoricalCrossentropy, meanSquaredError';
    if (typeof loss === 'function') {
      throw new Error(`compile: custom loss functions are not supported (the loss and its gradient run inside the core); use one of ${knownLosses}`);
    }
    if (typeof loss !== 'string' || !(loss in LOSSES)) throw new Error(`compile: unknown loss ${JSON.stringify(loss)} (known: ${knownLosses})`);
    const list = Array.isArray(metrics) ? metrics : [metrics];
    for (const m of list) {
      if (typeof m === 'function') throw new Error('compile: custom metric functions are not supported; the known metric is \'accuracy\'');
      if (!['accuracy', 'acc'].includes(m)) throw new Error(`compile: unknown metric ${JSON.stringify(m)} (known: accuracy)`);
    }
    const opt = toCoreOptimizer(optimizer);
    call(() => this._handle().compile(LOSSES[loss], coreOptimizerRecord(opt)));
    this.#compileConfig = { loss: LOSSES[loss], optimizer: opt, metrics: list };
    this.#stale = false;
    return this;
  }

  #recompile() {
    const { loss, optimizer } = this.#compileConfig;
    call(() => this._handle().compile(loss, coreOptimizerRecord(optimizer)));
  }

  get compileConfig() {
    return this.#compileConfig && structuredClone(this.#compileConfig);
  }

  /** The optimizer's current learning rate; schedules and reduceLROnPlateau change it. */
  get learningRate() {
    return call(() => this._handle().learningRate());
  }

  set learningRate(lr) {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`model: learningRate must be a finite non-negative number, got ${lr}`);
    }
    call(() => this._handle().setLearningRate(lr));
    // Saved, sent to a worker and kept through add()/pop() as the current rate, as Keras saves it.
    if (this.#compileConfig) this.#compileConfig.optimizer.learningRate = lr;
  }

  /** Free-form JSON-safe data saved with the model (class names, preprocessing, accuracy...). */
  get metadata() {
    return this.#metadata;
  }

  set metadata(value) {
    try {
      JSON.stringify(value);
    } catch (e) {
      throw new Error(`model: metadata must be JSON-safe (${e.message})`);
    }
    this.#metadata = value ?? {};
  }

  /**
   * Prints the layers as TF.js does (Layer (type), Output shape, Param #, and for a graph model
   * Connected to), one line per printFn call (default console.log), and returns the text.
   */
  summary(lineLength, positions, printFn = console.log) {
    if (printFn !== undefined && typeof printFn !== 'function') throw new Error('summary: printFn must be a function');
    const lines = summaryLines(this, { lineLength, positions });
    for (const line of lines) printFn(line);
    return `${lines.join('\n')}\n`;
  }

  countParams() {
    return this._handle().paramCount(false);
  }

  /** Checks x against the input shape; returns the sample count. */
  _checkX(x, what) {
    const shape = this._handle().inputShape();
    const ok = x.shape.length === shape.length + 1 && shape.every((d, i) => d === x.shape[i + 1]) &&
      Number.isInteger(x.shape[0]) && x.shape[0] > 0;
    if (!ok) throw new Error(`${what}: expected x of shape [n,${shape.join(',')}], got ${fmt(x.shape)}`);
    const d = x.data;
    // A Tensor built with `new Tensor` skipped tensor()'s checks; a short buffer would stage stale memory.
    if (!d || d.length !== x.shape[0] * sampleSize(x.shape)) {
      throw new Error(`${what}: x of shape ${fmt(x.shape)} needs ${x.shape[0] * sampleSize(x.shape)} values, its data has ${d?.length}`);
    }
    if (!(d instanceof Float32Array && allFinite(d))) {
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i])) {
          const per = sampleSize(x.shape);
          throw new Error(`${what}: x value ${d[i]} at sample ${Math.floor(i / per)}, element ${i % per} is not finite`);
        }
      }
    }
    return x.shape[0];
  }

  /** Labels or targets as a flat Float32Array of n * targetCols values, validated. */
  _targets(y, n, what) {
    if (!this.#compileConfig) throw new Error(`${what}: the model is not compiled; call model.compile({optimizer, loss}) first`);
    if (this.#stale) {
      this.#recompile();
      this.#stale = false;
    }
    const h = this._handle();
    const cols = h.targetCols();
    const k = h.outputShape()[0];
    const sparse = this.#compileConfig.loss === 'sparseCategoricalCrossentropy';
    let data;
    let shape;
    if (y instanceof Tensor || (y && y.shape && y.data)) {
      data = y.data;
      shape = Array.from(y.shape);
    } else if (Array.isArray(y) || ArrayBuffer.isView(y)) {
      data = y;
      shape = [y.length];
    } else {
      throw new Error(`${what}: y must be labels (an array or typed array) or a tensor, got ${y === null ? 'null' : typeof y}`);
    }
    if (shape[0] !== n) throw new Error(`${what}: x has ${n} samples but y has ${shape[0]}`);
    const expect = sparse ? [[n], [n, 1]] : [[n, k]];
    if (!expect.some((s) => s.length === shape.length && s.every((d, i) => d === shape[i]))) {
      const hint = sparse ? 'class indices, one per sample' : `one row of ${k} values per sample`;
      throw new Error(`${what}: expected y of shape ${expect.map(fmt).join(' or ')} (${hint}), got ${fmt(shape)}`);
    }
    const out = Float32Array.from(data);
    if (out.length !== n * cols) throw new Error(`${what}: y of shape ${fmt(shape)} needs ${n * cols} values, its data has ${out.length}`);
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (!Number.isFinite(v)) throw new Error(`${what}: y value ${data[i]} at index ${i} is not finite`);
      if (sparse && (!Number.isInteger(v) || v < 0 || v >= k)) {
        throw new Error(`${what}: label ${data[i]} of sample ${i} is not a class index in [0, ${k - 1}]`);
      }
    }
    return { data: out, cols };
  }

  /** Copies samples idx[from..from+m) of x (and of targets t) into the staging buffers. */
  _stage(x, idx, from, m, t) {
    const per = sampleSize(x.shape);
    const xp = this.#xs.ensure(m * per);
    let tp = 0;
    if (t) tp = this.#ts.ensure(m * t.cols);
    const xv = this.#xs.view(m * per);
    for (let i = 0; i < m; i++) {
      const s = idx ? idx[from + i] : from + i;
      xv.set(x.data.subarray(s * per, (s + 1) * per), i * per);
    }
    if (t) {
      const tv = this.#ts.view(m * t.cols);
      for (let i = 0; i < m; i++) {
        const s = idx ? idx[from + i] : from + i;
        tv.set(t.data.subarray(s * t.cols, (s + 1) * t.cols), i * t.cols);
      }
    }
    return { xp, tp };
  }

  predict(x, options = {}) {
    const { batchSize = 256 } = checkOptions(options, 'predict');
    const h = this._handle();
    const xt = asTensor(x, 'predict');
    checkBatchSize(batchSize, 'predict');
    const n = this._checkX(xt, 'predict');
    const outShape = h.outputShape();
    const per = outShape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n * per);
    for (let i0 = 0; i0 < n; i0 += batchSize) {
      const m = Math.min(batchSize, n - i0);
      const { xp } = this._stage(xt, null, i0, m);
      const view = call(() => h.predict(xp, m));
      out.set(view, i0 * per);
    }
    return new Tensor(out, [n, ...outShape]);
  }

  /**
   * predict() on all of this context's threads: with the workers strategy, slices of x go to the
   * helper workers (which get this model's current weights); otherwise the same as predict().
   * Bit for bit the same predictions as predict().
   */
  async predictAsync(x, options = {}) {
    const { batchSize = 256 } = checkOptions(options, 'predictAsync');
    this._handle();
    const xt = asTensor(x, 'predictAsync');
    checkBatchSize(batchSize, 'predictAsync');
    this._checkX(xt, 'predictAsync');
    return parallelPredict(this, xt, batchSize);
  }

  /** The output of every layer for one sample (the first of x): what each layer "sees". */
  activations(x) {
    const h = this._handle();
    const xt = asTensor(x, 'activations');
    this._checkX(xt, 'activations');
    const { xp } = this._stage(xt, null, 0, 1);
    // predict normally hands each layer's output back to the core's pool once read: keep them.
    h.keepActivations(true);
    try {
      call(() => h.predict(xp, 1));
      return this.layers.map((l) => ({
        name: l.name,
        className: l.className,
        shape: call(() => h.activationShape(l.index)),
        data: call(() => h.activation(l.index)).slice(),
      }));
    } finally {
      h.keepActivations(false);
    }
  }

  evaluate(x, y, options = {}) {
    const { batchSize = 256 } = checkOptions(options, 'evaluate');
    this._handle();
    const xt = asTensor(x, 'evaluate');
    checkBatchSize(batchSize, 'evaluate');
    const n = this._checkX(xt, 'evaluate');
    const t = this._targets(y, n, 'evaluate');
    const { loss, acc } = this._evaluateTensors(xt, t, batchSize);
    return { loss, accuracy: acc, acc };
  }

  /** One optimisation step on the whole of x (one batch). */
  trainOnBatch(x, y) {
    this._notWhileTraining('trainOnBatch');
    const h = this._handle();
    const xt = asTensor(x, 'trainOnBatch');
    const n = this._checkX(xt, 'trainOnBatch');
    const t = this._targets(y, n, 'trainOnBatch');
    const { xp, tp } = this._stage(xt, null, 0, n, t);
    const r = call(() => h.trainBatch(xp, tp, n));
    if (!r.finite) throw divergence(r.loss, 'trainOnBatch');
    return { loss: r.loss, acc: r.accuracy, accuracy: r.accuracy };
  }

  /** Trains for `epochs` over x, y; see FitOptions in index.d.ts. Resolves to a History. */
  async fit(x, y, options = {}) {
    this._handle();
    return runFit(this, x, y, options);
  }

  /** @internal one step on samples idx[from..from+m) */
  _trainStep(xt, t, idx, from, m) {
    const h = this._handle();
    const { xp, tp } = this._stage(xt, idx, from, m, t);
    return call(() => h.trainBatch(xp, tp, m));
  }

  /** @internal */
  _evaluateTensors(xt, t, batchSize) {
    const h = this._handle();
    const n = xt.shape[0];
    let loss = 0;
    let correct = 0;
    for (let i0 = 0; i0 < n; i0 += batchSize) {
      const m = Math.min(batchSize, n - i0);
      const { xp, tp } = this._stage(xt, null, i0, m, t);
      const r = call(() => h.evaluateBatch(xp, tp, m));
      if (!r.finite) throw new Error('evaluate: the loss is not finite (the activations overflowed float32); the weights are too large, e.g. after the loss diverged');
      loss += r.loss * m;
      correct += r.accuracy * m;
    }
    return { loss: loss / n, acc: correct / n };
  }

  /** @internal data augmentation per batch inside the core, or none with null */
  _setAugment(options, shape) {
    const h = this._handle();
    const config = toCoreAugment(options, 'fit');
    if (options && shape.length !== 4) throw new Error(`fit: augment needs image inputs [n,h,w,c], got ${fmt(shape)}`);
    call(() => h.setAugment(config));
  }

  /** @internal shuffled 0..n-1 from the model's seeded generator */
  _shuffled(n) {
    const c = getCore();
    const p = c._malloc(Math.max(n, 1) * 4);
    if (!p) throw new Error('fit: out of memory');
    try {
      this._handle().shuffledIndices(p, n);
      return c.HEAPU32.slice(p >> 2, (p >> 2) + n);
    } finally {
      c._free(p);
    }
  }

  /** Every weight tensor, in layer order, as copies: { layer, name, shape, trainable, data }. */
  getWeights() {
    const h = this._handle();
    const n = h.numWeights();
    const out = [];
    for (let i = 0; i < n; i++) {
      const info = call(() => h.weightInfo(i));
      out.push({ ...info, data: call(() => h.weightData(i)).slice() });
    }
    return out;
  }

  /** Sets weights from getWeights()-style records (matched by layer and name) or plain arrays in order. */
  setWeights(weights) {
    const h = this._handle();
    const n = h.numWeights();
    if (!Array.isArray(weights) || weights.length !== n) {
      throw new Error(`setWeights: expected ${n} weight tensors, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    const infos = Array.from({ length: n }, (_, i) => call(() => h.weightInfo(i)));
    weights.forEach((w, i) => {
      const data = w instanceof Float32Array ? w : w && (w.data ?? w);
      if (!data || typeof data.length !== 'number') throw new Error(`setWeights: weight ${i} has no data`);
      if (w.name && (w.layer !== infos[i].layer || w.name !== infos[i].name)) {
        throw new Error(`setWeights: weight ${i} is '${w.layer}/${w.name}', the model expects '${infos[i].layer}/${infos[i].name}'`);
      }
      const p = this.#xs.ensure(data.length);
      this.#xs.view(data.length).set(data);
      call(() => h.setWeightData(i, p, data.length));
    });
  }

  /**
   * The model as one self-describing file (Uint8Array). With a handler — 'downloads://name',
   * 'indexeddb://name' or one from cnn.io — passes the bytes on and resolves to its result.
   */
  save(handler) {
    const bytes = this.toBytes();
    if (handler === undefined) return bytes;
    return saveTo(handler, bytes, this);
  }

  toBytes() {
    const h = this._handle();
    // A model whose output no longer suits its loss (mid-edit) is saved uncompiled, so it loads.
    const graph = this.#graph && { name: this.#graph.name, input: this.inputs[0].name };
    const meta = JSON.stringify({ format: FORMAT, compile: this.#stale ? null : this.#compileConfig, user: this.#metadata,
      ...(graph ? { graph } : {}) });
    call(() => h.setMetadata(meta));
    return call((c) => c.saveModel(h)); // already a copy in JavaScript memory
  }

  dispose() {
    this.#deferredSeed = null;
    if (!this.#handle) return;
    finalizer?.unregister(this);
    this.#release();
    this.#handle = null;
    forgetModel(this);
  }
}

let saveTo = async () => {
  throw new Error('save: handlers need the io module');
};
export function setSaveHandler(fn) {
  saveTo = fn;
}

function fail(message) {
  throw new Error(message);
}

/**
 * Whether every value of a Float32Array is finite, without a branch per element: v * 0 is 0 for a
 * finite v and NaN for NaN and ±Infinity, so the sums stay 0 unless one is not. Four independent sums
 * keep the adds from waiting on each other (about 3x faster than a Number.isFinite loop); the caller
 * looks for the culprit only when this says there is one. Only for Float32Array: in a plain array
 * '3' * 0 and null * 0 are 0 while Number.isFinite rejects them.
 */
function allFinite(d) {
  let a = 0;
  let b = 0;
  let c = 0;
  let e = 0;
  const n = d.length;
  const n4 = n - (n % 4);
  for (let i = 0; i < n4; i += 4) {
    a += d[i] * 0;
    b += d[i + 1] * 0;
    c += d[i + 2] * 0;
    e += d[i + 3] * 0;
  }
  for (let i = n4; i < n; i++) a += d[i] * 0;
  return a + b + c + e === 0;
}

/** predict()/evaluate() options: { batchSize, verbose } (verbose is accepted, as in Keras, and ignored). */
function checkOptions(options, what) {
  if (options === null || typeof options !== 'object') fail(`${what}: options must be an object such as { batchSize: 256 }`);
  const unknown = Object.keys(options).find((k) => k !== 'batchSize' && k !== 'verbose');
  if (unknown) fail(`${what}: unknown option '${unknown}' (known: batchSize, verbose)`);
  return options;
}

/** Checks a per-sample input shape; returns it. */
function checkInputShape(shape, who) {
  // Below 2^31: the core's dimensions are 32-bit ints, and bigger numbers would wrap around.
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || !shape.every((d) => Number.isInteger(d) && d > 0 && d < 2 ** 31)) {
    throw new Error(`${who}: inputShape must be 1 to 3 positive integers below 2^31 (e.g. [28, 28, 1]), got ${JSON.stringify(shape)}`);
  }
  return shape;
}

/**
 * A new sequential model: sequential({ inputShape, seed, layers }). Without any input shape and
 * layers (as tf.sequential()), the first add() must bring one.
 */
export function sequential(options = {}) {
  options ?? fail('sequential: options must be an object such as { inputShape: [28, 28, 1], layers: [...] }');
  const { inputShape, seed = 42, layers = [], ...rest } = options;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`sequential: unknown option '${unknown[0]}' (known: inputShape, seed, layers)`);
  const shape = inputShape ?? layers[0]?.config?.inputShape;
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw new Error(`sequential: seed must be a non-negative integer, got ${JSON.stringify(seed)}`);
  }
  if (!Array.isArray(layers)) throw new Error('sequential: layers must be an array of cnn.layers.* specs');
  if (shape === undefined && layers.length === 0) return new Model(null, seed);
  if (shape === undefined) {
    throw new Error('sequential: the input shape is unknown: pass sequential({ inputShape: [28, 28, 1], layers }) or give the first ' +
      'layer one (cnn.layers.conv2d({ inputShape: [28, 28, 1], ... })); wasmcnn builds each layer as it is added, so it needs the shape first');
  }
  checkInputShape(shape, 'sequential');
  const specs = layers.map(checkSpec);
  const handle = call((c) => c.createModel(shape, seed));
  const model = new Model(handle);
  try {
    for (const { className, config } of specs) call(() => handle.add(className, config));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** A model from wasmcnn model-file bytes; recompiled if it was saved compiled. */
export function modelFromBytes(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const c = getCore();
  const p = c._malloc(Math.max(u8.length, 1));
  if (!p) throw new Error(`loadModel: out of memory reading ${u8.length} bytes`);
  let handle;
  try {
    c.HEAPU8.set(u8, p);
    handle = call(() => c.loadModel(p, u8.length));
  } finally {
    c._free(p);
  }
  const model = new Model(handle);
  try {
    let meta = {};
    const text = handle.metadata();
    if (text) {
      try {
        meta = JSON.parse(text);
      } catch {
        throw new Error('loadModel: the model file\'s metadata is not valid JSON');
      }
    }
    if (meta.graph) model._setGraph({ name: meta.graph.name, input: inputTensor(handle.inputShape(), meta.graph.input) });
    if (meta.compile) model.compile({ loss: meta.compile.loss, optimizer: meta.compile.optimizer, metrics: meta.compile.metrics });
    model.metadata = meta.user ?? {};
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
