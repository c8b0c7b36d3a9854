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
import { mountTeachClasses } from './teach_classes.js';
import { mountGallery } from './gallery.js';
import { notADigit } from './ood.js';
import { ModelRegistry, KIND_LABELS, checkDigitModel, pct, fmtInt } from './models.js';

const PREDICT_EVERY_MS = 70;

const $ = (id) => document.getElementById(id);
const statusEl = document.querySelector('[data-testid=status]');
const registry = new ModelRegistry();
const pad = new DrawingPad($('pad'));
const padFrame = $('pad').parentElement;
const view = mountPredictView({ prediction: document.querySelector('[data-testid=prediction]'), probs: $('probs'), seen: $('seen'), announce: $('announce') });
const inside = mountInside($('inside'));
let input = null; // the last preprocessed input { pixels, empty }

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.querySelector('.status-text').textContent = text;
  if (state === 'ready' && !statusEl.dataset.readyMs) statusEl.dataset.readyMs = String(Math.round(performance.now()));
}

/** The active model's card: what it is, how good, on what, and where it came from. */
function describe(entry) {
  const meta = entry.model.metadata ?? {};
  const measured = entry.accuracy != null;
  const on = entry.accuracyOn ?? (entry.domain === 'digits' ? 'held-out digits' : 'held-out data');
  const origin = meta.fineTunedOn ? `Fine-tuned from ${meta.baseModel ?? 'a digit model'} on ${meta.fineTunedOn} of your drawings. `
    : meta.taughtClasses ? `Taught here from ${meta.taughtExamples} drawings of ${meta.taughtClasses.join(', ')}, on the features of ${meta.baseModel}. `
      : meta.trainedIn === 'browser' ? `Trained in this page: ${fmtInt(meta.trainedOn ?? 0)} images, ${meta.epochs} epochs. ` : '';
  const classes = entry.domain === 'digits' ? '' : ` Classes: ${entry.classes.join(', ')}.`;
  return {
    title: entry.name,
    short: measured ? `${pct(entry.accuracy)} accuracy on ${entry.domain === 'digits' && !meta.fineTunedOn && !meta.trainedIn ? 'held-out digits' : on}` : 'accuracy not measured',
    long: `${origin}${measured ? `${pct(entry.accuracy)} accuracy on ${on}` : 'Accuracy not measured'}.${classes}`,
  };
}

// --- prediction, throttled while drawing ---

let lastPredict = 0;
let timer = 0;
let picture = null; // a gallery picture (Fashion-MNIST) in place of the pad: Float32Array(784)

function predictNow(settled = false) {
  clearTimeout(timer);
  timer = 0;
  lastPredict = performance.now();
  const entry = registry.active;
  const r = entry?.domain === 'pictures'
    ? (picture ? { data: picture, empty: false } : { data: new Float32Array(784), empty: true })
    : toMnist(pad.ink());
  input = { pixels: r.data, empty: r.empty };
  padFrame.classList.toggle('drawn', !pad.empty);
  if (r.empty || !entry) {
    const noun = entry?.domain === 'pictures' ? 'pick a picture' : entry?.domain === 'drawings' ? `draw a ${entry.classes.join(', a ')}` : 'draw a digit';
    view.blank(r.data, entry ? noun : 'draw a digit (no model yet: train one)');
    inside.clear(r.data);
  } else {
    const x = cnn.tensor(r.data, [1, 28, 28, 1]);
    const probs = entry.model.predict(x).data;
    const unsure = entry.domain === 'digits' ? notADigit(r, probs) : null;
    view.show(probs, r.data, { unsure, settled, noun: 'digit' });
    inside.update(entry.model, x, r.data);
  }
  teach.refresh();
  classes.refresh();
}

function schedulePredict() {
  const wait = PREDICT_EVERY_MS - (performance.now() - lastPredict);
  if (wait <= 0) predictNow();
  else if (!timer) timer = setTimeout(predictNow, wait);
}

pad.on('change', schedulePredict);
pad.on('end', () => predictNow(true));
$('clear').addEventListener('click', () => pad.clear());

// --- models: the active one, switching, download, load from disk ---

const select = $('model-select');
const FASHION = { kind: 'fashion-mnist', url: './models/fashion.wcnn', name: 'Fashion-MNIST CNN' };
const gallery = mountGallery($('gallery'), { onPick: (pixels) => { picture = pixels; predictNow(true); } });

function renderSelect(entry) {
  const options = registry.entries().map((e) => {
    const o = new Option(`${KIND_LABELS[e.kind]}: ${e.name}${e.accuracy != null ? ` (${pct(e.accuracy)})` : ''}`, e.kind);
    o.selected = e === entry;
    return o;
  });
  if (!registry.get(FASHION.kind)) options.splice(1, 0, new Option(`Pretrained: ${FASHION.name} (clothes)`, FASHION.kind));
  select.replaceChildren(...options);
  select.disabled = options.length < 2;
}

