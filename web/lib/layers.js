// Layer specs: plain, JSON-safe records { className, config } with Keras' class names and
// camelCase options, as TensorFlow.js writes them.
//
// Nothing about a layer kind is written here: the kinds, their factory names, options, defaults
// and ranges come from the core's layer definitions (src/layers/layer_def.h, one per kind) through
// layerDefs(), and every option is checked there, in one place, with one message per problem.
// The factories exist once the core is loaded (importing the package loads it).
import { call, getCore } from './core.js';
import { applyLayer } from './symbolic.js';

let defs = null;

/** The core's layer definitions: { kinds: [{ className, factory, options, ... }], activations, initializers }. */
export function layerDefs() {
  if (!defs) {
    const parsed = JSON.parse(getCore().layerDefs());
    parsed.byClass = Object.fromEntries(parsed.kinds.map((k) => [k.className, k]));
    defs = parsed;
  }
  return defs;
}

function checkClass(className) {
  const { byClass, kinds } = layerDefs();
  if (typeof className !== 'string' || !(className in byClass)) {
    throw new Error(`unknown layer class '${className}' (known: ${kinds.map((k) => k.className).join(', ')})`);
  }
}

/** A layer spec from its Keras class name and config, validated by the core. */
export function layerSpec(className, config = {}) {
  checkClass(className);
  call((c) => c.checkLayer(className, config));
  return functionalSpec({ className, config: { ...config } });
}

/**
 * Gives a spec the functional API, as non-enumerable members (the spec stays a plain JSON-safe
 * record that structuredClone and JSON.stringify copy as before): apply(x), input, output, name,
 * trainable. Once cnn.model() has built it, the spec stands for that model's layer: its name,
 * trainable flag and weights are the model's (see functional.js).
 */
function functionalSpec(spec) {
  let applied = null;
  let built = null; // { model, index } of the first live model built from it
  const live = () => (built && !built.model.disposed ? built : null);
  const view = () => live() && built.model.getLayer(built.index);
  const who = () => `layer '${view()?.name ?? spec.config.name ?? layerDefs().byClass[spec.className].factory}' (${spec.className})`;
  const notApplied = (what) => new Error(`${who()} has not been applied yet, so it has no ${what}: ` +
    'call layer.apply(x) with x from cnn.input({ shape }) or another layer\'s output');
  Object.defineProperties(spec, {
    apply: {
      value(xs) {
        if (applied) {
          throw new Error(`${who()} is already applied to ${applied.inputs.map((t) => t.name).join(', ')}: wasmcnn does not ` +
            'share a layer (and its weights) between two places of a graph; create another layer for the second place');
        }
        const current = () => (live() ? call(() => built.model._handle().layerSpec(built.index)) : { className: spec.className, config: { ...spec.config } });
        const output = applyLayer(spec, xs, current, live, `${who()}.apply`);
        applied = { inputs: output._node.inputs(), output };
        return output;
      },
    },
    output: {
      get() {
        if (!applied) throw notApplied('output');
        return applied.output;
      },
    },
    input: {
      get() {
        if (!applied) throw notApplied('input');
        return applied.inputs.length === 1 ? applied.inputs[0] : applied.inputs;
      },
    },
    name: { get: () => view()?.name ?? spec.config.name },
    trainable: {
      get: () => view()?.trainable ?? spec.config.trainable ?? true,
      set(on) {
        if (typeof on !== 'boolean') throw new Error(`${who()}: trainable must be true or false, got ${JSON.stringify(on)}`);
        if (on) delete spec.config.trainable;
        else spec.config.trainable = false;
        const v = view();
        if (v) v.trainable = on;
      },
    },
    /** @internal cnn.model() built this spec as layer `index` of `model` */
    _built: {
      value(model, index) {
        if (!live()) built = { model, index };
      },
    },
  });
  return spec;
}

/**
 * A spec checked again (hand-written specs, specs read from JSON or sent to a worker skipped the
 * factory's checks); returns it unchanged.
 */
export function checkSpec(spec) {
  if (spec && typeof spec.className === 'string') checkClass(spec.className);
  if (!spec || typeof spec !== 'object' || typeof spec.className !== 'string') {
    throw new Error(`expected a layer from cnn.layers (e.g. cnn.layers.dense({units: 10})), got ${JSON.stringify(spec)}`);
  }
  call((c) => c.checkLayer(spec.className, spec.config));
  return spec;
}

let factories = null;
function allFactories() {
  if (!factories) {
    factories = Object.fromEntries(layerDefs().kinds.map(({ className, factory }) =>
      [factory, (config = {}) => layerSpec(className, config)]));
  }
  return factories;
}

/** cnn.layers.<factory>(config), one per layer kind of the core. */
export const layers = new Proxy({}, {
  get: (_, key) => (typeof key === 'string' ? allFactories()[key] : undefined),
  has: (_, key) => key in allFactories(),
  ownKeys: () => Reflect.ownKeys(allFactories()),
  getOwnPropertyDescriptor: (_, key) => (key in allFactories()
    ? { value: allFactories()[key], enumerable: true, configurable: true, writable: false }
    : undefined),
});

function regularizer(who, l1, l2) {
  for (const [k, v] of [['l1', l1], ['l2', l2]]) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`regularizers.${who}: ${k} must be a finite non-negative number, got ${JSON.stringify(v)}`);
    }
  }
  return { className: 'L1L2', config: { l1, l2 } };
}

/** Weight penalties: loss += l1 * sum|w| + l2 * sum w^2 (Keras' definitions). */
export const regularizers = {
  l1: ({ l1 = 0.01 } = {}) => regularizer('l1', l1, 0),
  l2: ({ l2 = 0.01 } = {}) => regularizer('l2', 0, l2),
  l1l2: ({ l1 = 0.01, l2 = 0.01 } = {}) => regularizer('l1l2', l1, l2),
};
