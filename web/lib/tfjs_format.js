// The TensorFlow.js layers-model format, both ways: a model.json (format 'layers-model', a Keras
// Sequential or functional Model topology in snake_case, a weightsManifest) plus raw little-endian
// weight files, or the same in memory as TF.js' ModelArtifacts { modelTopology, weightSpecs, weightData }.
// Topologies (Sequential, functional in Keras 2 and 3 forms, nested models) are walked by
// tfjs_topology.js; each layer record is read here. Graph models export as class 'Model'.
//
// Layouts need no transposes: conv kernels are HWIO [kh,kw,ic,oc], dense kernels [in,units], data
// NHWC, as in TF.js. Export follows what tfjs-layers 4.22 writes (tf.LayersModel.save); import also
// takes Keras' forms (an InputLayer, model_config wrapping, Keras 3 'batch_shape', weights named
// 'layer/0'), tensorflowjs_converter's quantized weights, and rejects, naming the layer and the
// option, anything that would change what the model computes. Files, URLs and downloads: tfjs_io.js.
import { sequential } from './model.js';
import { graphModel } from './functional.js';
import { layerSpec, layerDefs } from './layers.js';
import { readTopology } from './tfjs_topology.js';

const FORMAT = 'layers-model';

// wasmcnn initializer <-> Keras VarianceScaling(scale, mode, distribution), as tfjs-layers writes them.
const VARIANCE_SCALING = {
  glorotUniform: [1, 'fan_avg', 'uniform'], glorotNormal: [1, 'fan_avg', 'normal'],
  heUniform: [2, 'fan_in', 'uniform'], heNormal: [2, 'fan_in', 'normal'], leCunUniform: [1, 'fan_in', 'uniform'],
};
// Keras' initializer class names, flattened ('glorot_uniform', 'GlorotUniform' -> 'glorotuniform').
const namedInitializer = (flat) => Object.keys(layerDefs().initializers).find((k) => k.toLowerCase() === flat);

// What TF.js and Keras write around a kind's own options (which come from the core's layer
// definitions): `fixed` keys written on export, `accept` keys whose only supported values are
// listed, checked on import; `only` options of ours that TF.js computes only at the listed values
// and `lacks` options it does not have (left out): export refuses any other value (than the
// default, for `lacks`). A kind without an entry has no TF.js equivalent (SumPooling2D, SpatialDropout2D).
const nulls = (...keys) => Object.fromEntries(keys.map((k) => [k, null]));
const channelsLast = { fixed: { data_format: 'channels_last' }, accept: {} };
const TFJS = {
  Conv2D: { fixed: { data_format: 'channels_last', ...nulls('activity_regularizer', 'kernel_constraint', 'bias_constraint') },
    accept: { groups: [1] } },
  Dense: { fixed: nulls('activity_regularizer', 'kernel_constraint', 'bias_constraint'), accept: {} },
  MaxPooling2D: channelsLast,
  AveragePooling2D: channelsLast,
  Flatten: channelsLast,
  GlobalAveragePooling2D: { fixed: { data_format: 'channels_last' }, accept: { keepdims: [false] } },
  Activation: { fixed: {}, accept: {} },
  Dropout: { fixed: { noise_shape: null, seed: null }, accept: {} },
  GaussianNoise: { fixed: {}, accept: {} },
  BatchNormalization: { fixed: {}, accept: { renorm: [false] } },
  Add: { fixed: {}, accept: {} },
  // spatial and convolution layers (#14)
  DepthwiseConv2D: { fixed: { data_format: 'channels_last', ...nulls('activity_regularizer', 'depthwise_constraint', 'bias_constraint') },
    accept: {} },
  SeparableConv2D: { fixed: { data_format: 'channels_last',
    ...nulls('activity_regularizer', 'depthwise_constraint', 'pointwise_constraint', 'bias_constraint') }, accept: {} },
  GlobalMaxPooling2D: { fixed: { data_format: 'channels_last' }, accept: { keepdims: [false] } },
  ZeroPadding2D: channelsLast,
  Cropping2D: channelsLast,
  UpSampling2D: channelsLast,
  Reshape: { fixed: {}, accept: {} },
  Conv2DTranspose: { fixed: { data_format: 'channels_last', dilation_rate: [1, 1], ...nulls('activity_regularizer', 'kernel_constraint', 'bias_constraint') },
    accept: { dilationRate: [1] } },
  Permute: { fixed: {}, accept: {} },
  ReLU: { fixed: {}, accept: {}, lacks: ['negativeSlope', 'threshold'] },
  LeakyReLU: { fixed: {}, accept: {} },
  ELU: { fixed: {}, accept: {}, only: { alpha: [1] } },
  PReLU: { fixed: nulls('alpha_regularizer', 'alpha_constraint'), accept: {} },
  Softmax: { fixed: {}, accept: {} },
  GaussianDropout: { fixed: {}, accept: {} },
  ...Object.fromEntries(['Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'].map((k) => [k, { fixed: {}, accept: {} }])),
};
// Activation names as TF.js writes them (it snake-cases 'hardSigmoid'; Keras' 'silu' is its 'swish'),
// and back. Keras 3's 'hard_sigmoid' is another function (relu6(x + 3) / 6): refused on import.
const TFJS_ACTIVATION = { silu: 'swish', hardSigmoid: 'hard_sigmoid' };
const FROM_TFJS_ACTIVATION = { hard_sigmoid: 'hardSigmoid' };

