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
};

/** An optimizer spec (or 'sgd' / 'adam') as the core's full OptimizerConfig record. */
export function toCoreOptimizer(opt) {
  let o = opt;
  if (typeof opt === 'string') {
    if (!(opt in optimizers)) throw new Error(`compile: unknown optimizer '${opt}' (known: sgd, adam)`);
    o = optimizers[opt]();
  }
  if (!o || (o.type !== 'sgd' && o.type !== 'adam')) {
    throw new Error(`compile: optimizer must be 'sgd', 'adam' or from cnn.optimizers, got ${JSON.stringify(opt)}`);
  }
  return {
    type: o.type, learningRate: o.learningRate, momentum: o.momentum ?? 0, nesterov: o.nesterov ?? false,
    beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, epsilon: o.epsilon ?? 1e-7,
  };
}
