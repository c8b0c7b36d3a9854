// The training panel's regularisation options: dropout, batch norm, L2, input noise, early stopping
// and augmentation, each off until ticked, with a caption saying why it helps. The panel calls:
//   mountRegularisation(fieldset, { onChange }) -> {
//     transformLayers(layers) -> layers   // inserts dropout / batch norm / noise, adds kernelRegularizer
//     fitOptions() -> {}                   // { augment } when augmentation is on; merged into fit's options
//     callbacks() -> []                    // [cnn.callbacks.earlyStopping(...)] when early stopping is on
//     describe() -> string                 // a short summary for the trained model's name ('' when none)
//     restoredEpoch(history, callbacks) -> number | null  // with the callbacks the run used: the epoch
//                                          // whose weights early stopping restored, or null
//   }
// onChange() runs after every edit that changes the layers (so the panel can recount the weights).
// The augmentation preview loads a few sample digits on first use and redraws them with
// cnn.data.augment whenever an augmentation option changes.
import * as cnn from '../lib/index.js';
import { drawTiles, colormaps } from './viz.js';

const PREVIEW_DIGITS = [2, 4, 7]; // the first sample image of each, one row per digit
const PREVIEW_VERSIONS = 8;
const PREVIEW_ZOOM = 1.5;

// params: [name, label, min, max, step, default, tooltip]
const OPTIONS = [
  {
    key: 'dropout', title: 'Dropout',
    params: [['rate', 'rate', 0.05, 0.8, 0.05, 0.3, 'Share of the inputs zeroed at each step']],
    about: 'Before each dense layer, zeroes a random share of its inputs at every step, so no unit can count on '
      + 'another being there. Predictions use them all.',
  },
  {
    key: 'batchNorm', title: 'Batch norm',
    params: [],
    about: 'After each convolution, rescales every channel by its mean and spread over the batch: steadier '
      + 'training, and the batch-to-batch wobble is a little noise too.',
  },
  {
    key: 'l2', title: 'L2 penalty',
    params: [['l2', 'λ', 0.00001, 0.01, 0.00001, 0.0005, 'Weight of the penalty: loss + λ × Σ w²']],
    about: 'Adds λ × the sum of squared conv and dense weights to the loss, pulling every weight towards 0: '
      + 'no single pixel pattern can get a huge say.',
  },
  {
    key: 'noise', title: 'Input noise',
    params: [['stddev', 'σ', 0.01, 1, 0.01, 0.1, 'Standard deviation of the noise; pixels run from 0 to 1']],
    about: 'Adds random Gaussian noise to every pixel in training, so the exact pixels of a training image '
      + 'cannot be learnt by heart.',
  },
  {
    key: 'earlyStopping', title: 'Early stopping',
    params: [['patience', 'patience', 1, 20, 1, 2, 'Epochs without a better validation loss before stopping']],
    flag: ['restoreBest', 'keep best', true],
    about: 'Watches the validation loss and stops once it has not improved for that many epochs: the network '
      + 'has started memorising. "Keep best" goes back to the weights of the best epoch.',
  },
  {
    key: 'augment', title: 'Augmentation',
    params: [['rotation', 'rotate °', 0, 45, 1, 10, 'Largest rotation either way, in degrees'],
      ['zoom', 'zoom', 0, 0.5, 0.01, 0.1, 'Scale between 1 − zoom and 1 + zoom'],
      ['translate', 'shift', 0, 0.3, 0.01, 0.1, 'Largest shift, as a fraction of the image size'],
      ['crop', 'crop px', 0, 6, 1, 2, 'Pad by this many pixels, then cut a random 28×28 window']],
    about: 'Shows each training digit slightly turned, scaled and shifted, differently every time: in effect '
      + 'many more images. Never mirrored: a flipped 2 is not a 2.',
  },
];

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