/** The shortest decimal that reads back as the same float32 (the core stores options as float). */
function f32(x) {
  const f = Math.fround(x);
  for (let p = 1; p < 9; p++) if (Math.fround(Number(f.toPrecision(p))) === f) return Number(f.toPrecision(p));
  return f;
}

const camel = (s) => s.replace(/_(\w)/g, (_, ch) => ch.toUpperCase());
const snake = (s) => s.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

// ---------------------------------------------------------------------------------------------
// wasmcnn -> TF.js
// ---------------------------------------------------------------------------------------------

function kerasInitializer(name) {
  if (name === 'zeros' || name === 'ones') return { class_name: name === 'zeros' ? 'Zeros' : 'Ones', config: {} };
  const [scale, mode, distribution] = VARIANCE_SCALING[name];
  return { class_name: 'VarianceScaling', config: { scale, mode, distribution, seed: null } };
}

// Margins as TF.js writes them: [[top, bottom], [left, right]].
const kerasMargins = (m) => (typeof m === 'number' ? [[m, m], [m, m]] : typeof m[0] === 'number' ? [[m[0], m[0]], [m[1], m[1]]] : m);

const kerasRegularizer = (r) => (r ? { class_name: 'L1L2', config: { l1: f32(r.config.l1), l2: f32(r.config.l2) } } : null);

function kerasLayer({ className, config: c }, inputShape) {
  const def = layerDefs().byClass[className];
  if (!def || !TFJS[className]) throw new Error(`tfjs export: layer '${c.name}' (${className}) has no TensorFlow.js equivalent`);
  const rate = [c.dilationRate ?? 1].flat();
  if (className === 'DepthwiseConv2D' && rate.some((d) => d !== 1)) {
    throw new Error(`tfjs export: layer '${c.name}' (DepthwiseConv2D): dilationRate ${JSON.stringify(c.dilationRate)} would be ` +
      "ignored by TF.js 4.22's DepthwiseConv2D, which computes without dilation (a SeparableConv2D or Conv2D honours it)");
  }
  const out = { name: c.name, trainable: c.trainable ?? true };
  if (className === 'BatchNormalization') out.axis = -1;
  const { only = {}, lacks = [] } = TFJS[className];
  for (const o of def.options) {
    const v = c[o.key] ?? o.default ?? null;
    const ok = lacks.includes(o.key) ? [o.default] : only[o.key];
    if (ok && !ok.includes(v)) {
      throw new Error(`tfjs export: layer '${c.name}' (${className}): ${o.key} ${JSON.stringify(o.type === 'real' ? f32(v) : v)} has no TensorFlow.js ` +
        `equivalent (TF.js computes only ${o.key} ${ok.join(' or ')})`);
    }
    if (lacks.includes(o.key)) continue;
    out[snake(o.key)] = o.type === 'real' && v !== null ? f32(v) : o.type === 'regularizer' ? kerasRegularizer(v)
      : o.key.endsWith('Initializer') ? kerasInitializer(v) : o.type === 'margins' ? kerasMargins(v)
      : o.key === 'activation' ? TFJS_ACTIVATION[v] ?? v : v;
  }
  Object.assign(out, TFJS[className].fixed);
  if (className === 'BatchNormalization') {
    Object.assign(out, { beta_initializer: kerasInitializer('zeros'), gamma_initializer: kerasInitializer('ones'),
      moving_mean_initializer: kerasInitializer('zeros'), moving_variance_initializer: kerasInitializer('ones'),
      beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null });
  }
  if (inputShape) Object.assign(out, { batch_input_shape: [null, ...inputShape], dtype: 'float32' });
  return { class_name: className, config: out };
}

