// "Teach it new things": the user names classes (star, heart, smiley: anything), draws 5 or more
// examples of each, and a classifier for them trains in a worker in a couple of seconds by transfer
// learning: the pretrained MobileNet-style backbone (models/backbone.wcnn, trained on digits and
// Fashion-MNIST; its filters already find strokes, corners, loops and outlines) is cut at its
// 128 'features' and frozen, and a new head learns these classes on top. Examples are repeated and
// augmented (turned, scaled, shifted) so a handful is enough.
// Contract for tests: class-name, class-add, class-list (one child per class with data-name and
// data-count), class-example, teach-train, teach-status (data-state idle | training | done | error).
import * as cnn from '../lib/index.js';
import { drawImage } from './viz.js';

export const MIN_EXAMPLES = 5;
const MAX_CLASSES = 10;
const SAMPLES_PER_EPOCH = 320;
const EPOCHS = 8;
const BACKBONE = { url: './models/backbone.wcnn', name: 'the MobileNet-style backbone (digits + Fashion-MNIST)' };
const $ = (id) => document.getElementById(id);

let backbone = null; // a promise of the loaded backbone, fetched on the first Train
function loadBackbone() {
  backbone ??= cnn.loadModel(new URL(BACKBONE.url, document.baseURI)).catch((e) => {
    backbone = null;
    throw new Error(`could not load ${BACKBONE.url} (${e.message})`);
  });
  return backbone;
}

