// Layer specs: plain, JSON-safe records { className, config } with Keras' class names and
// camelCase options, as TensorFlow.js writes them. Factories validate option names and types
// immediately; toCoreConfig() turns a spec into the core's flat LayerConfig.

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];
const INITIALIZERS = {
  glorotUniform: 'glorot_uniform', glorotNormal: 'glorot_normal', heUniform: 'he_uniform', heNormal: 'he_normal',
  leCunUniform: 'lecun_uniform', lecunUniform: 'lecun_uniform', zeros: 'zeros', ones: 'ones',
};
for (const v of Object.values(INITIALIZERS)) INITIALIZERS[v] = v;

const COMMON = ['name', 'trainable', 'inputShape', 'lrMultiplier'];
const WEIGHTED = ['activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer'];
const POOL = ['poolSize', 'strides', 'padding'];

// className -> [factory name, core type, allowed options, required options]
const KINDS = {
  Conv2D: ['conv2d', 'conv2d', ['filters', 'kernelSize', 'strides', 'padding', ...WEIGHTED], ['filters', 'kernelSize']],
  Dense: ['dense', 'dense', ['units', ...WEIGHTED], ['units']],
  Flatten: ['flatten', 'flatten', [], []],
  Activation: ['activation', 'activation', ['activation'], ['activation']],
  MaxPooling2D: ['maxPooling2d', 'max_pooling2d', POOL, []],
  AveragePooling2D: ['averagePooling2d', 'average_pooling2d', POOL, []],
  SumPooling2D: ['sumPooling2d', 'sum_pooling2d', POOL, []],
  GlobalAveragePooling2D: ['globalAveragePooling2d', 'global_average_pooling2d', [], []],
  Dropout: ['dropout', 'dropout', ['rate'], ['rate']],
  BatchNormalization: ['batchNormalization', 'batch_normalization', ['momentum', 'epsilon', 'center', 'scale'], []],
  GaussianNoise: ['gaussianNoise', 'gaussian_noise', ['stddev'], ['stddev']],
};
export const CLASS_OF_CORE_TYPE = Object.fromEntries(Object.entries(KINDS).map(([cls, k]) => [k[1], cls]));

// The core's sizes are 32-bit ints: a bigger number would wrap around at the boundary (2^32 + 10
// units would quietly become 10), so it is refused here.
const MAX_INT = 2 ** 31 - 1;
const isSize = (d) => Number.isInteger(d) && d > 0 && d <= MAX_INT;

function fail(who, message) {
  throw new Error(`${who}: ${message}`);
}