function trainingConfig(compile) {
  if (!compile) return undefined;
  const o = compile.optimizer;
  let optimizer;
  if (o.type === 'adam') {
    optimizer = { class_name: 'Adam', config: { learningRate: f32(o.learningRate), beta1: f32(o.beta1), beta2: f32(o.beta2), epsilon: f32(o.epsilon) } };
  } else if (o.type === 'rmsprop') {
    optimizer = { class_name: 'RMSProp', config: { learningRate: f32(o.learningRate), decay: f32(o.rho), momentum: f32(o.momentum), epsilon: f32(o.epsilon), centered: false } };
  } else if (o.momentum > 0) {
    optimizer = { class_name: 'Momentum', config: { learningRate: f32(o.learningRate), momentum: f32(o.momentum), useNesterov: o.nesterov } };
  } else {
    optimizer = { class_name: 'SGD', config: { learningRate: f32(o.learningRate) } };
  }
  return { loss: snake(compile.loss), metrics: ['accuracy'], optimizer_config: optimizer };
}

/** A graph model's topology as TF.js writes a functional tf.model(): an InputLayer, then each layer with its inbound node. */
function graphTopology(model, spec) {
  const input = model.inputs[0];
  const names = spec.layers.map((l) => l.config.name);
  const layers = [{
    name: input.name, class_name: 'InputLayer',
    config: { batch_input_shape: input.shape, dtype: 'float32', sparse: false, name: input.name }, inbound_nodes: [],
  }];
  spec.layers.forEach((l, i) => {
    const { class_name, config } = kerasLayer(l, null);
    const from = model._nodeInputs(i).map((k) => [k < 0 ? input.name : names[k], 0, 0, {}]);
    layers.push({ name: config.name, class_name, config, inbound_nodes: [from] });
  });
  return {
    class_name: 'Model',
    config: { name: model.name, layers, input_layers: [[input.name, 0, 0]], output_layers: [[names.at(-1), 0, 0]] },
  };
}

const isChain = (model, n) => Array.from({ length: n }, (_, i) => model._nodeInputs(i)).every((ins, i) => ins.length === 1 && ins[0] === i - 1);

/**
 * The model as TF.js ModelArtifacts, what tf.io.fromMemory() and tf.loadLayersModel() take.
 * A sequential chain exports as a 'Sequential', a model from cnn.model() (or any graph) as a 'Model'.
 * wasmcnn's extras (seed, learning-rate multipliers, compile settings, metadata) travel in
 * userDefinedMetadata.wasmcnn, so a round trip through this format loses nothing.
 */