registry.on((entry) => {
  renderSelect(entry);
  $('download').disabled = !entry;
  $('export-tfjs').disabled = !entry;
  const d = describe(entry);
  $('model-about').textContent = `${d.title}: ${d.long} ${entry.model.layers.length} layers, ${fmtInt(entry.params)} weights.`;
  setStatus('ready', `${d.title} · ${d.short}`);
  $('missing').hidden = true;
  const pictures = entry.domain === 'pictures';
  document.body.dataset.domain = entry.domain;
  $('pad-area').hidden = pictures;
  $('gallery-area').hidden = !pictures;
  $('h-recognise').textContent = pictures ? 'Recognise a piece of clothing' : entry.domain === 'drawings' ? 'Recognise your drawings' : 'Recognise a drawn digit';
  if (pictures) gallery.show(entry.classes);
  document.querySelector('.seen figcaption').textContent = pictures
    ? 'What the network sees: the 28×28 picture itself (Fashion-MNIST is not cropped or re-centred).'
    : 'What the network sees: the drawing re-stroked, cropped, scaled to 20 px, centred by mass in 28×28, as MNIST was made.';
  view.setClasses(entry.classes);
  inside.setModel(entry.model);
  predictNow(true);
});

async function loadFashion() {
  const message = $('model-message');
  message.textContent = `Loading ${FASHION.name}…`;
  try {
    const model = await cnn.loadModel(FASHION.url);
    checkDigitModel(model);
    registry.set(FASHION.kind, model);
    message.textContent = '';
  } catch (e) {
    message.textContent = `Could not load ${FASHION.name}: ${e.message}`;
    renderSelect(registry.active);
  }
}

select.addEventListener('change', () => {
  if (select.value === FASHION.kind && !registry.get(FASHION.kind)) loadFashion();
  else registry.activate(select.value);
});

$('download').addEventListener('click', async () => {
  const entry = registry.active;
  if (!entry) return;
  const file = `${entry.domain === 'digits' ? 'digits' : entry.domain === 'pictures' ? 'fashion' : 'taught'}-${entry.kind}-${new Date().toISOString().slice(0, 10)}`;
  try {
    entry.model.metadata = { ...entry.model.metadata, name: entry.name, accuracy: entry.accuracy, accuracyOn: entry.accuracyOn, classes: entry.classes };
    await entry.model.save(`downloads://${file}`);
    $('model-message').textContent = `Saved ${file}.wcnn to your downloads.`;
  } catch (e) {
    $('model-message').textContent = `Could not save: ${e.message}`;
  }
});

$('export-tfjs').addEventListener('click', async () => {
  const entry = registry.active;
  if (!entry) return;
  const file = `${entry.kind}-${new Date().toISOString().slice(0, 10)}`;
  try {
    entry.model.metadata = { ...entry.model.metadata, name: entry.name, accuracy: entry.accuracy, accuracyOn: entry.accuracyOn, classes: entry.classes };
    await entry.model.save(cnn.io.tfjs(`downloads://${file}`));
    $('model-message').textContent = `Saved ${file}.json and ${file}.weights.bin (TensorFlow.js layers format) to your downloads.`;
  } catch (e) {
    $('model-message').textContent = `Could not export: ${e.message}`;
  }
});

$('load-file').addEventListener('change', async (e) => {
  const files = [...(e.target.files ?? [])];
  e.target.value = '';
  if (!files.length) return;
  const message = $('model-message');
  const names = files.map((f) => f.name).join(' + ');
  message.textContent = `Loading ${names}…`;
  let model = null;
  try {
    if (files.every((f) => f.size === 0)) throw new Error('empty file');
    const json = files.find((f) => /\.json$/i.test(f.name));
    model = json ? await cnn.loadModel(cnn.io.fromTfjs(files)) : await cnn.loadModel(new Uint8Array(await files[0].arrayBuffer()));
    checkDigitModel(model);
    registry.set('file', model, { name: model.metadata?.name ?? (json ?? files[0]).name, file: names });
    message.textContent = `Loaded ${names}; it is now the active model.`;
  } catch (err) {
    model?.dispose();
    message.textContent = `Could not load ${names}: ${err.message}`;
  }
});

// --- training and teaching ---

const train = mountTrainPanel({ registry });
const teach = mountTeach({ getInput: () => input, registry, clearPad: () => pad.clear() });
const classes = mountTeachClasses({ getInput: () => input, registry, clearPad: () => pad.clear() });
$('train-now').addEventListener('click', () => {
  $('epochs').value = '2';
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
  // Buttons that become disabled while focused (Train, Add example...) would drop the keyboard
  // focus on the page body; keep it nearby instead.
  document.addEventListener('focusout', (e) => {
    const el = e.target;
    if (el instanceof HTMLButtonElement && !e.relatedTarget) {
      queueMicrotask(() => {
        if (el.disabled && document.activeElement === document.body) el.closest('section,form')?.querySelector('button:not(:disabled),input:not(:disabled)')?.focus();
      });
    }
  });
  return loadPretrained(pretrained);
}
