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
import { checkField, firstInvalid } from './fields.js';

const VALIDATION_SPLIT = 0.1;
// A softmax over 10 classes starts near ln 10 = 2.3; a run whose batch loss passes this has blown up.
const EXPLODED_LOSS = 25;
// The time left is estimated from the throughput of the last few seconds (the first batches are slow:
// the worker starts and V8 compiles the wasm), and only once there is that much to go on.
const RATE_WINDOW_MS = 3000;
const RATE_MIN_MS = 600;
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

/**
 * The library's "conv2d 'conv2': kernel [3,3] with 'valid' padding does not fit the input [1,1,4]"
 * in words, with the layer as the list numbers it: "Layer 4 (Conv2D): its 3×3 kernel does not fit…".
 */
export function plainLayerError(message, rowNames, rows) {
  const m = /^\w+ '([^']+)': (.*)$/s.exec(message);
  if (!m) return `These layers do not fit together: ${message}`;
  const i = rowNames.indexOf(m[1]);
  const where = i >= 0 ? `Layer ${i + 1} (${KINDS[rows[i].kind].label})` : `The ${m[1]} layer`;
  let text = m[2].replace(/\[(\d+(?:,\d+)*)\]/g, (_, d) => d.split(',').join('×'));
  const fit = /^(kernel|pool) (\S+) with '(\w+)' padding does not fit the input (\S+)$/.exec(text);
  if (fit) {
    text = `its ${fit[2]} ${fit[1]} does not fit its input, which the layers above it have shrunk to ${fit[4]}. `
      + `Remove a pooling layer above it, or make the ${fit[1]} smaller.`;
  }
  return `${where}: ${text}`;
}

/**
 * "2 threads (pthreads)": how training runs. `info` is cnn.backendInfo() of the training worker's
 * context when the job reports it, else of this page (the worker is isolated exactly when the page
 * is, so it loads the same build and gets the same thread count). A library without threads: 1.
 */
function showThreads(el, info) {
  const n = info?.threads ?? 1;
  const strategy = info?.strategy ?? 'single';
  el.textContent = `${n} thread${n === 1 ? '' : 's'} (${strategy === 'single' ? 'single-threaded' : strategy})`;
  el.dataset.threads = String(n);
  el.dataset.strategy = strategy;
  el.dataset.build = info?.build ?? 'single';
}

// The thread count training asks for: this context's (cnn.threads()), where the library has threads.
const threadOptions = () => (typeof cnn.threads === 'function' ? { threads: cnn.threads() } : {});
const pageBackend = () => (typeof cnn.backendInfo === 'function' ? cnn.backendInfo() : null);

/**
 * registry: the page's ModelRegistry. A finished (or stopped) run's model is added to it as 'trained'
 * and made active only when it is at least as accurate as the active model; otherwise the page says
 * so and offers it with one click.
 */
