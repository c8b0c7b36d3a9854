// The training panel: architecture (preset + editable layers), hyperparameters, the regularisation
// slot, and a training run in a Web Worker with progress, live curves and Stop.
//
// The worker loads the MNIST sample itself (cnn.data.sampleRef): this thread never holds or copies
// it, and only receives progress messages and, at the end, the trained model's bytes.
// Contract for tests: train-status's data-state is idle | training | done | stopped | error;
// val-accuracy's data-value is the last validation accuracy (0..1).
import * as cnn from '../lib/index.js';
import { KINDS, PRESETS, presetRows, buildSpec, checkSpec } from './layer_list.js';
import { mountLayerList } from './layer_list.js';
import { mountRegularisation } from './regularisation.js';
import { Curves } from './charts.js';
import { pct, fmtInt } from './models.js';

const VALIDATION_SPLIT = 0.1;
const $ = (id) => document.getElementById(id);

function fmtDuration(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.max(0, Math.round(s))} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

function rowText(r) {
  switch (r.kind) {
    case 'conv2d': return `conv ${r.filters}@${r.kernelSize}×${r.kernelSize}`;
    case 'maxPooling2d': return `maxpool ${r.poolSize}`;
    case 'averagePooling2d': return `avgpool ${r.poolSize}`;
    case 'dense': return `dense ${r.units}`;
    default: return KINDS[r.kind].label.toLowerCase();
  }
}

