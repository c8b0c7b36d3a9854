// The README's transfer-learning example, run as written: the code block under "### Transfer
// learning" is cut out of README.md, its `import ... from 'wasmcnn'` pointed at this checkout, and
// imported as a module. So the README cannot drift from the library: if the example stops working,
// this fails. Then its results are checked: the head learned (loss fell, held-out accuracy), the frozen
// layers came back from the worker bit-identical to the base model's, and TF.js reads the export
// with the same predictions.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const library = pathToFileURL(path.join(root, 'web/lib/index.node.js')).href;

/** The first ```js block after the heading `heading` in README.md. */
function readmeBlock(heading) {
  const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README.md has no heading '${heading}'`);
  const m = /```js\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(m, `no js block after '${heading}'`);
  return m[1];
}

let ex;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const code = readmeBlock('### Transfer learning');
  assert.match(code, /from 'wasmcnn';/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmcnn-readme-'));
  const file = path.join(dir, 'transfer.mjs');
  fs.writeFileSync(file, `${code.replace(/from 'wasmcnn';/, `from ${JSON.stringify(library)};`)}\n` +
    'export { base, features, model, trained, history, artifacts, x, y };\n');
  process.chdir(root); // the example reads models/backbone.wcnn from the working directory
  ex = await import(pathToFileURL(file).href);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('README transfer learning: the new head learns the new classes', () => {
  const { loss, val_accuracy: acc } = ex.history.history;
  assert.equal(loss.length, 3);
  assert.ok(loss.at(-1) < loss[0], `loss fell from ${loss[0]} to ${loss.at(-1)}`);
  assert.ok(acc.at(-1) > 0.9, `held-out accuracy ${acc.at(-1)}`);
  // The backbone's layers frozen, the two new ones trained.
  assert.deepEqual(ex.trained.layers.map((l) => l.trainable), ex.trained.layers.map((l) => l.name.startsWith('new_')));
  assert.equal(ex.trained.layers.filter((l) => l.trainable).length, 2);
});

test('README transfer learning: the frozen layers come back from the worker bit-identical to the base model', () => {
  const base = new Map(ex.base.getWeights().map((w) => [`${w.layer}/${w.name}`, w.data]));
  const frozen = ex.trained.getWeights().filter((w) => ex.trained.getLayer(w.layer).trainable === false);
  // Every weighted layer of the backbone up to 'features' (all but its 20-class head).
  assert.deepEqual([...new Set(frozen.map((w) => w.layer))], [...new Set(ex.base.getWeights().map((w) => w.layer))].filter((l) => l !== 'head'));
  for (const w of frozen) {
    const b = base.get(`${w.layer}/${w.name}`);
    assert.ok(b.length === w.data.length && b.every((v, i) => Object.is(v, w.data[i])), `${w.layer}/${w.name} changed`);
  }
  // ...while the new head did train.
  const before = ex.model.getWeights().find((w) => w.layer === 'new_classes' && w.name === 'kernel').data;
  const after = ex.trained.getWeights().find((w) => w.layer === 'new_classes' && w.name === 'kernel').data;
  assert.ok(before.some((v, i) => v !== after[i]));
});

test('README transfer learning: TF.js loads the exported model and predicts the same', async () => {
  const tm = await tf.loadLayersModel(tf.io.fromMemory(ex.artifacts));
  try {
    const xs = ex.x.slice(0, 40);
    const theirs = tf.tidy(() => tm.predict(tf.tensor(xs.data, xs.shape)).dataSync());
    const ours = ex.trained.predict(xs).data;
    let d = 0;
    for (let i = 0; i < ours.length; i++) d = Math.max(d, Math.abs(ours[i] - theirs[i]));
    assert.ok(d <= 1e-4, `max difference ${d}`);
  } finally {
    tm.dispose();
  }
});
