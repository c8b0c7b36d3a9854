// Training callbacks with Keras' semantics: early stopping (which really restores the best
// weights), reduce-on-plateau, and learning-rate schedules. Each built-in callback serialises with
// toJSON() so it can be re-created inside a training worker.

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];

/** Normalises fit's `callbacks` (an object, an array, or nothing) into one object with every hook. */
export function callbackList(callbacks, model, params) {
  const list = callbacks == null ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  for (const cb of list) {
    if (cb === null || typeof cb !== 'object') throw new Error(`fit: each callback must be an object with hooks like onEpochEnd, got ${cb}`);
    for (const [k, v] of Object.entries(cb)) {
      if (k.startsWith('on') && !HOOKS.includes(k)) throw new Error(`fit: unknown callback hook '${k}' (known: ${HOOKS.join(', ')})`);
      if (HOOKS.includes(k) && typeof v !== 'function') throw new Error(`fit: callback hook '${k}' must be a function`);
    }
    cb.setModel?.(model);
    cb.setParams?.(params);
  }
  const out = {};
  for (const hook of HOOKS) {
    out[hook] = async (...args) => {
      for (const cb of list) if (cb[hook]) await cb[hook](...args);
    };
  }
  return out;
}

function monitorMode(who, monitor, mode) {
  if (!['auto', 'min', 'max'].includes(mode)) throw new Error(`${who}: mode must be 'auto', 'min' or 'max', got ${JSON.stringify(mode)}`);
  if (typeof monitor !== 'string') throw new Error(`${who}: monitor must be a metric name such as 'val_loss'`);
  if (mode !== 'auto') return mode;
  return /acc/.test(monitor) ? 'max' : 'min';
}

function monitored(who, logs, monitor) {
  const v = logs[monitor];
  if (typeof v !== 'number') {
    throw new Error(`${who}: metric '${monitor}' is not in the epoch logs (have: ${Object.keys(logs).join(', ')}); ` +
      'val_* metrics need validationSplit or validationData');
  }
  return v;
}

/** At train begin: a val_* metric without validation data would only fail after a whole epoch of training. */
function needsValidation(who, monitor, params) {
  if (params && !params.doValidation && monitor.startsWith('val_')) {
    throw new Error(`${who}: metric '${monitor}' needs validation data; pass validationSplit or validationData to fit()`);
  }
}

function known(who, options, names) {
  for (const k of Object.keys(options)) {
    if (!names.includes(k)) throw new Error(`${who}: unknown option '${k}' (known: ${names.join(', ')})`);
  }
}

/** What fit() hands every built-in callback before training: the model and the run's params. */
class Callback {
  setModel(model) {
    this.model = model;
  }
  setParams(params) {
    this.params = params;
  }
}

/** True when v beats best by more than minDelta in the monitored direction ('min' or 'max'). */
function improves(direction, v, best, minDelta) {
  return direction === 'min' ? v < best - minDelta : v > best + minDelta;
}

class EarlyStopping extends Callback {
  constructor(options = {}) {
    super();
    known('earlyStopping', options, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights']);
    this.options = { monitor: 'val_loss', minDelta: 0, patience: 0, mode: 'auto', baseline: undefined, restoreBestWeights: false, ...options };
    const o = this.options;
    this.direction = monitorMode('earlyStopping', o.monitor, o.mode);
    if (typeof o.minDelta !== 'number' || o.minDelta < 0) throw new Error('earlyStopping: minDelta must be a number >= 0');
    if (!Number.isInteger(o.patience) || o.patience < 0) throw new Error('earlyStopping: patience must be an integer >= 0');
  }
  onTrainBegin() {
    needsValidation('earlyStopping', this.options.monitor, this.params);
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.best = this.options.baseline ?? (this.direction === 'min' ? Infinity : -Infinity);
    this.bestEpoch = -1;
    this.bestWeights = null;
  }
  onEpochEnd(epoch, logs) {
    const v = monitored('earlyStopping', logs, this.options.monitor);
    if (improves(this.direction, v, this.best, this.options.minDelta) || (this.bestEpoch < 0 && this.options.baseline === undefined)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.options.restoreBestWeights) this.bestWeights = this.model.getWeights();
      return;
    }
    // Keras and TF.js: stop once `patience` epochs in a row have not improved (0: at the first).
    this.wait += 1;
    if (this.wait >= this.options.patience) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }
  onTrainEnd() {
    // Keras restores the best weights whenever training ends past the best epoch.
    if (this.options.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights);
  }
  toJSON() {
    return { callback: 'earlyStopping', options: this.options };
  }
}