export function toTfjsArtifacts(model) {
  const spec = model.toSpec();
  if (spec.layers.length === 0) throw new Error('tfjs export: the model has no layers');
  const graph = model.isGraph || !isChain(model, spec.layers.length);
  const topology = graph ? graphTopology(model, spec)
    : { class_name: 'Sequential', config: { name: 'sequential', layers: spec.layers.map((l, i) => kerasLayer(l, i === 0 ? spec.inputShape : null)) } };
  const weights = model.getWeights();
  const data = new Float32Array(weights.reduce((a, w) => a + w.data.length, 0));
  let offset = 0;
  for (const w of weights) {
    data.set(w.data, offset);
    offset += w.data.length;
  }
  const lrMultipliers = Object.fromEntries(spec.layers.filter((l) => l.config.lrMultiplier !== undefined)
    .map((l) => [l.config.name, f32(l.config.lrMultiplier)]));
  return {
    // keras_version names the schema this topology follows (checked against @tensorflow/tfjs 4.22).
    modelTopology: { ...topology, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    format: FORMAT,
    generatedBy: 'wasmcnn',
    convertedBy: null,
    weightSpecs: weights.map((w) => ({ name: `${w.layer}/${w.name}`, shape: w.shape, dtype: 'float32' })),
    weightData: data.buffer,
    trainingConfig: trainingConfig(model.compileConfig),
    userDefinedMetadata: { wasmcnn: { seed: spec.seed, lrMultipliers, compile: model.compileConfig, metadata: model.metadata } },
  };
}

// ---------------------------------------------------------------------------------------------
// TF.js -> wasmcnn
// ---------------------------------------------------------------------------------------------

// Options that only steer training from scratch (initial values, constraints, extra penalties):
// dropped on import, listed in model.metadata.tfjs.dropped when set.
const TRAINING_ONLY = ['kernelConstraint', 'biasConstraint', 'depthwiseConstraint', 'pointwiseConstraint', 'betaConstraint', 'gammaConstraint', 'activityRegularizer',
  'betaRegularizer', 'gammaRegularizer', 'betaInitializer', 'gammaInitializer', 'movingMeanInitializer',
  'movingVarianceInitializer', 'noiseShape', 'seed'];
// Options that are fine when unset, null or false (Keras 3 and tf.keras additions).
const HARMLESS = ['batchSize', 'renormClipping', 'renormMomentum', 'fused', 'virtualBatchSize', 'adjustment',
  'synchronized', 'loraRank', 'loraAlpha', 'quantizationConfig'];

/** Reads one Keras layer record; every option is either used, checked harmless, or rejected. */
function layerReader(record, index) {
  const raw = {};
  for (const [k, v] of Object.entries(record.config ?? {})) raw[camel(k)] = v;
  const who = `tfjs import: layer '${raw.name ?? `#${index}`}' (${record.class_name ?? record.className})`;
  const used = new Set();
  const get = (k) => {
    used.add(k);
    return raw[k];
  };
  const reject = (k, v, why = '') => {
    throw new Error(`${who}: ${snake(k)} ${JSON.stringify(v)} is not supported${why}`);
  };
  return {
    who, get, reject, raw,
    /** Checks the value of option k is one of `ok` (a missing or null option is accepted). */
    only(k, ...ok) {
      const v = get(k);
      const flat = Array.isArray(v) && v.every((d) => d === v[0]) ? v[0] : v;
      if (v != null && !ok.includes(flat)) reject(k, v, ` (wasmcnn supports ${ok.map((o) => JSON.stringify(o)).join(' or ')})`);
      return v;
    },
    finish(dropped) {
      for (const [k, v] of Object.entries(raw)) {
        if (used.has(k) || v == null || v === false) continue;
        if (TRAINING_ONLY.includes(k)) dropped.push(`${raw.name}: ${snake(k)}`);
        else if (!HARMLESS.includes(k)) reject(k, v);
      }
    },
  };
}

function importInitializer(r, key, dropped) {
  const v = r.get(key);
  if (v == null) return undefined;
  const cls = typeof v === 'string' ? v : v.class_name ?? v.className;
  const cfg = Object.fromEntries(Object.entries((typeof v === 'object' && v.config) || {}).map(([k, x]) => [camel(k), x]));
  const flat = String(cls).replace(/_/g, '').toLowerCase();
  let name = namedInitializer(flat);
  if (flat === 'variancescaling') {
    const dist = String(cfg.distribution ?? 'truncated_normal').includes('normal') ? 'normal' : 'uniform';
    name = Object.keys(VARIANCE_SCALING).find((n) => {
      const [s, m, d] = VARIANCE_SCALING[n];
      return s === (cfg.scale ?? 1) && m === snake(cfg.mode ?? 'fan_in') && d === dist;
    });
  }
  if (!name) dropped.push(`${r.raw.name}: ${snake(key)} ${cls}`);
  return name;
}

function importRegularizer(r, key) {
  const v = r.get(key);
  if (v == null) return undefined;
  const cls = v.class_name ?? v.className;
  const cfg = v.config ?? {};
  if (!['L1L2', 'L1', 'L2'].includes(cls)) r.reject(key, cls, ' (wasmcnn supports L1L2, L1, L2)');
  return { className: 'L1L2', config: { l1: cfg.l1 ?? 0, l2: cfg.l2 ?? 0 } };
}

/** A wasmcnn layer spec (plus a BatchNormalization's axis, checked later) from one Keras layer record. */
function importLayer(record, index, dropped, keras3) {
  const cls = record.class_name ?? record.className;
  const r = layerReader(record, index);
  const c = { name: r.get('name') };
  if (r.get('trainable') === false) c.trainable = false;
  const dtype = r.get('dtype');
  const dtypeName = typeof dtype === 'object' && dtype ? dtype.config?.name ?? dtype.name : dtype;
  if (dtypeName != null && dtypeName !== 'float32') r.reject('dtype', dtypeName, ' (wasmcnn computes in float32)');
  r.get('batchInputShape');
  r.get('inputShape');
  r.only('dataFormat', 'channels_last');
  const className = cls;
  const def = layerDefs().byClass[className];
  const accept = TFJS[className]?.accept;
  if (!def || !accept) {
    throw new Error(`${r.who}: layer class '${cls}' is not supported (wasmcnn has ${Object.keys(TFJS).join(', ')})`);
  }
  for (const [k, ok] of Object.entries(accept)) r.only(k, ...ok);
  if (keras3 && r.raw.activation === 'hard_sigmoid') {
    r.reject('activation', 'hard_sigmoid', " (Keras 3's hard_sigmoid is relu6(x + 3) / 6; wasmcnn's hardSigmoid is TF.js's and Keras 2's clip(0.2 x + 0.5, 0, 1))");
  }
  if (r.raw.activation in FROM_TFJS_ACTIVATION) r.raw.activation = FROM_TFJS_ACTIVATION[r.raw.activation];
  for (const o of def.options) {
    if (o.type === 'regularizer') c[o.key] = importRegularizer(r, o.key);
    else if (o.key.endsWith('Initializer')) c[o.key] = importInitializer(r, o.key, dropped);
    else if (o.type === 'choice') c[o.key] = r.only(o.key, ...o.choices) ?? undefined;
    else if (o.wildcard) c[o.key] = r.get(o.key)?.map?.((d) => d ?? -1) ?? r.get(o.key); // TF.js writes Reshape's -1 as null
    else c[o.key] = r.get(o.key);
  }
  if (className === 'BatchNormalization') {
    // The axis is checked against the input's rank once the model is built.
    const axis = r.get('axis');
    c.axis = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis ?? -1;
    if (!Number.isInteger(c.axis)) r.reject('axis', axis, ' (wasmcnn normalises one axis, the last)');
    // Keras' defaults, which are what the core does; others only matter for training from scratch.
    const defaults = { betaInitializer: 'zeros', gammaInitializer: 'ones', movingMeanInitializer: 'zeros', movingVarianceInitializer: 'ones' };
    for (const [k, want] of Object.entries(defaults)) {
      const v = r.raw[k];
      if (v != null && importInitializer(r, k, []) !== want) dropped.push(`${c.name}: ${snake(k)}`);
    }
  }
  r.finish(dropped);
  for (const k of Object.keys(c)) if (c[k] === undefined || c[k] === null) delete c[k];
  return { className, config: c };
}

function halfToFloat(h) {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/** Splits the weight buffer into Float32Arrays by name, following TF.js' decodeWeights. */
function decodeWeights(specs, buffer) {
  const bytes = new Uint8Array(buffer);
  const out = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    const dtype = q ? q.dtype : spec.dtype;
    if (!(dtype in BYTES)) throw new Error(`tfjs import: weight '${spec.name}' has dtype '${dtype}', which wasmcnn can't read`);
    const length = size * BYTES[dtype];
    if (offset + length > bytes.length) {
      throw new Error(`tfjs import: the weight data ends at byte ${bytes.length}, but weight '${spec.name}' needs bytes ${offset}-${offset + length}`);
    }
    const raw = bytes.slice(offset, offset + length).buffer;
    offset += length;
    if (spec.group === 'optimizer') continue;
    let data;
    if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
      const src = q.dtype === 'uint8' ? new Uint8Array(raw) : new Uint16Array(raw);
      data = Float32Array.from(src, (v) => v * q.scale + q.min);
    } else if (q && q.dtype === 'float16') {
      data = Float32Array.from(new Uint16Array(raw), halfToFloat);
    } else if (dtype === 'float32') {
      data = new Float32Array(raw);
    } else {
      throw new Error(`tfjs import: weight '${spec.name}' has dtype '${dtype}'; wasmcnn's weights are float32`);
    }
    out.push({ name: spec.name, shape: spec.shape, data });
  }
  if (offset !== bytes.length) {
    throw new Error(`tfjs import: the weight specs describe ${offset} bytes, but the weight data has ${bytes.length}`);
  }
  return out;
}

