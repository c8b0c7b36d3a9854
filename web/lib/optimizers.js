// Optimizer specs: plain records the core's OptimizerConfig is made from (Keras defaults).

function check(who, options, known) {
  if (options === null || typeof options !== 'object') throw new Error(`optimizers.${who}: options must be an object`);
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new Error(`optimizers.${who}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
  for (const k of known) {
    if (k === 'nesterov') {
      if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new Error(`optimizers.${who}: nesterov must be true or false`);
    } else if (options[k] !== undefined && (typeof options[k] !== 'number' || !Number.isFinite(options[k]) || options[k] < 0)) {
      throw new Error(`optimizers.${who}: ${k} must be a finite non-negative number, got ${JSON.stringify(options[k])}`);
    }
  }
}

export const optimizers = {
  /** SGD with optional (Nesterov) momentum: v = momentum*v - lr*g; w += v. */
  sgd(options = {}) {
    check('sgd', options, ['learningRate', 'momentum', 'nesterov']);
    if ((options.momentum ?? 0) >= 1) throw new Error(`optimizers.sgd: momentum must be in [0, 1), got ${options.momentum}`);
    return { type: 'sgd', learningRate: options.learningRate ?? 0.01, momentum: options.momentum ?? 0, nesterov: options.nesterov ?? false };
  },
  /** Adam (Kingma & Ba 2015). */
  adam(options = {}) {
    check('adam', options, ['learningRate', 'beta1', 'beta2', 'epsilon']);
    for (const b of ['beta1', 'beta2']) {
      if ((options[b] ?? 0) >= 1) throw new Error(`optimizers.adam: ${b} must be in [0, 1), got ${options[b]}`);
    }
    return { type: 'adam', learningRate: options.learningRate ?? 0.001, beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.999, epsilon: options.epsilon ?? 1e-7 };
  },
  /**
   * RMSprop (Tieleman & Hinton 2012) as TF.js computes it: ms = rho ms + (1-rho) g^2;
   * mom = momentum mom + lr g / sqrt(ms + epsilon); w -= mom. `decay` is TF.js' name for rho.
   */
  rmsprop(options = {}) {
    check('rmsprop', options, ['learningRate', 'rho', 'decay', 'momentum', 'epsilon']);
    if (options.rho !== undefined && options.decay !== undefined) throw new Error('optimizers.rmsprop: give rho or decay (its TF.js name), not both');
    const rho = options.rho ?? options.decay ?? 0.9;
    for (const [k, v] of [['rho', rho], ['momentum', options.momentum ?? 0]]) {
      if (v >= 1) throw new Error(`optimizers.rmsprop: ${k} must be in [0, 1), got ${v}`);
    }
    return { type: 'rmsprop', learningRate: options.learningRate ?? 0.001, rho, momentum: options.momentum ?? 0, epsilon: options.epsilon ?? 1e-7 };
  },
};

/** An optimizer spec (or 'sgd' / 'adam') as the core's full OptimizerConfig record. */
export function toCoreOptimizer(opt) {
  let o = opt;
  if (typeof opt === 'string') {
    if (!(opt in optimizers)) throw new Error(`compile: unknown optimizer '${opt}' (known: sgd, adam, rmsprop)`);
    o = optimizers[opt]();
  }
  if (!o || !['sgd', 'adam', 'rmsprop'].includes(o.type)) {
    throw new Error(`compile: optimizer must be 'sgd', 'adam', 'rmsprop' or from cnn.optimizers, got ${JSON.stringify(opt)}`);
  }
  return {
    type: o.type, learningRate: o.learningRate, momentum: o.momentum ?? 0, nesterov: o.nesterov ?? false,
    beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, epsilon: o.epsilon ?? 1e-7, ...(o.type === 'rmsprop' ? { rho: o.rho ?? 0.9 } : {}),
  };
}

/** The record the core's OptimizerConfig is read from: every field present (rho only matters to rmsprop). */
export function coreOptimizerRecord(o) {
  return { rho: 0.9, ...o };
}