export function mountTrainPanel({ registry }) {
  const form = $('train-form');
  const preset = $('preset');
  const status = form.querySelector('[data-testid=train-status]');
  const trainButton = $('train');
  const stopButton = $('stop');
  const progress = $('train-progress');
  const progressText = $('progress-text');
  const valAccuracy = document.querySelector('[data-testid=val-accuracy]');
  const threadsInfo = document.querySelector('[data-testid=threads]');
  showThreads(threadsInfo, pageBackend());
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

  // Fields are checked as they are typed; Train waits until every one is right.
  const fieldsOk = () => !form.querySelector('input[aria-invalid="true"]');
  form.addEventListener('input', (e) => {
    if (e.target.matches('input[type=number]')) checkField(e.target);
    trainButton.disabled = !!job || !specOk || !fieldsOk();
    const idle = ['idle', 'error'].includes(status.dataset.state) && !job;
    if (idle && !fieldsOk()) setStatus('idle', 'Fix the field marked in red to train.');
    else if (idle && status.textContent === 'Fix the field marked in red to train.') setStatus('idle', 'Ready to train.');
  });

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
    let names = [];
    try {
      const { spec, rowNames } = currentSpec();
      names = rowNames;
      const { params, shapes } = checkSpec(spec);
      layers.showShapes(rowNames.map((n) => `→ ${shapes[n].join('×')}`));
      $('param-count').textContent = `${fmtInt(params)} weights${edited() ? ' · edited' : ''}`;
      error.textContent = '';
      specOk = true;
    } catch (e) {
      layers.showShapes([]);
      $('param-count').textContent = '';
      error.textContent = plainLayerError(e.message, names, layers.rows());
      specOk = false;
    }
    trainButton.disabled = !!job || !specOk || !fieldsOk();
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function setValAccuracy(v) {
    valAccuracy.dataset.value = v == null ? '' : String(v);
    valAccuracy.textContent = `Validation accuracy: ${v == null ? '–' : pct(v)}`;
  }

  async function train() {
    if (job) return;
    const bad = firstInvalid(form);
    if (bad) {
      bad.focus();
      setStatus('idle', 'Fix the field marked in red to train.');
      trainButton.disabled = true;
      return;
    }
    const settings = {
      epochs: Number($('epochs').value),
      count: Number($('train-size').value),
      batchSize: Number($('batch-size').value),
      learningRate: Number($('learning-rate').value),
      optimizer: $('optimizer').value,
    };
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
    stopButton.focus();
    useTrained.hidden = true;

    let started = 0;
    let epochsDone = 0;
    let stopRequested = false;
    let diverged = null; // { loss, epoch } once the loss blows up
    // Always keep the best validated epoch: what a stopped run hands back, and what a finished run
    // hands back when a later epoch got worse. A user's early stopping (added after) has the last word.
    const callbacks = [cnn.callbacks.earlyStopping({ monitor: 'val_acc', patience: settings.epochs + 1, restoreBestWeights: true }), ...reg.callbacks()];
    const marks = []; // [time, images done] of recent progress messages
    const onProgress = (epoch, seen) => {
      if (stopRequested) return; // the bar stays where Stop found it
      const done = epoch * nTrain + seen;
      progress.value = done;
      const t = performance.now();
      marks.push([t, done]);
      while (marks.length > 2 && t - marks[0][0] > RATE_WINDOW_MS) marks.shift();
      const [t0, d0] = marks[0];
      const rate = t - t0 >= RATE_MIN_MS && done > d0 ? (done - d0) / ((t - t0) / 1000) : 0;
      const eta = rate ? (total - done) / rate : NaN;
      progressText.dataset.rate = rate ? String(rate) : '';
      progressText.dataset.etaS = rate ? String(eta) : '';
      progressText.textContent = `Epoch ${epoch + 1}/${settings.epochs} · ${fmtInt(done)} of ${fmtInt(total)} images · `
        + (rate ? `${fmtInt(rate)} images/s · about ${fmtDuration(eta)} left` : 'measuring speed…');
    };
    const explode = (loss, epoch) => {
      if (diverged || (Number.isFinite(loss) && loss <= EXPLODED_LOSS)) return;
      diverged = { loss, epoch };
      stopRequested = true;
      setStatus('training', 'The loss is exploding: stopping…');
      thisJob.stop();
    };

    job = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: settings.count }), null, {
      compile: { optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      validationSplit: VALIDATION_SPLIT,
      progressEvery: 100,
      callbacks,
      ...reg.fitOptions(),
      ...threadOptions(),
    });
    const thisJob = job;
    stopButton.onclick = () => {
      stopRequested = true;
      stopButton.disabled = true;
      setStatus('training', 'Stopping after this batch…');
      thisJob.stop();
    };
    job.on('trainBegin', (e) => {
      started = performance.now();
      showThreads(threadsInfo, e?.backendInfo ?? pageBackend());
    });
    job.on('batch', ({ epoch, logs }) => {
      started ||= performance.now();
      explode(logs.loss, epoch);
      onProgress(epoch, logs.samplesSeen);
      if (Number.isFinite(logs.loss) && !diverged) curves.addTrain(epoch + logs.samplesSeen / nTrain, logs.loss, logs.acc);
    });
    job.on('epoch', ({ epoch, logs }) => {
      explode(logs.loss, epoch);
      if (diverged) return;
      epochsDone = epoch + 1;
      onProgress(epoch, nTrain);
      curves.addTrain(epoch + 1, logs.loss, logs.acc); // the epoch's last batches (progress events are sampled)
      if (typeof logs.val_acc === 'number') {
        curves.addVal(epoch + 1, logs.val_loss, logs.val_acc);
        setValAccuracy(logs.val_acc);
      }
    });
    const smaller = () => {
      const lr = settings.learningRate / 10;
      return `Learning rate ${settings.learningRate} is too large for this network: try ${Number(lr.toPrecision(2))} or smaller (the default is 0.002).`;
    };

    try {
      const { model, history } = await job;
      await new Promise((resolve) => setTimeout(resolve, 0)); // parsing the model was this task's work; the rest goes in the next
      if (diverged) {
        model.dispose();
        setStatus('error', `Training diverged: the loss reached ${Number.isFinite(diverged.loss) ? fmtInt(diverged.loss) : diverged.loss} in epoch ${diverged.epoch + 1} `
          + `(it starts near 2.3), so the run was stopped and its model thrown away. ${smaller()}`);
        progressText.textContent = 'Stopped: the loss diverged.';
        return;
      }
      // history.stopped without a Stop click: early stopping ended it, which is a normal finish.
      const stopped = stopRequested;
      const stoppedEarly = history.stopped && !stopRequested;
      const vals = history.history.val_acc ?? [];
      const userBest = reg.restoredEpoch(history, callbacks.slice(1));
      const best = userBest ?? (vals.length ? vals.indexOf(Math.max(...vals)) : null);
      const accuracy = best == null ? null : vals[best];
      const accuracyOn = `${fmtInt(nVal)} validation digits`;
      const seen = Math.round(progress.value);
      model.metadata = {
        name, accuracy, accuracyOn, trainedOn: nTrain, epochs: epochsDone, batchSize: settings.batchSize,
        optimizer: settings.optimizer, learningRate: settings.learningRate, seed: spec.seed, trainedIn: 'browser',
        ...(best != null ? { bestEpoch: best + 1 } : {}),
      };
      const seconds = started ? (performance.now() - started) / 1000 : 0;
      progressText.textContent = `${stopped ? 'Stopped' : 'Trained'} in ${fmtDuration(seconds)}`
        + `${!stopped && seconds > 0 ? ` · ${fmtInt((stoppedEarly ? epochsDone * nTrain : total) / seconds)} images/s on average` : ''}`;

      // Which model is active now: the new one only if it is at least as good on held-out data.
      const current = registry.active; // what is active now (a model loaded meanwhile counts)
      const activeName = current ? `the ${current.kind.startsWith('trained') ? 'earlier trained' : current.kind} model (${current.name})` : '';
      let verdict;
      let activate;
      if (accuracy == null) {
        activate = !current;
        verdict = current ? `Nothing was validated yet, so ${activeName} stays active.` : 'It was not validated, but it is the only model, so it is now active.';
      } else if (!current || current.accuracy == null || accuracy >= current.accuracy) {
        activate = true;
        verdict = current ? `That is at least as good as ${activeName}${current.accuracy != null ? ` (${pct(current.accuracy)})` : ''}, so it is now the active model.`
          : 'It is now the active model.';
      } else {
        activate = false;
        verdict = `That is below ${activeName} at ${pct(current.accuracy)}, so that one stays active; the new one is in the model list.`;
      }
      // A better model trained here before must not be pushed out by this one: it moves aside.
      if (!activate && current.kind === 'trained') registry.rekey('trained', 'trained-earlier');
      registry.set('trained', model, { name, accuracy, accuracyOn, activate });
      setValAccuracy(accuracy); // the kept epoch's, which may not be the last
      useTrained.hidden = activate;
      const which = best == null ? '' : vals.length > 1 || stopped ? `the best epoch, ${best + 1}, kept: ` : '';
      const summary = accuracy == null ? 'no epoch finished, so nothing was validated' : `${which}${pct(accuracy)} on ${accuracyOn}`;
      if (stopped) {
        setStatus('stopped', `Stopped at ${fmtInt(seen)} of ${fmtInt(total)} images (epoch ${Math.min(settings.epochs, Math.floor(seen / nTrain) + 1)} of ${settings.epochs}); ${summary}. ${verdict}`);
      } else {
        const early = stoppedEarly ? `early stopping ended training after ${epochsDone} of ${settings.epochs} epochs; ` : '';
        setStatus('done', `Done: ${early}${summary}. ${verdict}`);
        if (!stoppedEarly) progress.value = total;
      }
    } catch (e) {
      const blewUp = /diverged|NaN|Infinity/.test(e.message);
      setStatus('error', blewUp ? `Training diverged: the loss became ${/NaN/.test(e.message) ? 'NaN' : 'infinite'}, so the run was stopped and its model thrown away. ${smaller()}`
        : `Training failed: ${e.message}`);
    } finally {
      job = null;
      stopButton.disabled = true;
      stopButton.onclick = null;
      trainButton.disabled = !specOk || !fieldsOk();
      if (document.activeElement === document.body || document.activeElement === stopButton) trainButton.focus();
    }
  }

  const useTrained = $('use-trained');
  useTrained.addEventListener('click', () => {
    registry.activate('trained');
    useTrained.hidden = true;
  });

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