export function concatBuffers(data) {
  if (data == null) return new ArrayBuffer(0);
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  if (Array.isArray(data)) {
    const parts = data.map((d) => new Uint8Array(concatBuffers(d)));
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out.buffer;
  }
  throw new Error('tfjs import: weightData must be an ArrayBuffer, a typed array or an array of ArrayBuffers');
}

/**
 * Assigns decoded weights to the model's weights. A TF.js name is 'layer/weight' (TF.js and Keras 2),
 * 'layer/cell/weight' (TF 2.2+) or 'layer/index' (Keras 3): the layer is the longest matching prefix
 * or any matching part; the weight is matched by name, by index, or else by order within the layer.
 */
function matchWeights(model, decoded, shared = new Map()) {
  const targets = model.getWeights();
  const layerNames = new Set(targets.map((w) => w.layer));
  const assigned = new Array(targets.length).fill(null);
  for (const w of decoded) {
    const parts = w.name.replace(/:\d+$/, '').split('/');
    const weightName = parts.pop();
    let layer = null;
    for (let k = parts.length; k > 0 && !layer; k--) if (layerNames.has(parts.slice(0, k).join('/'))) layer = parts.slice(0, k).join('/');
    layer ??= [...parts].reverse().map((p) => p.replace(/^_/, '')).find((p) => layerNames.has(p));
    if (!layer) throw new Error(`tfjs import: weight '${w.name}' belongs to no layer of the model (layers: ${[...layerNames].join(', ')})`);
    const inLayer = targets.map((t, i) => i).filter((i) => targets[i].layer === layer);
    let i = inLayer.find((j) => targets[j].name === weightName);
    if (i === undefined && /^\d+$/.test(weightName)) i = inLayer[Number(weightName)];
    if (i === undefined) i = inLayer.find((j) => assigned[j] === null);
    if (i === undefined || assigned[i] !== null) throw new Error(`tfjs import: weight '${w.name}' has no free weight to go to in layer '${layer}'`);
    const t = targets[i];
    if (t.shape.length !== w.shape.length || t.shape.some((d, k) => d !== w.shape[k])) {
      throw new Error(`tfjs import: weight '${w.name}' has shape [${w.shape}], layer '${layer}' expects ${t.name} of shape [${t.shape}]`);
    }
    assigned[i] = w.data;
  }
  // The copies of a shared layer take its weights.
  targets.forEach((t, i) => {
    if (assigned[i] !== null || !shared.has(t.layer)) return;
    const j = targets.findIndex((o) => o.layer === shared.get(t.layer) && o.name === t.name);
    if (j >= 0) assigned[i] = assigned[j];
  });
  const missing = targets.filter((t, i) => assigned[i] === null).map((t) => `${t.layer}/${t.name}`);
  if (missing.length) throw new Error(`tfjs import: no weight data for ${missing.join(', ')}`);
  model.setWeights(targets.map((t, i) => ({ layer: t.layer, name: t.name, data: assigned[i] })));
}

