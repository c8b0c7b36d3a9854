// The demo page: draw a digit and watch a CNN read it; train one in a worker; look inside.
// Started by app.js, which has already begun downloading the pretrained model.
//
// Data flows one way: pad -> preprocess (pure, preprocess.js) -> active model (main thread: one
// forward pass is about a millisecond) -> prediction and "see inside". Training runs in workers
// (train_panel.js, teach.js) and hands back new models; registry (models.js) says which is active.
// Contract for tests: [data-testid=status] data-state is loading | ready | missing | error, and is
// 'ready' once a model can predict; data-ready-ms says how long after navigation that took.
import * as cnn from '../lib/index.js';
import { DrawingPad } from './draw.js';
import { toMnist } from './preprocess.js';
import { mountPredictView } from './predict_view.js';
import { mountInside } from './inside.js';
import { mountTrainPanel } from './train_panel.js';
import { mountTeach } from './teach.js';
import { ModelRegistry, KIND_LABELS, checkDigitModel, pct, fmtInt } from './models.js';

const PREDICT_EVERY_MS = 70;

const $ = (id) => document.getElementById(id);
const statusEl = document.querySelector('[data-testid=status]');
const registry = new ModelRegistry();
const pad = new DrawingPad($('pad'));
const padFrame = $('pad').parentElement;
const view = mountPredictView({ prediction: document.querySelector('[data-testid=prediction]'), probs: $('probs'), seen: $('seen') });
const inside = mountInside($('inside'));
let input = null; // the last preprocessed input { pixels, empty }

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.querySelector('.status-text').textContent = text;
  if (state === 'ready' && !statusEl.dataset.readyMs) statusEl.dataset.readyMs = String(Math.round(performance.now()));
}

function describe(entry) {
  const measured = entry.accuracy != null;
  return {
    title: entry.name,
    short: measured ? `${pct(entry.accuracy)} accuracy on held-out digits` : 'accuracy not measured',
    long: measured ? `${pct(entry.accuracy)} accuracy on ${entry.accuracyOn ?? 'held-out digits'}` : 'accuracy not measured',
  };
}

// --- prediction, throttled while drawing ---

let lastPredict = 0;
let timer = 0;

function predictNow() {
  clearTimeout(timer);
  timer = 0;
  lastPredict = performance.now();
  const r = toMnist(pad.ink());
  input = { pixels: r.data, empty: r.empty };
  padFrame.classList.toggle('drawn', !pad.empty);
  const entry = registry.active;
  if (r.empty || !entry) {
    view.blank(r.data, entry ? 'draw a digit' : 'draw a digit (no model yet: train one)');
    inside.clear(r.data);
  } else {
    const x = cnn.tensor(r.data, [1, 28, 28, 1]);
    view.show(entry.model.predict(x).data, r.data);
    inside.update(entry.model, x, r.data);
  }
  teach.refresh();
}

function schedulePredict() {
  const wait = PREDICT_EVERY_MS - (performance.now() - lastPredict);
  if (wait <= 0) predictNow();
  else if (!timer) timer = setTimeout(predictNow, wait);
}

pad.on('change', schedulePredict);
pad.on('end', predictNow);
$('clear').addEventListener('click', () => pad.clear());

// --- models: the active one, switching, download, load from disk ---

const select = $('model-select');
registry.on((entry) => {
  select.replaceChildren(...registry.entries().map((e) => {
    const o = new Option(`${KIND_LABELS[e.kind]}: ${e.name}${e.accuracy != null ? ` (${pct(e.accuracy)})` : ''}`, e.kind);
    o.selected = e === entry;
    return o;
  }));
  select.disabled = registry.entries().length < 2;
  $('download').disabled = !entry;
  const d = describe(entry);
  $('model-about').textContent = `${d.title}: ${d.long}. ${entry.model.layers.length} layers, ${fmtInt(entry.params)} weights.`;
  setStatus('ready', `${d.title} · ${d.short}`);
  $('missing').hidden = true;
  inside.setModel(entry.model);
  predictNow();
});
select.addEventListener('change', () => registry.activate(select.value));

$('download').addEventListener('click', async () => {
  const entry = registry.active;
  if (!entry) return;
  const file = `digits-${entry.kind}-${new Date().toISOString().slice(0, 10)}`;
  try {
    entry.model.metadata = { ...entry.model.metadata, name: entry.name, accuracy: entry.accuracy, accuracyOn: entry.accuracyOn };
    await entry.model.save(`downloads://${file}`);
    $('model-message').textContent = `Saved ${file}.wcnn to your downloads.`;
  } catch (e) {
    $('model-message').textContent = `Could not save: ${e.message}`;
  }
});

$('load-file').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  e.target.value = '';
  if (!file) return;
  const message = $('model-message');
  message.textContent = `Loading ${file.name}…`;
  let model = null;
  try {
    model = await cnn.loadModel(new Uint8Array(await file.arrayBuffer()));
    checkDigitModel(model);
    registry.set('file', model, { name: model.metadata?.name ?? file.name, file: file.name });
    message.textContent = `Loaded ${file.name}; it is now the active model.`;
  } catch (err) {
    model?.dispose();
    message.textContent = `Could not load ${file.name}: ${err.message}`;
  }
});

// --- training and teaching ---

const train = mountTrainPanel({ onModel: (model, info) => registry.set('trained', model, info) });
const teach = mountTeach({ getInput: () => input, registry, clearPad: () => pad.clear() });
$('train-now').addEventListener('click', () => {
  $('epochs').value = '1';
  $('train-size').value = '2000';
  document.querySelector('.card.train').scrollIntoView({ behavior: 'smooth', block: 'start' });
  train.start();
});

// --- the pretrained model ---

function showMissing(state, status, why) {
  if (registry.active) return; // something was trained or loaded meanwhile
  setStatus(state, status);
  $('missing-why').textContent = why;
  $('missing').hidden = false;
  predictNow();
}

/** pretrained: app.js's download of models/digits.wcnn: {ok: true, bytes}, or a failed Response or {ok: false}. */
async function loadPretrained(pretrained) {
  const response = await pretrained;
  if (!response.ok) {
    if (response.status === 404) {
      showMissing('missing', 'No pretrained model: train one below',
        'The page looked for models/digits.wcnn (made by npm run train:models) and did not find it.');
    } else {
      const why = `Loading models/digits.wcnn failed (${response.status ? `HTTP ${response.status}` : response.statusText}).`;
      showMissing('error', 'Could not load the pretrained model', why);
    }
    return;
  }
  let model = null;
  try {
    const { bytes } = response;
    performance.mark('wasmcnn:pretrained-downloaded');
    model = await cnn.loadModel(bytes);
    performance.mark('wasmcnn:pretrained-parsed');
    checkDigitModel(model);
  } catch (e) {
    model?.dispose();
    showMissing('error', 'The pretrained model is unreadable', `models/digits.wcnn could not be used: ${e.message}.`);
    return;
  }
  const active = registry.active;
  registry.set('pretrained', model);
  if (active) registry.activate(active.kind); // something trained meanwhile stays active
}

/** Runs the page; `pretrained` is the pending download of the pretrained model. */
export function start({ pretrained }) {
  performance.mark('wasmcnn:page-started');
  predictNow();
  return loadPretrained(pretrained);
}
