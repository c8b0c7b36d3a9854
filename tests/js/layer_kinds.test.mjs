// The JavaScript guard over every layer kind, enumerated from the core's definitions (layerDefs()),
// not from a hand list: each kind has its factory, builds with its required options, rejects a bad
// option with an Error naming the factory and the option, survives getConfig -> rebuild, the
// model file and the TF.js format (or says it has no TF.js equivalent), and a merge kind is
// refused by a sequential model with a clear message.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as cnn from '../../web/lib/index.js';
import { layerDefs } from '../../web/lib/layers.js';

const { kinds } = layerDefs();

// The kind's required options, set to small valid values (a flat [8] input fits them all).
function required(kind) {
  const config = {};
  for (const o of kind.options.filter((x) => x.required)) {
    const values = { int: () => 2, real: () => Math.min(o.min + 0.25, o.max), choice: () => o.choices.at(-1),
      pair: () => 2, shape: () => [o.max >= 8 ? 8 : o.min], margins: () => 1 };
    config[o.key] = values[o.type]();
  }
  return config;
}

function bad(o) {
  return { int: o.min - 1, real: -1, bool: 'no', choice: 'no-such-choice', pair: [1, 2, 3], regularizer: 'l2', shape: [1, 2, 3, 4], margins: [1, 2, 3] }[o.type];
}

test('layerDefs() lists every kind with a factory', () => {
  assert.ok(kinds.length >= 12);
  assert.deepEqual(Object.keys(cnn.layers).sort(), kinds.map((k) => k.factory).sort());
  for (const k of kinds) assert.equal(typeof cnn.layers[k.factory], 'function', k.factory);
});

for (const kind of kinds) {
  test(`${kind.className}: builds, round-trips through getConfig, the model file and TF.js, refuses bad options`, async () => {
    const factory = cnn.layers[kind.factory];
    const spec = factory({ name: 'probe', ...required(kind) });
    assert.deepEqual(spec.className, kind.className);
    for (const o of kind.options) {
      assert.throws(() => factory({ name: 'bad', ...required(kind), [o.key]: bad(o) }),
        (e) => e instanceof Error && e.message.startsWith(`${kind.factory} 'bad': `) && e.message.includes(o.key),
        `${kind.factory}.${o.key}`);
    }
    assert.throws(() => factory({ ...required(kind), noSuchOption: 1 }),
      { message: new RegExp(`^${kind.factory}: unknown option 'noSuchOption'`) });

    if (kind.arity !== 1) {
      assert.throws(() => cnn.sequential({ inputShape: [8], layers: [spec] }), { message: /takes two or more inputs, got 1/ });
      return;
    }
    let model;
    for (const inputShape of [[6, 6, 2], [8]]) {
      try {
        model = cnn.sequential({ inputShape, seed: 3, layers: [spec, cnn.layers.flatten(), cnn.layers.dense({ units: 2 })] });
        break;
      } catch {
        // the other input shape
      }
    }
    assert.ok(model, `${kind.className} builds on [6,6,2] or [8]`);
    const shape = model.inputShape.slice(1);
    const x = cnn.tensor(Float32Array.from({ length: 2 * shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)), [2, ...shape]);
    const y = Array.from(model.predict(x).data);

    const again = cnn.sequential({ ...model.toSpec() });
    again.setWeights(model.getWeights());
    assert.deepEqual(Array.from(again.predict(x).data), y, 'getConfig -> rebuild');
    assert.deepEqual(model.layers[0].getConfig(), again.layers[0].getConfig());

    const loaded = await cnn.loadModel(model.save());
    assert.deepEqual(Array.from(loaded.predict(x).data), y, 'model file');
    assert.deepEqual(loaded.layers[0].getConfig(), model.layers[0].getConfig());

    let artifacts = null;
    try {
      artifacts = cnn.toTfjsArtifacts(model);
    } catch (e) {
      assert.match(e.message, new RegExp(`\\(${kind.className}\\) has no TensorFlow\\.js equivalent`));
    }
    if (artifacts) {
      const back = await cnn.loadModel(artifacts);
      assert.deepEqual(Array.from(back.predict(x).data), y, 'TF.js format');
      back.dispose();
    }
    for (const m of [model, again, loaded]) m.dispose();
  });
}