export function mountRegularisation(fieldset, { onChange = () => {} } = {}) {
  const controls = {}; // key -> { box, inputs: { name: { input, min, max, value } }, flag, item }
  fieldset.append(el('p', { className: 'muted small reg-intro', textContent:
    'Overfitting: with few images a network can learn the training digits by heart, quirks and all. Training '
    + 'accuracy keeps climbing while validation accuracy stalls or falls. Each cure makes memorising harder, '
    + 'or stops in time.' }));
  const list = el('div', { className: 'reg-list' });
  fieldset.append(list);

  for (const o of OPTIONS) {
    const id = `reg-${o.key}`;
    const box = el('input', { type: 'checkbox', id });
    box.dataset.testid = id;
    const params = el('div', { className: 'reg-params' });
    const head = el('div', { className: 'reg-head' }, el('label', { className: 'check reg-name' }, box, ` ${o.title}`), params);
    const inputs = {};
    for (const [name, label, min, max, step, value, tip] of o.params) {
      const input = el('input', { type: 'number', id: `${id}-${name}`, min, max, step, value, disabled: true, title: tip });
      input.dataset.label = `${o.title} ${label}`;
      // Out of range: the training form shows why next to the field and won't train (fields.js).
      input.addEventListener('change', () => changed(o.key));
      input.addEventListener('input', () => { if (o.key === 'augment') schedulePreview(); });
      inputs[name] = { input, min, max, value };
      params.append(el('label', { className: 'reg-param', title: tip }, `${label} `, input));
    }
    let flag = null;
    if (o.flag) {
      const [name, label, on] = o.flag;
      flag = el('input', { type: 'checkbox', id: `${id}-${name}`, checked: on, disabled: true });
      flag.addEventListener('change', () => changed(o.key));
      params.append(el('label', { className: 'check reg-param' }, flag, ` ${label}`));
    }
    box.addEventListener('change', () => {
      for (const { input } of Object.values(inputs)) input.disabled = !box.checked;
      if (flag) flag.disabled = !box.checked;
      changed(o.key);
    });
    const item = el('div', { className: 'reg-item' }, head, el('p', { className: 'muted small reg-about', textContent: o.about }));
    item.dataset.option = o.key;
    list.append(item);
    controls[o.key] = { box, inputs, flag, item };
  }

  const on = (key) => controls[key].box.checked;
  const value = (key, name) => {
    const { input, min, max, value: fallback } = controls[key].inputs[name];
    const v = Number(input.value);
    return input.value !== '' && Number.isFinite(v) ? clamp(v, min, max) : fallback;
  };

  function augmentOptions() {
    const a = { rotation: value('augment', 'rotation'), zoom: value('augment', 'zoom'),
      translate: value('augment', 'translate'), crop: Math.round(value('augment', 'crop')) };
    return Object.values(a).some((v) => v > 0) ? a : null;
  }

  // --- the augmentation preview ---

  const originalsCanvas = el('canvas', { className: 'pixelated', width: 1, height: 1 });
  originalsCanvas.setAttribute('role', 'img');
  const canvas = el('canvas', { className: 'pixelated', width: 1, height: 1 });
  canvas.dataset.testid = 'augment-preview';
  canvas.setAttribute('role', 'img');
  const previewNote = el('span', { className: 'muted small' });
  const redraw = el('button', { type: 'button', className: 'icon', textContent: '↻', title: 'Another random draw' });
  redraw.setAttribute('aria-label', 'Another random draw of the augmented digits');
  const preview = el('figure', { className: 'reg-preview', hidden: true },
    el('div', { className: 'reg-preview-body' }, originalsCanvas, canvas),
    el('figcaption', { className: 'muted small' }, redraw, previewNote));
  controls.augment.item.append(preview);
  let digits = null; // Promise of { images: Tensor [k,28,28,1] }
  let seed = 1;
  let previewTimer = 0;

  function loadDigits() {
    digits ??= cnn.data.mnistSample({ count: 100 }).then(({ images, labels }) => {
      const picks = PREVIEW_DIGITS.map((d) => labels.indexOf(d)).filter((i) => i >= 0);
      const per = 28 * 28;
      const data = new Float32Array(picks.length * per);
      picks.forEach((i, k) => data.set(images.data.subarray(i * per, (i + 1) * per), k * per));
      return cnn.tensor(data, [picks.length, 28, 28, 1]);
    }).catch((e) => {
      digits = null;
      throw e;
    });
    return digits;
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(drawPreview, 60);
  }

  async function drawPreview() {
    preview.hidden = !on('augment');
    if (preview.hidden) return;
    let originals;
    try {
      previewNote.textContent = digits ? previewNote.textContent : ' Loading sample digits…';
      originals = await loadDigits();
    } catch (e) {
      previewNote.textContent = ` Could not load sample digits: ${e.message}`;
      return;
    }
    if (!on('augment')) return;
    const k = originals.shape[0];
    const per = 28 * 28;
    // Each digit repeated PREVIEW_VERSIONS times, augmented in one call.
    const batch = new Float32Array(k * PREVIEW_VERSIONS * per);
    for (let i = 0; i < k; i++) {
      for (let v = 0; v < PREVIEW_VERSIONS; v++) batch.set(originals.data.subarray(i * per, (i + 1) * per), (i * PREVIEW_VERSIONS + v) * per);
    }
    const options = augmentOptions() ?? {};
    const seen = cnn.data.augment(cnn.tensor(batch, [k * PREVIEW_VERSIONS, 28, 28, 1]), options, { seed });
    const grey = { map: colormaps.grey, lo: 0, hi: 1 };
    drawTiles(originalsCanvas, {
      count: k, tileH: 28, tileW: 28, columns: 1, zoom: PREVIEW_ZOOM, scale: grey,
      value: (t, y, x) => originals.data[t * per + y * 28 + x],
    });
    drawTiles(canvas, {
      count: k * PREVIEW_VERSIONS, tileH: 28, tileW: 28, columns: PREVIEW_VERSIONS, zoom: PREVIEW_ZOOM, scale: grey,
      value: (t, y, x) => seen.data[t * per + y * 28 + x],
    });
    canvas.dataset.rendered = String(k * PREVIEW_VERSIONS);
    originalsCanvas.setAttribute('aria-label', `${k} sample digits`);
    canvas.setAttribute('aria-label', `${PREVIEW_VERSIONS} augmented versions of each of the ${k} sample digits, one row per digit`);
    previewNote.textContent = ` Left: sample digits. Right: ${PREVIEW_VERSIONS} random versions of each, as training might see them.`;
  }

  redraw.addEventListener('click', () => {
    seed += 1;
    drawPreview();
  });

  function changed(key) {
    if (key === 'augment') schedulePreview();
    else onChange();
  }

  return {
    transformLayers(layers) {
      const out = [];
      const l2 = on('l2') ? cnn.regularizers.l2({ l2: value('l2', 'l2') }) : null;
      let drops = 0;
      let norms = 0;
      if (on('noise')) out.push(cnn.layers.gaussianNoise({ stddev: value('noise', 'stddev'), name: 'noise' }));
      for (const spec of layers) {
        const weighted = spec.className === 'Conv2D' || spec.className === 'Dense';
        if (spec.className === 'Dense' && on('dropout')) {
          out.push(cnn.layers.dropout({ rate: value('dropout', 'rate'), name: `drop${++drops}` }));
        }
        out.push(weighted && l2 ? { ...spec, config: { ...spec.config, kernelRegularizer: l2 } } : spec);
        if (spec.className === 'Conv2D' && on('batchNorm')) out.push(cnn.layers.batchNormalization({ name: `bn${++norms}` }));
      }
      return out;
    },
    fitOptions() {
      const augment = on('augment') ? augmentOptions() : null;
      return augment ? { augment } : {};
    },
    callbacks() {
      if (!on('earlyStopping')) return [];
      return [cnn.callbacks.earlyStopping({
        monitor: 'val_loss', patience: Math.round(value('earlyStopping', 'patience')),
        restoreBestWeights: controls.earlyStopping.flag.checked,
      })];
    },
    describe() {
      const parts = [];
      if (on('dropout')) parts.push(`dropout ${value('dropout', 'rate')}`);
      if (on('batchNorm')) parts.push('batch norm');
      if (on('l2')) parts.push('L2');
      if (on('noise')) parts.push('noise');
      if (on('augment') && augmentOptions()) parts.push('augmentation');
      if (on('earlyStopping')) parts.push('early stopping');
      return parts.join(', ');
    },
    restoredEpoch(history, callbacks) {
      const es = callbacks.map((c) => c.toJSON?.()).find((j) => j?.callback === 'earlyStopping');
      if (!es?.options.restoreBestWeights) return null;
      const v = history.history.val_loss ?? [];
      if (!v.length) return null;
      // earlyStopping keeps the first epoch with the lowest val_loss (an improvement must be strict).
      return v.indexOf(Math.min(...v));
    },
  };
}