export function mountTeachClasses({ getInput, registry, clearPad }) {
  const nameInput = $('class-name');
  const addClass = $('class-add');
  const list = $('class-list');
  const addExample = $('class-example');
  const trainButton = $('teach-train');
  const status = $('classes-status');
  const nameError = $('class-name-error');
  const classes = []; // { name, examples: Float32Array[] }
  let selected = null;
  let busy = false;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function ready() {
    return classes.length >= 2 && classes.every((c) => c.examples.length >= MIN_EXAMPLES);
  }

  function refresh() {
    const input = getInput();
    addExample.disabled = busy || !selected || !input || input.empty;
    addExample.textContent = selected ? `Add drawing to “${selected.name}”` : 'Add drawing to a class';
    trainButton.disabled = busy || !ready();
    if (!busy && status.dataset.state === 'idle') {
      const short = classes.filter((c) => c.examples.length < MIN_EXAMPLES);
      status.textContent = classes.length < 2 ? 'Add at least two classes.'
        : short.length ? `Draw ${MIN_EXAMPLES} or more of each: ${short.map((c) => `${c.name} needs ${MIN_EXAMPLES - c.examples.length} more`).join(', ')}.`
          : `Ready: ${classes.length} classes, ${classes.reduce((n, c) => n + c.examples.length, 0)} drawings.`;
    }
  }

  function render() {
    list.replaceChildren(...classes.map((c) => {
      const li = document.createElement('li');
      li.dataset.name = c.name;
      li.dataset.count = String(c.examples.length);
      li.classList.toggle('selected', c === selected);
      const label = document.createElement('label');
      const radio = Object.assign(document.createElement('input'), { type: 'radio', name: 'teach-class', checked: c === selected });
      radio.addEventListener('change', () => {
        selected = c;
        render();
        refresh();
      });
      label.append(radio, ` ${c.name} `, Object.assign(document.createElement('span'), { className: 'count muted', textContent: `${c.examples.length}` }));
      const thumbs = document.createElement('span');
      thumbs.className = 'thumbs';
      c.examples.slice(-6).forEach((px) => {
        const cv = document.createElement('canvas');
        cv.className = 'pixelated';
        cv.dataset.zoom = '1';
        drawImage(cv, px, 28, 28);
        thumbs.append(cv);
      });
      const undo = Object.assign(document.createElement('button'), { type: 'button', className: 'icon', textContent: '↶', disabled: !c.examples.length });
      undo.setAttribute('aria-label', `Remove the last drawing of ${c.name}`);
      undo.title = 'Remove the last drawing';
      undo.addEventListener('click', () => {
        c.examples.pop();
        render();
        refresh();
      });
      const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'icon', textContent: '×' });
      remove.setAttribute('aria-label', `Remove the class ${c.name}`);
      remove.title = 'Remove the class';
      remove.addEventListener('click', () => {
        classes.splice(classes.indexOf(c), 1);
        if (selected === c) selected = classes[0] ?? null;
        render();
        refresh();
      });
      li.append(label, thumbs, undo, remove);
      return li;
    }));
  }

  function add() {
    const name = nameInput.value.trim().replace(/\s+/g, ' ');
    const problem = !name ? 'Type a name first, e.g. star.'
      : name.length > 24 ? 'At most 24 characters.'
        : classes.some((c) => c.name.toLowerCase() === name.toLowerCase()) ? `There is already a class “${name}”.`
          : classes.length >= MAX_CLASSES ? `At most ${MAX_CLASSES} classes.` : '';
    nameError.textContent = problem;
    nameInput.setAttribute('aria-invalid', String(!!problem));
    if (problem) return;
    selected = { name, examples: [] };
    classes.push(selected);
    nameInput.value = '';
    render();
    refresh();
  }

  addClass.addEventListener('click', add);
  nameInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      add();
    }
  });

  addExample.addEventListener('click', () => {
    const input = getInput();
    if (!selected || !input || input.empty) return;
    selected.examples.push(input.pixels.slice());
    if (status.dataset.state !== 'training') setStatus('idle', '');
    render();
    clearPad();
    refresh();
  });

  trainButton.addEventListener('click', async () => {
    if (!ready() || busy) return;
    busy = true;
    refresh();
    const names = classes.map((c) => c.name);
    const examples = classes.flatMap((c, k) => c.examples.map((px) => [px, k]));
    const reps = Math.max(1, Math.ceil(SAMPLES_PER_EPOCH / examples.length));
    const n = reps * examples.length;
    const x = new Float32Array(n * 784);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const [px, k] = examples[i % examples.length];
      x.set(px, i * 784);
      y[i] = k;
    }
    let model = null;
    let clone = null;
    let features = null;
    let started = performance.now();
    try {
      setStatus('training', `Training on ${examples.length} drawings of ${names.length} classes in a worker…`);
      const base = await loadBackbone();
      features = cnn.model({ inputs: base.inputs, outputs: base.getLayer('features').output, name: 'backbone' });
      features.trainable = false;
      const image = cnn.input({ shape: [28, 28, 1], name: 'drawing' });
      const head = cnn.layers.dense({ units: names.length, activation: 'softmax', name: 'classes' }).apply(features.apply(image));
      clone = cnn.model({ inputs: image, outputs: head, name: 'taught', seed: 1 });
      started = performance.now();
      const job = cnn.trainInWorker(clone, cnn.tensor(x, [n, 28, 28, 1]), y, {
        compile: { optimizer: cnn.optimizers.adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
        epochs: EPOCHS,
        batchSize: 16,
        augment: { rotation: 12, zoom: 0.1, translate: 0.06 },
      });
      job.on('epoch', ({ epoch, logs }) => {
        setStatus('training', `Training: epoch ${epoch + 1}/${EPOCHS}, ${Math.round(100 * logs.acc)}% of the (turned, scaled, shifted) drawings right…`);
      });
      ({ model } = await job);
      const seconds = (performance.now() - started) / 1000;
      model.trainable = true;
      const p = model.predict(cnn.tensor(x.subarray(0, examples.length * 784), [examples.length, 28, 28, 1])).argMax();
      const right = examples.filter(([, k], i) => p[i] === k).length;
      model.metadata = {
        name: `Your classes: ${names.join(', ')}`,
        classes: names,
        taughtClasses: names,
        taughtExamples: examples.length,
        baseModel: BACKBONE.name,
        accuracy: right / examples.length,
        accuracyOn: `your ${examples.length} drawings (the ones it learnt from)`,
        preprocessing: { inputShape: [28, 28, 1], valueRange: [0, 1], ink: 'white on black', centering: 'mnist' },
      };
      registry.set('taught', model);
      model = null;
      setStatus('done', `Done in ${seconds.toFixed(1)} s: ${right} of ${examples.length} of your drawings recognised. `
        + 'It is now the active model: draw one of your classes.');
    } catch (e) {
      model?.dispose();
      setStatus('error', `Training failed: ${e.message}`);
    } finally {
      clone?.dispose();
      features?.dispose();
      busy = false;
      refresh();
    }
  });

  registry.on(refresh);
  render();
  refresh();
  return { refresh };
}