function pair(who, key, v) {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every(isSize)) {
    fail(who, `${key} must be a positive integer (below 2^31) or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function checkConfig(className, config) {
  const [factory, , allowed, required] = KINDS[className];
  const who = config && typeof config.name === 'string' ? `${factory} '${config.name}'` : factory;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    fail(who, `options must be an object, got ${JSON.stringify(config)}`);
  }
  const known = [...allowed, ...COMMON];
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) fail(who, `unknown option '${key}' (known: ${known.join(', ')})`);
  }
  for (const key of required) if (config[key] === undefined) fail(who, `missing option '${key}'`);
  const int = (k) => config[k] === undefined || isSize(config[k]) ||
    fail(who, `${k} must be a positive integer (below 2^31), got ${JSON.stringify(config[k])}`);
  const num = (k, lo, hi) => config[k] === undefined ||
    (typeof config[k] === 'number' && config[k] >= lo && config[k] <= hi) ||
    fail(who, `${k} must be a number in [${lo}, ${hi}], got ${JSON.stringify(config[k])}`);
  const bool = (k) => config[k] === undefined || typeof config[k] === 'boolean' ||
    fail(who, `${k} must be true or false, got ${JSON.stringify(config[k])}`);
  int('filters');
  int('units');
  num('rate', 0, 0.999999);
  num('stddev', 0, 1e6);
  num('momentum', 0, 1);
  num('epsilon', 1e-12, 1);
  num('lrMultiplier', 0, 1e6);
  ['useBias', 'center', 'scale', 'trainable'].forEach(bool);
  if (config.name !== undefined && (typeof config.name !== 'string' || !/^[\w./-]{1,128}$/.test(config.name))) {
    fail(who, `name must be 1-128 letters, digits or _ . / -, got ${JSON.stringify(config.name)}`);
  }
  if (config.kernelSize !== undefined) pair(who, 'kernelSize', config.kernelSize);
  if (config.strides !== undefined) pair(who, 'strides', config.strides);
  if (config.poolSize !== undefined) pair(who, 'poolSize', config.poolSize);
  if (config.padding !== undefined && !['valid', 'same'].includes(config.padding)) {
    fail(who, `padding must be 'valid' or 'same', got ${JSON.stringify(config.padding)}`);
  }
  if (config.activation !== undefined && !ACTIVATIONS.includes(config.activation)) {
    fail(who, `unknown activation ${JSON.stringify(config.activation)} (known: ${ACTIVATIONS.join(', ')})`);
  }
  for (const k of ['kernelInitializer', 'biasInitializer']) {
    if (config[k] !== undefined && !(config[k] in INITIALIZERS)) {
      fail(who, `unknown ${k} ${JSON.stringify(config[k])} (known: glorotUniform, glorotNormal, heUniform, heNormal, leCunUniform, zeros, ones)`);
    }
  }
  for (const k of ['kernelRegularizer', 'biasRegularizer']) {
    const r = config[k];
    if (r !== undefined && r !== null && !(r && r.className === 'L1L2' && r.config)) {
      fail(who, `${k} must come from cnn.regularizers.l1/l2/l1l2, got ${JSON.stringify(r)}`);
    }
  }
  if (config.inputShape !== undefined &&
      (!Array.isArray(config.inputShape) || !config.inputShape.every(isSize))) {
    fail(who, `inputShape must be an array of positive integers (below 2^31), got ${JSON.stringify(config.inputShape)}`);
  }
}

/** A layer spec from its Keras class name and config, validated. */
export function layerSpec(className, config = {}) {
  if (!(className in KINDS)) {
    throw new Error(`unknown layer class '${className}' (known: ${Object.keys(KINDS).join(', ')})`);
  }
  checkConfig(className, config);
  return { className, config: { ...config } };
}

export const layers = Object.fromEntries(
  Object.entries(KINDS).map(([className, [factory]]) => [factory, (config = {}) => layerSpec(className, config)]),
);

/** The core's LayerConfig record for a spec: every field present, defaults as Keras'. */
export function toCoreConfig(spec) {
  if (spec && typeof spec.className === 'string' && !(spec.className in KINDS)) {
    throw new Error(`unknown layer class '${spec.className}' (known: ${Object.keys(KINDS).join(', ')})`);
  }
  if (!spec || typeof spec !== 'object' || !(spec.className in KINDS)) {
    throw new Error(`expected a layer from cnn.layers (e.g. cnn.layers.dense({units: 10})), got ${JSON.stringify(spec)}`);
  }
  // Specs written by hand, read from JSON or sent to a worker skipped the factory's checks.
  checkConfig(spec.className, spec.config);
  const c = spec.config;
  const [, type] = KINDS[spec.className];
  const kernel = c.kernelSize !== undefined ? pair(type, 'kernelSize', c.kernelSize) : [3, 3];
  const pool = c.poolSize !== undefined ? pair(type, 'poolSize', c.poolSize) : [2, 2];
  const isPool = type.endsWith('pooling2d') && type !== 'global_average_pooling2d';
  const strides = c.strides !== undefined ? pair(type, 'strides', c.strides) : isPool ? pool : [1, 1];
  const kr = c.kernelRegularizer?.config ?? {};
  const br = c.biasRegularizer?.config ?? {};
  return {
    type,
    name: c.name ?? '',
    trainable: c.trainable ?? true,
    lrMultiplier: c.lrMultiplier ?? 1,
    filters: c.filters ?? 0,
    units: c.units ?? 0,
    kernelH: kernel[0],
    kernelW: kernel[1],
    strideH: strides[0],
    strideW: strides[1],
    padding: c.padding ?? 'valid',
    activation: c.activation ?? 'linear',
    useBias: c.useBias ?? true,
    kernelInitializer: INITIALIZERS[c.kernelInitializer ?? 'glorotUniform'],
    biasInitializer: INITIALIZERS[c.biasInitializer ?? 'zeros'],
    kernelL1: kr.l1 ?? 0,
    kernelL2: kr.l2 ?? 0,
    biasL1: br.l1 ?? 0,
    biasL2: br.l2 ?? 0,
    poolH: pool[0],
    poolW: pool[1],
    rate: c.rate ?? 0,
    stddev: c.stddev ?? 0,
    momentum: c.momentum ?? 0.99,
    epsilon: c.epsilon ?? 1e-3,
    center: c.center ?? true,
    scale: c.scale ?? true,
  };
}

/** The spec of a core LayerConfig (the inverse of toCoreConfig, with Keras defaults left out). */
export function fromCoreConfig(cc) {
  const className = CLASS_OF_CORE_TYPE[cc.type];
  const c = { name: cc.name };
  if (!cc.trainable) c.trainable = false;
  if (cc.lrMultiplier !== 1) c.lrMultiplier = cc.lrMultiplier;
  const reg = (l1, l2) => (l1 || l2 ? { className: 'L1L2', config: { l1, l2 } } : undefined);
  const weighted = () => {
    c.activation = cc.activation;
    if (!cc.useBias) c.useBias = false;
    const camel = (s) => s.replace(/_(\w)/g, (_, ch) => ch.toUpperCase()).replace('lecun', 'leCun');
    c.kernelInitializer = camel(cc.kernelInitializer);
    c.biasInitializer = camel(cc.biasInitializer);
    const kr = reg(cc.kernelL1, cc.kernelL2);
    const br = reg(cc.biasL1, cc.biasL2);
    if (kr) c.kernelRegularizer = kr;
    if (br) c.biasRegularizer = br;
  };
  switch (className) {
    case 'Conv2D':
      Object.assign(c, { filters: cc.filters, kernelSize: [cc.kernelH, cc.kernelW], strides: [cc.strideH, cc.strideW], padding: cc.padding });
      weighted();
      break;
    case 'Dense':
      c.units = cc.units;
      weighted();
      break;
    case 'Activation':
      c.activation = cc.activation;
      break;
    case 'MaxPooling2D': case 'AveragePooling2D': case 'SumPooling2D':
      Object.assign(c, { poolSize: [cc.poolH, cc.poolW], strides: [cc.strideH || cc.poolH, cc.strideW || cc.poolW], padding: cc.padding });
      break;
    case 'Dropout':
      c.rate = cc.rate;
      break;
    case 'GaussianNoise':
      c.stddev = cc.stddev;
      break;
    case 'BatchNormalization':
      Object.assign(c, { momentum: cc.momentum, epsilon: cc.epsilon, center: cc.center, scale: cc.scale });
      break;
    default:
      break;
  }
  return { className, config: c };
}

function regularizer(who, l1, l2) {
  for (const [k, v] of [['l1', l1], ['l2', l2]]) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`regularizers.${who}: ${k} must be a finite non-negative number, got ${JSON.stringify(v)}`);
    }
  }
  return { className: 'L1L2', config: { l1, l2 } };
}

/** Weight penalties: loss += l1 * sum|w| + l2 * sum w^2 (Keras' definitions). */
export const regularizers = {
  l1: ({ l1 = 0.01 } = {}) => regularizer('l1', l1, 0),
  l2: ({ l2 = 0.01 } = {}) => regularizer('l2', 0, l2),
  l1l2: ({ l1 = 0.01, l2 = 0.01 } = {}) => regularizer('l1l2', l1, l2),
};