function compileFrom(model, tc, dropped) {
  if (!tc) return;
  const o = tc.optimizer_config ?? tc.optimizerConfig ?? {};
  const cfg = Object.fromEntries(Object.entries(o.config ?? {}).map(([k, v]) => [camel(k), v]));
  const lr = typeof cfg.learningRate === 'number' ? cfg.learningRate : cfg.lr;
  let optimizer = null;
  if (typeof lr === 'number') {
    if (o.class_name === 'Adam') optimizer = { type: 'adam', learningRate: lr, beta1: cfg.beta1 ?? 0.9, beta2: cfg.beta2 ?? 0.999, epsilon: cfg.epsilon ?? 1e-7 };
    if ((o.class_name === 'RMSProp' || o.class_name === 'RMSprop') && !cfg.centered) {
      optimizer = { type: 'rmsprop', learningRate: lr, rho: cfg.decay ?? cfg.rho ?? 0.9, momentum: cfg.momentum ?? 0, epsilon: cfg.epsilon ?? 1e-7 };
    }
    if (o.class_name === 'SGD' || o.class_name === 'Momentum') {
      optimizer = { type: 'sgd', learningRate: lr, momentum: cfg.momentum ?? 0, nesterov: !!(cfg.useNesterov ?? cfg.nesterov) };
    }
  }
  const loss = typeof tc.loss === 'string' ? camel(tc.loss) : null;
  try {
    if (!optimizer || !loss) throw new Error('unsupported');
    model.compile({ optimizer, loss });
  } catch {
    dropped.push(`trainingConfig: ${JSON.stringify(tc.loss)} with ${o.class_name ?? 'no optimizer'}`);
  }
}

