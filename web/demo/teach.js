// "Teach it your handwriting": collect labelled drawings, then fine-tune the active model on them
// in a worker. Your examples are repeated to make about a quarter of the set and mixed with 600 MNIST
// digits ("replay"), so a few drawings don't make the network forget everything else; 500 other
// MNIST digits (9,000-9,499 of the sample, held out from the pretrained model) validate.
import * as cnn from '../lib/index.js';
import { drawImage } from './viz.js';
import { pct } from './models.js';

const REPLAY = 600;
const HELD_OUT = [9000, 500];
const EPOCHS = 5;
const LEARNING_RATE = 3e-4;

const $ = (id) => document.getElementById(id);

/**
 * getInput() -> { pixels, empty } of the pad; registry: the ModelRegistry; onCleared(): clear the pad.
 */
export function mountTeach({ getInput, registry, clearPad }) {
  const labels = $('teach-labels');
  const addButton = $('add-example');
  const tuneButton = $('finetune');
  const list = $('examples');
  const status = $('teach-status');
  const examples = [];
  let mnist = null; // { replayX, replayY, valX, valY }, loaded on first use
  let busy = false;

  for (let d = 0; d < 10; d++) {
    const id = `teach-${d}`;
    const input = Object.assign(document.createElement('input'), { type: 'radio', name: 'teach-label', value: String(d), id });
    const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: String(d) });
    labels.append(input, label);
    input.addEventListener('change', refresh);
  }

  const chosen = () => labels.querySelector('input:checked')?.value;

  function refresh() {
    const input = getInput();
    addButton.disabled = busy || chosen() === undefined || !input || input.empty;
    tuneButton.disabled = busy || examples.length === 0 || !registry.active;
    tuneButton.textContent = examples.length ? `Fine-tune on ${examples.length}` : 'Fine-tune';
  }

  function render() {
    list.replaceChildren(...examples.map((ex, i) => {
      const li = document.createElement('li');
      const c = document.createElement('canvas');
      c.className = 'pixelated';
      c.dataset.zoom = '1.5';
      drawImage(c, ex.pixels, 28, 28);
      const tag = Object.assign(document.createElement('span'), { textContent: String(ex.label) });
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: '×', className: 'icon' });
      remove.setAttribute('aria-label', `Remove example ${i + 1} (${ex.label === 8 ? 'an' : 'a'} ${ex.label})`);
      remove.addEventListener('click', () => {
        examples.splice(i, 1);
        render();
        status.textContent = examples.length ? `${examples.length} example${examples.length > 1 ? 's' : ''}.` : '';
        refresh();
      });
      li.append(c, tag, remove);
      return li;
    }));
  }

  addButton.addEventListener('click', () => {
    const input = getInput();
    const label = chosen();
    if (!input || input.empty || label === undefined) return;
    examples.push({ pixels: input.pixels.slice(), label: Number(label) });
    // The next drawing is probably another digit: choosing its label again beats mislabelling it.
    labels.querySelector('input:checked').checked = false;
    render();
    status.textContent = `${examples.length} example${examples.length > 1 ? 's' : ''}. Draw another, or fine-tune.`;
    clearPad();
  });

  async function loadMnist() {
    if (mnist) return mnist;
    const all = await cnn.data.mnistSample({ count: HELD_OUT[0] + HELD_OUT[1] });
    mnist = {
      replayX: all.images.slice(0, REPLAY).data,
      replayY: all.labels.slice(0, REPLAY),
      valX: all.images.slice(HELD_OUT[0], HELD_OUT[1]),
      valY: all.labels.slice(HELD_OUT[0], HELD_OUT[0] + HELD_OUT[1]),
    };
    return mnist;
  }

  function recognised(model) {
    const x = cnn.tensor(concat(examples.map((e) => e.pixels)), [examples.length, 28, 28, 1]);
    const p = model.predict(x).argMax();
    return examples.filter((e, i) => p[i] === e.label).length;
  }

  tuneButton.addEventListener('click', async () => {
    const base = registry.active;
    if (!base || !examples.length || busy) return;
    busy = true;
    refresh();
    let clone = null;
    try {
      status.textContent = 'Loading MNIST digits to mix in…';
      const { replayX, replayY, valX, valY } = await loadMnist();
      const before = recognised(base.model);
      const reps = Math.max(1, Math.min(50, Math.round(REPLAY / 3 / examples.length)));
      const n = REPLAY + reps * examples.length;
      const x = new Float32Array(n * 784);
      const y = new Uint8Array(n);
      x.set(replayX);
      y.set(replayY);
      let at = REPLAY;
      for (let r = 0; r < reps; r++) {
        for (const ex of examples) {
          x.set(ex.pixels, at * 784);
          y[at++] = ex.label;
        }
      }
      clone = await cnn.loadModel(base.model.toBytes());
      clone.unfreeze();
      const freeze = $('freeze-conv').checked;
      if (freeze) clone.freeze(clone.layers.filter((l) => l.className === 'Conv2D').map((l) => l.name));
      status.textContent = `Fine-tuning on ${examples.length} of yours + ${REPLAY} MNIST digits${freeze ? ', conv layers frozen' : ''}…`;
      let valAcc = null;
      const job = cnn.trainInWorker(clone, cnn.tensor(x, [n, 28, 28, 1]), y, {
        compile: { optimizer: cnn.optimizers.adam({ learningRate: LEARNING_RATE }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
        epochs: EPOCHS,
        batchSize: 16,
        validationData: [valX, valY],
        transfer: true,
      });
      job.on('epoch', ({ epoch, logs }) => {
        valAcc = logs.val_acc;
        status.textContent = `Fine-tuning: epoch ${epoch + 1}/${EPOCHS}, ${pct(valAcc)} on ${HELD_OUT[1]} held-out MNIST digits…`;
      });
      const { model } = await job;
      model.unfreeze();
      const name = `${base.name.replace(/ \+ \d+ of yours$/, '')} + ${examples.length} of yours`;
      const accuracyOn = `${HELD_OUT[1]} MNIST digits`;
      // The card of a fine-tuned model is its own: the base's held-out figures and history don't apply.
      const { heldOut, history, ...kept } = base.model.metadata ?? {};
      model.metadata = { ...kept, name, accuracy: valAcc, accuracyOn, fineTunedOn: examples.length, baseModel: base.name.replace(/ \+ \d+ of yours$/, '') };
      const after = recognised(model);
      registry.set('finetuned', model, { name, accuracy: valAcc, accuracyOn });
      status.textContent = `Done. Your examples recognised: ${before} → ${after} of ${examples.length}; `
        + `${pct(valAcc)} on ${HELD_OUT[1]} held-out MNIST digits. The fine-tuned model is now active.`;
    } catch (e) {
      status.textContent = `Fine-tuning failed: ${e.message}`;
    } finally {
      clone?.dispose();
      busy = false;
      refresh();
    }
  });

  registry.on(refresh);
  return { refresh };
}

function concat(arrays) {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}