class ReduceLROnPlateau extends Callback {
  constructor(options = {}) {
    super();
    known('reduceLROnPlateau', options, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'mode']);
    this.options = { monitor: 'val_loss', factor: 0.1, patience: 10, minDelta: 1e-4, cooldown: 0, minLr: 0, mode: 'auto', ...options };
    const o = this.options;
    this.direction = monitorMode('reduceLROnPlateau', o.monitor, o.mode);
    if (!(o.factor > 0 && o.factor < 1)) throw new Error(`reduceLROnPlateau: factor must be in (0, 1), got ${o.factor}`);
    if (!Number.isInteger(o.patience) || o.patience < 0) throw new Error('reduceLROnPlateau: patience must be an integer >= 0');
  }
  onTrainBegin() {
    needsValidation('reduceLROnPlateau', this.options.monitor, this.params);
    this.best = this.direction === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownLeft = 0;
  }
  onEpochEnd(epoch, logs) {
    const v = monitored('reduceLROnPlateau', logs, this.options.monitor);
    if (this.cooldownLeft > 0) this.cooldownLeft -= 1;
    if (improves(this.direction, v, this.best, this.options.minDelta)) {
      this.best = v;
      this.wait = 0;
    } else if (this.cooldownLeft === 0 && ++this.wait >= this.options.patience) {
      const lr = this.model.learningRate;
      const next = Math.max(lr * this.options.factor, this.options.minLr);
      if (next < lr) this.model.learningRate = next;
      this.cooldownLeft = this.options.cooldown;
      this.wait = 0;
    }
  }
  toJSON() {
    return { callback: 'reduceLROnPlateau', options: this.options };
  }
}

/** Sets the learning rate at the start of each epoch from schedule(epoch, currentLr). */
class LearningRateScheduler extends Callback {
  constructor(schedule) {
    super();
    if (typeof schedule !== 'function') throw new Error('learningRateScheduler: expects a schedule from cnn.schedules or a function (epoch, lr) => lr');
    this.schedule = schedule;
  }
  onEpochBegin(epoch) {
    const lr = this.schedule(epoch, this.model.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`learningRateScheduler: the schedule returned ${lr} for epoch ${epoch}; expected a finite number >= 0`);
    }
    this.model.learningRate = lr;
  }
  toJSON() {
    if (!this.schedule.spec) throw new Error('learningRateScheduler: only schedules from cnn.schedules can be sent to a worker');
    return { callback: 'learningRateScheduler', options: this.schedule.spec };
  }
}

function positive(who, name, v) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`schedules.${who}: ${name} must be a positive number, got ${JSON.stringify(v)}`);
}

/** Learning-rate schedules by epoch: functions (epoch) => lr, serialisable through .spec. */
export const schedules = {
  /** initial * factor^floor(epoch / every) */
  step({ initial, factor = 0.5, every = 10 }) {
    positive('step', 'initial', initial);
    positive('step', 'factor', factor);
    positive('step', 'every', every);
    return Object.assign((epoch) => initial * factor ** Math.floor(epoch / every), { spec: { kind: 'step', initial, factor, every } });
  },
  /** initial * rate^epoch */
  exponential({ initial, rate = 0.9 }) {
    positive('exponential', 'initial', initial);
    positive('exponential', 'rate', rate);
    return Object.assign((epoch) => initial * rate ** epoch, { spec: { kind: 'exponential', initial, rate } });
  },
  /** Cosine annealing (Loshchilov & Hutter 2017) from initial to min over `epochs`. */
  cosine({ initial, epochs, min = 0 }) {
    positive('cosine', 'initial', initial);
    positive('cosine', 'epochs', epochs);
    return Object.assign(
      (epoch) => min + 0.5 * (initial - min) * (1 + Math.cos(Math.PI * Math.min(epoch, epochs) / epochs)),
      { spec: { kind: 'cosine', initial, epochs, min } },
    );
  },
};

export const callbacks = {
  earlyStopping: (options) => new EarlyStopping(options),
  reduceLROnPlateau: (options) => new ReduceLROnPlateau(options),
  learningRateScheduler: (schedule) => new LearningRateScheduler(schedule),
};

/** Re-creates a built-in callback from its toJSON() form (used by the training worker). */
export function callbackFromJSON({ callback, options }) {
  if (callback === 'learningRateScheduler') {
    const { kind, ...rest } = options;
    if (!(kind in schedules)) throw new Error(`unknown schedule '${kind}'`);
    return new LearningRateScheduler(schedules[kind](rest));
  }
  if (!(callback in callbacks)) throw new Error(`unknown callback '${callback}'`);
  return callbacks[callback](options);
}