/**
 * A wasmcnn Model from TF.js ModelArtifacts ({ modelTopology, weightSpecs, weightData }, as
 * tf.io.withSaveHandler receives them). Throws an Error naming the layer and the option for
 * anything wasmcnn cannot compute the same way.
 */
export function fromTfjsArtifacts(artifacts) {
  if (!artifacts || typeof artifacts !== 'object' || !artifacts.modelTopology) {
    throw new Error('tfjs import: expected ModelArtifacts with modelTopology, weightSpecs and weightData');
  }
  if (artifacts.format != null && artifacts.format !== FORMAT) {
    throw new Error(`tfjs import: format '${artifacts.format}' is not a layers model (graph models can't be imported)`);
  }
  const { layers, inputShape, graph, keras3 } = readTopology(artifacts.modelTopology);
  const ours = artifacts.userDefinedMetadata?.wasmcnn;
  const dropped = [];
  const specs = layers.map(({ rec, index, name }) => {
    const spec = importLayer(rec, index, dropped, keras3);
    if (name) spec.config.name = name;
    return spec;
  });
  // TF.js 4.22's SeparableConv2D.getConfig() leaves out depth_multiplier: its depthwise kernel's
  // last dimension says what it is.
  for (const s of specs) {
    if (s.className !== 'SeparableConv2D' || s.config.depthMultiplier !== undefined) continue;
    const kernel = (artifacts.weightSpecs ?? []).find((w) => w.name.replace(/:\d+$/, '').endsWith(`${s.config.name}/depthwise_kernel`));
    if (kernel?.shape?.length === 4) s.config.depthMultiplier = kernel.shape[3];
  }
  // TF.js 4.22's DepthwiseConv2D ignores dilation_rate (in its output shape and its call): a model it
  // wrote computes without dilation, so it is imported that way and says so. A Keras model
  // (tensorflowjs_converter sets convertedBy) keeps its rate, as Keras computes it.
  const byTfjsLayers = !artifacts.convertedBy && /tfjs-layers/i.test(String(artifacts.generatedBy ?? ''));
  for (const s of specs) {
    const rate = [s.config.dilationRate ?? 1].flat();
    if (s.className !== 'DepthwiseConv2D' || !byTfjsLayers || rate.every((d) => d === 1)) continue;
    dropped.push(`${s.config.name}: dilation_rate ${JSON.stringify(s.config.dilationRate)} (TF.js' DepthwiseConv2D ignores it)`);
    delete s.config.dilationRate;
  }
  const shared = new Map(layers.filter((l) => l.sharedWith).map((l) => [l.name, l.sharedWith]));
  const axes = specs.map((s) => {
    if (s.className !== 'BatchNormalization') return undefined;  // Softmax and Concatenate keep theirs
    const { axis, ...config } = s.config;
    s.config = config;
    return axis;
  });
  for (const s of specs) if (ours?.lrMultipliers?.[s.config.name] !== undefined) s.config.lrMultiplier = ours.lrMultipliers[s.config.name];
  let model;
  const seed = Number.isInteger(ours?.seed) ? ours.seed : 42;
  try {
    const checked = specs.map((s) => layerSpec(s.className, s.config));
    model = graph ? graphModel({ inputShape, seed, ...graph, nodes: checked.map((s, i) => ({ ...s, inputs: layers[i].inputs })) })
      : sequential({ inputShape, seed, layers: checked });
  } catch (e) {
    throw new Error(`tfjs import: ${e.message}`);
  }
  try {
    model.layers.forEach((l, i) => {
      const rank = l.inputShape.length;
      if (axes[i] !== undefined && axes[i] !== -1 && axes[i] !== rank - 1) {
        throw new Error(`tfjs import: layer '${l.name}' (BatchNormalization): axis ${axes[i]} is not supported (wasmcnn normalises the last axis, ${rank - 1}, of input [${l.inputShape}])`);
      }
      if (l.className === 'Dense' && rank !== 2) {
        throw new Error(`tfjs import: layer '${l.name}' (Dense): an input of shape [${l.inputShape}] is not supported (wasmcnn's dense takes a flat input; add a Flatten before it)`);
      }
    });
    const specsList = artifacts.weightSpecs ?? [];
    matchWeights(model, decodeWeights(specsList, concatBuffers(artifacts.weightData)), shared);
    if (shared.size) {
      const names = [...new Set(shared.values())];
      console.warn(`tfjs import: ${names.map((n) => `'${n}'`).join(', ')} ${names.length > 1 ? 'are shared layers' : 'is a shared layer'} ` +
        `(applied more than once); wasmcnn gives each place its own copy with the same weights (${[...shared.keys()].join(', ')}): ` +
        'predictions are the same, but training would update the copies separately');
    }
    if (ours?.compile) model.compile(ours.compile);
    else compileFrom(model, artifacts.trainingConfig, dropped);
    const meta = ours?.metadata ?? { tfjs: { generatedBy: artifacts.generatedBy ?? null, convertedBy: artifacts.convertedBy ?? null,
      userDefinedMetadata: artifacts.userDefinedMetadata ?? null } };
    if (dropped.length) meta.tfjs = { ...meta.tfjs, dropped };
    // Constraints only act in training, but a user fine-tuning the model would lose them silently.
    const constraints = dropped.filter((d) => /_constraint$/.test(d));
    if (constraints.length) {
      console.warn(`tfjs import: wasmcnn does not apply weight constraints, so training this model will not enforce them (${constraints.join(', ')}); ` +
        'predictions are unaffected. The list is in model.metadata.tfjs.dropped');
    }
    model.metadata = meta;
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