/** onModel(model, info) receives each trained model (info: { name, accuracy, accuracyOn }). */
export function mountTrainPanel({ onModel }) {
  const form = $('train-form');
  const preset = $('preset');
  const status = form.querySelector('[data-testid=train-status]');
  const trainButton = $('train');
  const stopButton = $('stop');
  const progress = $('train-progress');
  const progressText = $('progress-text');
  const valAccuracy = document.querySelector('[data-testid=val-accuracy]');
  const curves = new Curves($('curves'));
  const reg = mountRegularisation($('regularisation'), { onChange: () => refresh() });
  let job = null;
  let specOk = true;

  for (const [key, p] of Object.entries(PRESETS)) preset.append(new Option(p.label, key));
  for (const [kind, k] of Object.entries(KINDS)) $('add-kind').append(new Option(`${k.label} (${k.hint})`, kind));

  const layers = mountLayerList($('layer-list'), refresh);
  preset.addEventListener('change', () => layers.setRows(presetRows(preset.value)));
  $('add-layer').addEventListener('click', () => layers.add($('add-kind').value));
  $('reset-layers').addEventListener('click', () => layers.setRows(presetRows(preset.value)));

  function edited() {
    return JSON.stringify(layers.rows()) !== JSON.stringify(PRESETS[preset.value].rows);
  }

  function currentSpec() {
    return buildSpec(layers.rows(), { seed: Number($('seed').value) || 0, transformLayers: reg.transformLayers });
  }

  // The first check builds a model in wasm, whose functions V8 compiles on first use: it waits until
  // the page is idle so it does not delay the pretrained model. Later edits are checked at once.
  let deferCheck = true;
  function refresh() {
    const rows = layers.rows();
    $('layer-summary').textContent = [...rows.map(rowText), 'dense 10'].join(' → ');
    if (deferCheck) {
      deferCheck = false;
      (window.requestIdleCallback ?? ((fn) => setTimeout(fn, 500)))(check, { timeout: 3000 });
      return;
    }
    check();
  }

  function check() {
    const error = $('layer-error');
    try {
      const { spec, rowNames } = currentSpec();
      const { params, shapes } = checkSpec(spec);
      layers.showShapes(rowNames.map((n) => `→ ${shapes[n].join('×')}`));
      $('param-count').textContent = `${fmtInt(params)} weights${edited() ? ' · edited' : ''}`;
      error.textContent = '';
      specOk = true;
    } catch (e) {
      layers.showShapes([]);
      $('param-count').textContent = '';
      error.textContent = `These layers do not fit together: ${e.message}`;
      specOk = false;
    }
    trainButton.disabled = !!job || !specOk;
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function setValAccuracy(v) {
    valAccuracy.dataset.value = v == null ? '' : String(v);
    valAccuracy.textContent = `Validation accuracy: ${v == null ? '–' : pct(v)}`;
  }

  function readNumber(id, { min, max, integer }) {
    const input = $(id);
    const v = Number(input.value);
    const ok = input.value !== '' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v));
    input.setAttribute('aria-invalid', String(!ok));
    if (!ok) {
      input.focus();
      const label = input.closest('label')?.firstChild?.textContent.trim() ?? id;
      throw new Error(`${label} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
    return v;
  }

  async function train() {
    if (job) return;
    let settings;
    try {
      settings = {
        epochs: readNumber('epochs', { min: 1, max: 50, integer: true }),
        count: readNumber('train-size', { min: 200, max: 10000, integer: true }),
        batchSize: Number($('batch-size').value),
        learningRate: readNumber('learning-rate', { min: 1e-6, max: 1, integer: false }),
        optimizer: $('optimizer').value,
      };
    } catch (e) {
      setStatus('error', e.message);
      return;
    }
    const { spec } = currentSpec();
    const nTrain = Math.floor(settings.count * (1 - VALIDATION_SPLIT));
    const nVal = settings.count - nTrain;
    const total = settings.epochs * nTrain;
    const name = `${PRESETS[preset.value].label}${edited() ? ' (edited)' : ''}${reg.describe() ? ` + ${reg.describe()}` : ''}`;
    const optimizer = settings.optimizer === 'sgd'
      ? cnn.optimizers.sgd({ learningRate: settings.learningRate, momentum: 0.9 })
      : cnn.optimizers.adam({ learningRate: settings.learningRate });

    curves.reset(settings.epochs);
    setValAccuracy(null);
    progress.max = total;
    progress.value = 0;
    progressText.textContent = `Starting a worker and loading ${fmtInt(settings.count)} images…`;
    setStatus('training', `Training ${name}…`);
    trainButton.disabled = true;
    stopButton.disabled = false;

    let started = 0;
    let lastVal = null;
    let epochsDone = 0;
    let stopRequested = false;
    const callbacks = reg.callbacks();
    const onProgress = (epoch, seen) => {
      const done = epoch * nTrain + seen;
      progress.value = done;
      const t = (performance.now() - started) / 1000;
      const rate = t > 0.05 ? done / t : 0;
      const eta = rate > 0 ? (total - done) / rate : NaN;
      progressText.textContent = `Epoch ${epoch + 1}/${settings.epochs} · ${fmtInt(done)} of ${fmtInt(total)} images · `
        + `${rate ? fmtInt(rate) : '–'} images/s · ${fmtDuration(eta)} left`;
    };

    job = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: settings.count }), null, {
      compile: { optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      validationSplit: VALIDATION_SPLIT,
      progressEvery: 100,
      callbacks,
      ...reg.fitOptions(),
    });
    const thisJob = job;
    stopButton.onclick = () => {
      stopRequested = true;
      stopButton.disabled = true;
      setStatus('training', 'Stopping after this batch…');
      thisJob.stop();
    };
    job.on('trainBegin', () => { started = performance.now(); });
    job.on('batch', ({ epoch, logs }) => {
      started ||= performance.now();
      onProgress(epoch, logs.samplesSeen);
      curves.addTrain(epoch + logs.samplesSeen / nTrain, logs.loss, logs.acc);
    });
    job.on('epoch', ({ epoch, logs }) => {
      epochsDone = epoch + 1;
      onProgress(epoch, nTrain);
      curves.addTrain(epoch + 1, logs.loss, logs.acc); // the epoch's last batches (progress events are sampled)
      if (typeof logs.val_acc === 'number') {
        lastVal = logs.val_acc;
        curves.addVal(epoch + 1, logs.val_loss, logs.val_acc);
        setValAccuracy(logs.val_acc);
      }
    });

    try {
      const { model, history } = await job;
      await new Promise((resolve) => setTimeout(resolve, 0)); // parsing the model was this task's work; the rest goes in the next
      // history.stopped without a Stop click: early stopping ended it, which is a normal finish.
      const stopped = stopRequested;
      const stoppedEarly = history.stopped && !stopRequested;
      const restored = reg.restoredEpoch(history, callbacks);
      if (restored != null) lastVal = history.history.val_acc[restored];
      model.metadata = {
        name,
        accuracy: lastVal,
        accuracyOn: `${fmtInt(nVal)} validation digits`,
        trainedOn: nTrain,
        epochs: epochsDone,
        batchSize: settings.batchSize,
        optimizer: settings.optimizer,
        learningRate: settings.learningRate,
        seed: spec.seed,
        trainedIn: 'browser',
      };
      onModel(model, { name, accuracy: lastVal, accuracyOn: `${fmtInt(nVal)} validation digits` });
      const seconds = started ? (performance.now() - started) / 1000 : 0;
      progressText.textContent = `${stopped ? 'Stopped' : 'Trained'} in ${fmtDuration(seconds)}`
        + `${!stopped && seconds > 0 ? ` · ${fmtInt((stoppedEarly ? epochsDone * nTrain : total) / seconds)} images/s on average` : ''}`;
      const summary = lastVal == null ? 'not validated: stopped before the first epoch ended'
        : `validation accuracy ${pct(lastVal)}${restored != null ? `, the best, from epoch ${restored + 1}` : ''}`;
      if (stopped) {
        setStatus('stopped', `Stopped after ${epochsDone} of ${settings.epochs} epochs (${summary}). It is now the active model.`);
      } else {
        const early = stoppedEarly ? `early stopping ended training after ${epochsDone} of ${settings.epochs} epochs; ` : '';
        setStatus('done', `Done: ${early}${summary}. It is now the active model.`);
        if (!stoppedEarly) progress.value = total;
      }
    } catch (e) {
      setStatus('error', `Training failed: ${e.message}`);
    } finally {
      job = null;
      stopButton.disabled = true;
      stopButton.onclick = null;
      trainButton.disabled = !specOk;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    train();
  });

  layers.setRows(presetRows(preset.value));
  setValAccuracy(null);

  return {
    /** Starts training with the current settings (the "train a model now" button). */
    start: () => train(),
    get busy() {
      return !!job;
    },
  };
}
